/**
 * `npm run worker` / `npm run worker:dev`: the worker on Node. All logic is in run-worker.ts; this file
 * supplies Node's signals, exit, HTTP server (@hono/node-server, for WORKER_HTTP_PORT) and, under a
 * process manager that gave it an IPC channel (PM2's `wait_ready`, ecosystem.config.cjs), the
 * `ready` message once the worker consumes.
 */
import process from 'node:process';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { runWorker } from './run-worker.ts';
import type { ServedHttp } from './run-worker.ts';

await runWorker({
  env: process.env,
  onSignal(handler) {
    process.on('SIGINT', () => handler('SIGINT'));
    process.on('SIGTERM', () => handler('SIGTERM'));
  },
  exit: (code) => process.exit(code),
  writeStderr: (text) => void process.stderr.write(text),
  onUncaughtError: (handler) => void process.on('uncaughtException', handler),
  serveHttp: (fetch, { hostname, port }) =>
    new Promise<ServedHttp>((resolve, reject) => {
      const server = serve({ fetch, hostname, port });
      server.once('error', reject);
      server.once('listening', () => {
        server.off('error', reject);
        resolve({
          port: (server.address() as AddressInfo).port,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              // Probes keep connections alive; nothing of the worker's waits on them.
              (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            }),
        });
      });
    }),
  notifyReady: () => void process.send?.('ready'),
});
