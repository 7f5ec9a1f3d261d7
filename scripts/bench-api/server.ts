/**
 * The server process of `npm run bench -- api` (one per runtime; `node --import tsx` or `deno run`
 * this file). It serves, each on its own loopback port:
 *   - `api`: the real API, built as node-api.ts builds it (buildApi on createServices);
 *   - `bare`: the bare baseline of POST /posts (bare-app.ts);
 *   - `apiCounted`, `bareCounted`: twins of those two whose Postgres statements (the pool's `debug`
 *     hook, connect-postgres.ts) and Redis commands are counted. Counting is not free (postgres.js
 *     takes a stack trace per query when `debug` is set), so the timed runs go to the plain apps and
 *     a short run against the twins counts the work per request;
 *   - `hello`: a Hono hello-world, the runtime's and framework's ceiling;
 *   - `control`: GET /stats (the counters), POST /profile/start and /profile/stop?file=… (Node: a
 *     V8 CPU profile of this process between the two, written as a DevTools .cpuprofile), POST
 *     /loop/start and /loop/stop (Node: event-loop delay and GC pauses between the two; null elsewhere).
 * It prints one JSON line with the ports, then serves until SIGTERM.
 */
import net from 'node:net';
import process from 'node:process';
import { writeFile } from 'node:fs/promises';
import { Hono } from 'hono';
import type { RedisClient } from '../../src/queue/redis-options.ts';

export interface ServerInfo {
  apiPort: number;
  barePort: number;
  apiCountedPort: number;
  bareCountedPort: number;
  helloPort: number;
  controlPort: number;
  version: string;
  /** Whether POST /profile/start works here (Node only). */
  canProfile: boolean;
}

/** What the counted twins counted since the server started. */
export interface ServerStats {
  api: WorkCounter;
  bare: WorkCounter;
}

export interface WorkCounter {
  statements: number;
  /** Postgres round trips: writes after a read, on the pool's sockets. */
  roundTrips: number;
  redisCommands: number;
}

interface DenoLike {
  version: { deno: string };
  env: { toObject(): Record<string, string> };
  serve(
    options: { port: number; hostname: string; onListen: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown;
}

type Fetch = (request: Request) => Response | Promise<Response>;

function newCounter(): WorkCounter {
  return { statements: 0, roundTrips: 0, redisCommands: 0 };
}

/** Counts every command ioredis sends on `connection` (pipelined ones each), BullMQ's scripts included. */
function countRedisCommands(connection: RedisClient, counter: WorkCounter): void {
  const client = connection as { sendCommand(...args: unknown[]): unknown };
  const send = client.sendCommand.bind(client);
  client.sendCommand = (...args: unknown[]) => {
    counter.redisCommands++;
    return send(...args);
  };
}

/**
 * Connects a pool's sockets and counts round trips on them: each time a connection writes after it
 * has read (statements written together, pipelined, count once).
 */
function countingSocket(url: string, counter: WorkCounter): () => Promise<net.Socket> {
  const target = new URL(url);
  return () =>
    new Promise((resolve, reject) => {
      const socket = net.connect(Number(target.port || 5432), target.hostname);
      let answered = true;
      socket.on('data', () => void (answered = true));
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      socket.write = ((...args: unknown[]) => {
        if (answered) counter.roundTrips++;
        answered = false;
        return write(...args);
      }) as typeof socket.write;
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });
}

/** What the Node server's event loop went through during a run: delays and garbage-collection pauses. */
export interface LoopStats {
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  gcPauses: number;
  gcPauseMs: number;
  gcMaxPauseMs: number;
}

interface LoopMonitor {
  start(): void;
  stop(): LoopStats;
}

/** Node only (Deno's perf_hooks has no real event-loop histogram): null elsewhere. */
async function createLoopMonitor(isDeno: boolean): Promise<LoopMonitor | null> {
  if (isDeno) return null;
  const { monitorEventLoopDelay, PerformanceObserver } = await import('node:perf_hooks');
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let pauses: number[] = [];
  let observing = false;
  new PerformanceObserver((list) => {
    if (observing) { for (const entry of list.getEntries()) pauses.push(entry.duration); }
  }).observe({ entryTypes: ['gc'] });
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  return {
    start() {
      pauses = [];
      observing = true;
      histogram.reset();
      histogram.enable();
    },
    stop() {
      histogram.disable();
      observing = false;
      return {
        eventLoopDelayP99Ms: ms(histogram.percentile(99)),
        eventLoopDelayMaxMs: ms(histogram.max),
        gcPauses: pauses.length,
        gcPauseMs: Math.round(pauses.reduce((a, b) => a + b, 0) * 100) / 100,
        gcMaxPauseMs: Math.round(Math.max(0, ...pauses) * 100) / 100,
      };
    },
  };
}

interface Profiler {
  start(): Promise<void>;
  stop(file: string): Promise<void>;
}

/** A CPU profiler of this process through node:inspector (Node only: null elsewhere). */
async function createProfiler(isDeno: boolean): Promise<Profiler | null> {
  if (isDeno) return null;
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  return {
    async start() {
      await session.post('Profiler.start');
    },
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(file, JSON.stringify(profile));
    },
  };
}

export async function serve(): Promise<void> {
  const { loadConfig } = await import('../../src/config/load-config.ts');
  const { createLogger } = await import('../../src/observability/logger.ts');
  const { buildApi } = await import('../../src/app/build-api.ts');
  const { createServices } = await import('../../src/app/create-services.ts');
  const { connectPostgres, postgresOptions } = await import('../../src/store/connect-postgres.ts');
  const { createPostgresPostStore } = await import('../../src/store/postgres-post-store.ts');
  const { createTokenCipher } = await import('../../src/store/token-cipher.ts');
  const { createRedisConnection } = await import('../../src/queue/redis-options.ts');
  const { createBareApp } = await import('./bare-app.ts');

  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  const env = deno ? deno.env.toObject() : process.env;
  const config = loadConfig(env);
  const stats: ServerStats = { api: newCounter(), bare: newCounter() };
  // Every pool as createServices opens the API's (DATABASE_PREPARED_STATEMENTS, else by the URL).
  const poolOptions = postgresOptions(config);
  const counting = (counter: WorkCounter) => ({
    ...poolOptions,
    onStatement: () => void counter.statements++,
    socket: countingSocket(config.databaseUrl!, counter),
  });

  const logger = createLogger({ level: 'silent' });
  const api = await buildApi(createServices(config, { logger }));

  // The counted twin: the same API on a PostStore whose pool counts statements.
  const countedStore = createPostgresPostStore({
    sql: connectPostgres(config.databaseUrl!, counting(stats.api)),
    cipher: await createTokenCipher(config.tokenEncryptionKey!, config.tokenEncryptionPreviousKeys),
  });
  const countedServices = createServices(config, { logger, postStore: countedStore });
  countRedisCommands(await countedServices.redis('producer'), stats.api);
  const apiCounted = await buildApi(countedServices);

  const bareApp = async (counter: WorkCounter | null) => {
    const connection = createRedisConnection(config.redisUrl, 'producer', 'solospark-bench-bare');
    connection.on('error', () => {});
    if (counter) countRedisCommands(connection, counter);
    return await createBareApp({
      sql: connectPostgres(config.databaseUrl!, counter ? counting(counter) : poolOptions),
      connection,
      queuePrefix: env.BENCH_BARE_QUEUE_PREFIX!,
      jwtSecret: config.supabase.jwtSecret!,
    });
  };
  const bare = await bareApp(null);
  const bareCounted = await bareApp(stats.bare);

  const hello = new Hono().get('/hello', (c) => c.text('Hello, world!'));
  const profiler = await createProfiler(deno !== undefined);
  const loop = await createLoopMonitor(deno !== undefined);
  const control = new Hono()
    .get('/stats', (c) => c.json(stats))
    .post('/profile/start', async (c) => {
      if (!profiler) return c.text('profiles are taken under Node only', 501);
      await profiler.start();
      return c.body(null, 204);
    })
    .post('/loop/start', (c) => {
      loop?.start();
      return c.body(null, 204);
    })
    .post('/loop/stop', (c) => c.json(loop?.stop() ?? null))
    .post('/profile/stop', async (c) => {
      if (!profiler) return c.text('profiles are taken under Node only', 501);
      await profiler.stop(c.req.query('file')!);
      return c.body(null, 204);
    });

  let listen: (fetch: Fetch) => Promise<number>;
  if (deno) {
    listen = (fetch) =>
      new Promise((resolve) => {
        deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => resolve(port) }, fetch);
      });
  } else {
    const { serve: nodeServe } = await import('@hono/node-server');
    listen = (fetch) =>
      new Promise((resolve) => {
        nodeServe({ fetch, port: 0, hostname: '127.0.0.1' }, (addr) => resolve(addr.port));
      });
  }
  const info: ServerInfo = {
    apiPort: await listen(api.fetch),
    barePort: await listen(bare.fetch),
    apiCountedPort: await listen(apiCounted.fetch),
    bareCountedPort: await listen(bareCounted.fetch),
    helloPort: await listen(hello.fetch),
    controlPort: await listen(control.fetch),
    version: deno ? `deno ${deno.version.deno}` : `node ${process.version}`,
    canProfile: profiler !== null,
  };
  console.log(JSON.stringify(info));
  // The parent ends this process with SIGTERM when it is done.
  process.on('SIGTERM', () => process.exit(0));
}

if (process.argv.includes('--serve')) await serve();
