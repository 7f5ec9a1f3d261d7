/**
 * `deno task worker`: the worker on Deno. All logic is in run-worker.ts; this file supplies Deno's
 * signals, exit, a fetch without connection reuse and, for WORKER_HTTP_PORT, `Deno.serve`.
 */
import { runWorker } from './run-worker.ts';
import type { ServedHttp } from './run-worker.ts';

interface DenoServer {
  addr: { port: number };
  shutdown(): Promise<void>;
}
interface DenoRuntime {
  createHttpClient(options: { poolMaxIdlePerHost: number }): unknown;
  env: { toObject(): Record<string, string> };
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
  exit(code: number): never;
  stderr: { writeSync(bytes: Uint8Array): number };
  serve(
    options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoServer;
}
const deno = (globalThis as unknown as { Deno: DenoRuntime }).Deno;
const encoder = new TextEncoder();
// No connection reuse for platform calls: Deno's pooled fetch silently re-sends a POST when a reused
// keep-alive connection closes before the answer, which would publish a post twice.
const client = deno.createHttpClient({ poolMaxIdlePerHost: 0 });
const freshConnectionFetch =
  ((input: RequestInfo | URL, init?: RequestInit) =>
    fetch(input, { ...init, client } as RequestInit)) as typeof fetch;

await runWorker({
  env: deno.env.toObject(),
  onSignal(handler) {
    deno.addSignalListener('SIGINT', () => handler('SIGINT'));
    deno.addSignalListener('SIGTERM', () => handler('SIGTERM'));
  },
  exit: (code) => deno.exit(code),
  writeStderr: (text) => void deno.stderr.writeSync(encoder.encode(text)),
  onUncaughtError(handler) {
    // Handled: a graceful shutdown instead of an abrupt exit. Node raises an unhandled rejection as
    // an uncaught exception; Deno has its own event for it.
    globalThis.addEventListener('error', (event) => {
      event.preventDefault();
      handler(event.error);
    });
    globalThis.addEventListener('unhandledrejection', (event) => {
      event.preventDefault();
      handler(event.reason);
    });
  },
  fetch: freshConnectionFetch,
  serveHttp(fetch, { hostname, port }) {
    // Deno.serve throws at once when it cannot listen (AddrInUse): the promise rejects with that.
    return new Promise<ServedHttp>((resolve) => {
      const server = deno.serve({
        hostname,
        port,
        onListen: (addr) => resolve({ port: addr.port, close: () => server.shutdown() }),
      }, fetch);
    });
  },
});
