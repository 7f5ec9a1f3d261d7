/**
 * Serves a fetch handler on a local port with @hono/node-server (Node, and Deno through its node:http
 * support), resolving once it listens. Port 0 picks a free port.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';

export interface HttpServer {
  /** e.g. http://127.0.0.1:8787 (no trailing slash). */
  url: string;
  port: number;
  /**
   * Stops listening and drops idle keep-alive connections; requests in flight get `graceMs` (default
   * 2000) to finish before their connections are cut. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

export async function serveHttp(
  fetch: (request: Request) => Response | Promise<Response>,
  options: { port: number; hostname: string },
): Promise<HttpServer> {
  const server = serve({ fetch, port: options.port, hostname: options.hostname });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    close(graceMs = 2000) {
      closed ??= new Promise<void>((resolve) => {
        const connections = server as {
          closeIdleConnections?: () => void;
          closeAllConnections?: () => void;
        };
        const cut = setTimeout(() => connections.closeAllConnections?.(), graceMs);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        connections.closeIdleConnections?.();
      });
      return closed;
    },
  };
}
