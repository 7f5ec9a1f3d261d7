/**
 * `deno task api`: the HTTP API on Deno (Deno.serve), on PORT (8787), with the same app and
 * behaviour as node-api.ts. SIGTERM/SIGINT drain the server, then close Redis and the database.
 */
import { ConfigError } from '../config/load-config.ts';
import { createLogger } from '../observability/logger.ts';
import { buildApi } from '../app/build-api.ts';
import { createServices } from '../app/create-services.ts';
import { loadConfigOrExit } from './load-config-or-exit.ts';

interface DenoRuntime {
  env: { toObject(): Record<string, string> };
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
  exit(code: number): never;
  stderr: { writeSync(bytes: Uint8Array): number };
  serve(
    options: { port: number; onListen?: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> };
}
const deno = (globalThis as unknown as { Deno: DenoRuntime }).Deno;
const encoder = new TextEncoder();
const writeStderr = (text: string) => void deno.stderr.writeSync(encoder.encode(`${text}\n`));

const config = loadConfigOrExit(deno.env.toObject(), { error: writeStderr, exit: (code) => deno.exit(code) });
const logger = createLogger({ level: config.logLevel, name: 'solospark-api' });

const services = createServices(config, { logger });
let api: Awaited<ReturnType<typeof buildApi>>;
try {
  api = await buildApi(services);
} catch (err) {
  writeStderr(err instanceof Error ? err.message : String(err));
  deno.exit(err instanceof ConfigError ? 2 : 1);
}

const server = deno.serve({
  port: config.api.port,
  onListen: ({ port }) => logger.info({ port, url: `http://localhost:${port}` }, 'api listening'),
}, (request) => api.fetch(request));

let stopping = false;
async function shutDown(signal: string): Promise<void> {
  if (stopping) deno.exit(130);
  stopping = true;
  logger.info({ signal }, 'signal received; finishing in-flight requests');
  const watchdog = setTimeout(() => {
    logger.error('shutdown hung; exiting');
    deno.exit(1);
  }, 15_000);
  await server.shutdown();
  await services.close();
  clearTimeout(watchdog);
  logger.info('api stopped');
  deno.exit(0);
}
deno.addSignalListener('SIGTERM', () => void shutDown('SIGTERM'));
deno.addSignalListener('SIGINT', () => void shutDown('SIGINT'));
