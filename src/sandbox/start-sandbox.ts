/**
 * Serves the sandbox over HTTP with @hono/node-server (Node, and Deno through its node:http support).
 * Port 0 picks a free port (tests). The node server matters for accept-then-drop faults: the default
 * dropper destroys `c.env.incoming.socket`, which only exists under @hono/node-server.
 *
 *   const running = await startSandbox({ port: 0 });
 *   createXPublisher({ baseUrl: `${running.url}/x`, … });
 *   await running.close();
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Sandbox, SandboxOptions } from './create-sandbox.ts';
import { createSandbox } from './create-sandbox.ts';

export interface StartSandboxOptions extends SandboxOptions {
  /** (Default: 0, a free port) */
  port?: number;
  /** (Default: 127.0.0.1) */
  hostname?: string;
  /** Serve this sandbox instead of a new one. */
  sandbox?: Sandbox;
}

export interface RunningSandbox {
  /** e.g. http://127.0.0.1:4010 (no trailing slash). */
  url: string;
  port: number;
  sandbox: Sandbox;
  close(): Promise<void>;
}

export async function startSandbox(options: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const sandbox = options.sandbox ?? createSandbox(options);
  const hostname = options.hostname ?? '127.0.0.1';
  const server = serve({ fetch: sandbox.app.fetch, port: options.port ?? 0, hostname });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    sandbox,
    close() {
      closed ??= new Promise<void>((resolve) => {
        sandbox.knobs.releaseHangs();
        server.close(() => resolve());
        // Keep-alive connections would hold close() open.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      return closed;
    },
  };
}
