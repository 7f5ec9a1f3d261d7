/**
 * `npm run api` (node dist/api.js): the HTTP API on Node with @hono/node-server, on PORT (8787), with
 * its reference page's script and, when a credential is configured, the queue dashboard at
 * /admin/queues (src/app/build-api-server.ts).
 * SIGTERM/SIGINT stop accepting connections, let in-flight requests finish, close Redis and the
 * database, and exit 0; a shutdown that hangs exits 1. A bad environment exits 2 with every problem.
 */
import process from 'node:process';
import { serve } from '@hono/node-server';
import { ConfigError } from '../config/load-config.ts';
import { createLogger } from '../observability/logger.ts';
import { buildApiServer } from '../app/build-api-server.ts';
import { createServices } from '../app/create-services.ts';
import { loadConfigOrExit } from './load-config-or-exit.ts';

const SHUTDOWN_WATCHDOG_MS = 15_000;

const config = loadConfigOrExit(process.env, {
  error: (message) => void process.stderr.write(`${message}\n`),
  exit: (code) => process.exit(code),
});
const logger = createLogger({ level: config.logLevel, name: 'solospark-api' });

const services = createServices(config, { logger });
let api: Awaited<ReturnType<typeof buildApiServer>>;
try {
  api = await buildApiServer(services);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
}

const server = serve({ fetch: api.fetch, port: config.api.port }, (info) => {
  logger.info({ port: info.port, url: `http://localhost:${info.port}` }, 'api listening');
});

let stopping = false;
async function shutDown(signal: string): Promise<void> {
  if (stopping) {
    process.exit(130);
  }
  stopping = true;
  logger.info({ signal }, 'signal received; finishing in-flight requests');
  const watchdog = setTimeout(() => {
    logger.error({ watchdogMs: SHUTDOWN_WATCHDOG_MS }, 'shutdown hung; exiting');
    process.exit(1);
  }, SHUTDOWN_WATCHDOG_MS);
  watchdog.unref();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await api.close();
  await services.close();
  logger.info('api stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutDown('SIGTERM'));
process.on('SIGINT', () => void shutDown('SIGINT'));
