/**
 * A TCP proxy between the workers and PostgreSQL, so the soak can make the database slow or cut
 * every connection without touching the server. Latency is added to the answers (server → client),
 * so each round trip is that much slower while order within a connection is kept. `upstreamPorts()`
 * lists the local ports of the proxy's connections to the server: the `client_port` PostgreSQL shows
 * for the workers' sessions.
 */
import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Delay for every chunk the server sends from now on (0 = none). */
  setLatency(ms: number): void;
  /** Destroys every open connection (both sides). Returns how many. */
  cutAll(): number;
  upstreamPorts(): number[];
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let latencyMs = 0;
  const pairs = new Set<Pair>();

  const server = createServer((client) => {
    const upstream = createConnection({ host: target.host, port: target.port });
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    forwardDelayed(upstream, client, () => latencyMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    setLatency(ms) {
      latencyMs = Math.max(0, ms);
    },
    cutAll() {
      const count = pairs.size;
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      pairs.clear();
      return count;
    },
    upstreamPorts() {
      return [...pairs].map((p) => p.upstream.localPort).filter((p): p is number => typeof p === 'number');
    },
    close() {
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      pairs.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Copies `from` to `to`, each chunk held back by `latency()` ms, never reordering chunks. */
function forwardDelayed(from: Socket, to: Socket, latency: () => number): void {
  const queue: { dueAt: number; chunk: Buffer }[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let ended = false;

  const flush = () => {
    timer = null;
    const now = Date.now();
    while (queue.length > 0 && queue[0]!.dueAt <= now) to.write(queue.shift()!.chunk);
    schedule();
  };
  const schedule = () => {
    if (timer !== null) return;
    if (queue.length === 0) {
      if (ended) to.end();
      return;
    }
    timer = setTimeout(flush, Math.max(0, queue[0]!.dueAt - Date.now()));
  };

  from.on('data', (chunk: Buffer) => {
    const ms = latency();
    if (ms === 0 && queue.length === 0) {
      to.write(chunk);
      return;
    }
    const last = queue.length > 0 ? queue[queue.length - 1]!.dueAt : 0;
    queue.push({ dueAt: Math.max(Date.now() + ms, last), chunk });
    schedule();
  });
  from.on('end', () => {
    ended = true;
    schedule();
  });
  from.on('close', () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    queue.length = 0;
  });
}
