/**
 * Local HTTP(S) servers for the connection-guard tests: each records what reached it (method, path,
 * Host header, TLS server name) so a test can assert that a request did — or did not — arrive. https
 * uses the test certificate of tests/support/test-tls.ts. node:http(s), the same under Node and Deno.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { TEST_SERVER_CERT_PEM, TEST_SERVER_KEY_PEM } from './test-tls.ts';

export interface ReceivedRequest {
  method: string;
  path: string;
  host: string | undefined;
  /** The SNI name the client sent (https), where the runtime reports it. */
  servername: string | undefined;
  headers: IncomingMessage['headers'];
}

export interface LoopbackServer {
  /** The address it listens on, e.g. 127.0.0.1 or ::1. */
  address: string;
  port: number;
  received: ReceivedRequest[];
  /** `<scheme>://<host>:<port><path>`, for a name the test's resolver maps to `address`. */
  urlFor(host: string, path?: string): string;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const OK: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('ok');
};

export async function startLoopbackServer(
  options: { tls: boolean; address?: string; handler?: Handler },
): Promise<LoopbackServer> {
  const address = options.address ?? '127.0.0.1';
  const received: ReceivedRequest[] = [];
  const handler = options.handler ?? OK;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    received.push({
      method: req.method ?? '',
      path: req.url ?? '',
      host: req.headers.host,
      servername: (req.socket as TLSSocket).servername || undefined,
      headers: req.headers,
    });
    handler(req, res);
  };
  const server = options.tls
    ? createHttpsServer({ cert: TEST_SERVER_CERT_PEM, key: TEST_SERVER_KEY_PEM }, onRequest)
    : createHttpServer(onRequest);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls ? 'https' : 'http';
  return {
    address,
    port,
    received,
    urlFor: (host, path = '/') => `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A loopback address other than 127.0.0.1 to listen on, for the "private" server of a test whose
 * "public" one is 127.0.0.1: ::1 where IPv6 loopback exists, else 127.0.0.2 (Linux routes all of
 * 127/8 to loopback).
 */
export async function otherLoopbackAddress(): Promise<string> {
  for (const candidate of ['::1', '127.0.0.2']) {
    const probe = createHttpServer();
    const ok = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(0, candidate, () => resolve(true));
    });
    if (ok) {
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      return candidate;
    }
  }
  throw new Error('no second loopback address (::1 or 127.0.0.2) to listen on');
}

/** A resolver that answers each call with the next entry (the last one repeats) and counts calls. */
export function scriptedResolver(answers: readonly string[][]): {
  resolveHost: (hostname: string) => Promise<string[]>;
  calls: string[];
} {
  const calls: string[] = [];
  return {
    calls,
    resolveHost(hostname: string) {
      calls.push(hostname);
      return Promise.resolve(answers[Math.min(calls.length - 1, answers.length - 1)]!);
    },
  };
}
