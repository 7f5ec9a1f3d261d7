/**
 * `npm run bench -- api`: how fast the API schedules posts. For each runtime (Node with
 * @hono/node-server, Deno with Deno.serve) it starts one server process that serves
 *   - the real API (buildApi: Postgres store, BullMQ producer on Redis, JWT verification), and
 *   - a bare Hono hello-world app on a second port, as the baseline of the runtime and framework,
 * then drives `POST /posts` and `GET /hello` with 64 keep-alive connections for a fixed time each and
 * reports requests/s, p50/p99 latency and the API/hello-world ratio, as JSON and as a table.
 *
 * Everything stays on loopback. The database is a throw-away one (shim + migrations, as
 * tests/support/test-database.ts makes them) on TEST_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres); Redis is REDIS_URL (default redis://127.0.0.1:6379)
 * under a unique QUEUE_PREFIX. Both are cleaned up at the end: only the keys under that prefix are
 * deleted, and the database is dropped.
 *
 *   npm run bench -- api [--duration 10] [--connections 64] [--runtimes node,deno] [--json-only]
 *                        [--profile <dir>]   (a V8 CPU profile of the Node server, for DevTools)
 *
 * The load generator runs in this process (node:http, keep-alive), on the same machine as the server,
 * Postgres and Redis: the numbers compare runtimes and the API with its baseline, not machines.
 */
import http from 'node:http';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JWT_SECRET = 'bench-only-jwt-secret-with-at-least-32-characters';

type Runtime = 'node' | 'deno';

interface BenchOptions {
  durationMs: number;
  warmupMs: number;
  connections: number;
  runtimes: Runtime[];
  jsonOnly: boolean;
  /** Where the Node server writes a V8 CPU profile (--cpu-prof), if anywhere. */
  profileDir: string | null;
}

export interface Measurement {
  requests: number;
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Status codes seen, e.g. { "201": 53000 }. */
  statuses: Record<string, number>;
}

export interface RuntimeResult {
  runtime: Runtime;
  version: string;
  hello: Measurement;
  createPost: Measurement;
  /** createPost.requestsPerSecond / hello.requestsPerSecond. */
  ratio: number;
}

// ───────────────────────── server mode (a child process per runtime) ─────────────────────────

interface ServerInfo {
  apiPort: number;
  helloPort: number;
  version: string;
}

async function serve(): Promise<void> {
  const { Hono } = await import('hono');
  const { loadConfig } = await import('../src/config/load-config.ts');
  const { createLogger } = await import('../src/observability/logger.ts');
  const { buildApi } = await import('../src/app/build-api.ts');
  const { createServices } = await import('../src/app/create-services.ts');
  const deno = (globalThis as { Deno?: DenoServe }).Deno;
  const config = loadConfig(deno ? deno.env.toObject() : process.env);
  const api = await buildApi(createServices(config, { logger: createLogger({ level: 'silent' }) }));
  const hello = new Hono().get('/hello', (c) => c.text('Hello, world!'));
  let info: ServerInfo;
  if (deno) {
    const listen = (fetch: (r: Request) => Response | Promise<Response>) =>
      new Promise<number>((resolve) => {
        deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => resolve(port) }, fetch);
      });
    info = {
      apiPort: await listen(api.fetch),
      helloPort: await listen(hello.fetch),
      version: `deno ${deno.version.deno}`,
    };
  } else {
    const { serve: nodeServe } = await import('@hono/node-server');
    const listen = (fetch: (r: Request) => Response | Promise<Response>) =>
      new Promise<number>((resolve) => {
        nodeServe({ fetch, port: 0, hostname: '127.0.0.1' }, (addr) => resolve(addr.port));
      });
    info = {
      apiPort: await listen(api.fetch),
      helloPort: await listen(hello.fetch),
      version: `node ${process.version}`,
    };
  }
  console.log(JSON.stringify(info));
  // The parent ends this process with SIGTERM when it is done; exit normally (flushes --cpu-prof).
  process.on('SIGTERM', () => process.exit(0));
}

interface DenoServe {
  version: { deno: string };
  env: { toObject(): Record<string, string> };
  serve(
    options: { port: number; hostname: string; onListen: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown;
}

// ───────────────────────── load generator ─────────────────────────

interface Target {
  port: number;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** A fresh body per request (or none). */
  body?: () => string;
}

function sendOne(agent: http.Agent, target: Target): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = target.body?.();
    const req = http.request(
      {
        host: '127.0.0.1',
        port: target.port,
        method: target.method,
        path: target.path,
        agent,
        headers: body === undefined
          ? target.headers
          : { ...target.headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function measure(target: Target, connections: number, durationMs: number): Promise<Measurement> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  async function loop(): Promise<void> {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      let status: number;
      try {
        status = await sendOne(agent, target);
      } catch {
        status = 0;
      }
      latencies.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status < 200 || status >= 300) errors++;
    }
  }
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsedS = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pick = (q: number) =>
    latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    requests: latencies.length,
    errors,
    requestsPerSecond: round(latencies.length / elapsedS),
    p50Ms: round(pick(0.5)),
    p99Ms: round(pick(0.99)),
    statuses,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

// ───────────────────────── orchestration ─────────────────────────

function parseOptions(args: string[]): BenchOptions {
  const value = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const durationS = Number(value('duration') ?? 10);
  const connections = Number(value('connections') ?? 64);
  const runtimes = (value('runtimes') ?? 'node,deno').split(',').map((r) => r.trim()) as Runtime[];
  if (!(durationS > 0 && durationS <= 120)) throw new Error('--duration must be 1-120 seconds');
  if (!(Number.isInteger(connections) && connections > 0 && connections <= 1024)) {
    throw new Error('--connections must be 1-1024');
  }
  if (!runtimes.every((r) => r === 'node' || r === 'deno')) throw new Error('--runtimes takes node,deno');
  return {
    durationMs: durationS * 1000,
    warmupMs: Math.min(2000, durationS * 200),
    connections,
    runtimes,
    jsonOnly: args.includes('--json-only'),
    profileDir: value('profile') ?? null,
  };
}

async function startServer(
  runtime: Runtime,
  env: Record<string, string>,
  profileDir: string | null,
): Promise<{ child: ChildProcess; info: ServerInfo }> {
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const command = runtime === 'node'
    ? [process.execPath, [...profile, '--import', 'tsx', SCRIPT, '--serve']] as const
    : ['sh', [`${ROOT}scripts/deno.sh`, 'run', '--allow-all', SCRIPT, '--serve']] as const;
  const child = spawn(command[0], [...command[1]], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const info = await Promise.race([
    (async () => {
      for await (const line of lines) {
        if (line.startsWith('{"apiPort"')) return JSON.parse(line) as ServerInfo;
      }
      throw new Error(`the ${runtime} server exited before it listened`);
    })(),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the ${runtime} server exited with ${code}`);
    }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`the ${runtime} server did not start`)), 60_000).unref()
    ),
  ]);
  return { child, info };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function runApiBench(args: string[]): Promise<RuntimeResult[]> {
  const options = parseOptions(args);
  process.env.TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const { createTestDatabase, createUser } = await import('../tests/support/test-database.ts');
  const { createPostgresPostStore } = await import('../src/store/postgres-post-store.ts');
  const { createTokenCipher, randomKey } = await import('../src/store/token-cipher.ts');
  const { Redis } = await import('ioredis');
  const { SignJWT } = await import('jose');

  const queuePrefix = `bench-${crypto.randomUUID().slice(0, 8)}`;
  const key = randomKey();
  const log = (line: string) => void (options.jsonOnly || process.stderr.write(`${line}\n`));
  const db = await createTestDatabase();
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const results: RuntimeResult[] = [];
  try {
    await redis.connect();
    const userId = await createUser(db.sql);
    const store = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(key) });
    const account = await store.createAccount({
      userId,
      platform: 'linkedin',
      externalId: 'urn:li:person:bench',
      displayName: 'Bench',
      scopes: ['w_member_social'],
      tokens: { accessToken: 'bench-token', refreshToken: null, expiresAt: null },
    });
    const token = await new SignJWT({ role: 'authenticated', aud: 'authenticated' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode(JWT_SECRET));
    const env = {
      DATABASE_URL: db.url,
      USE_MOCK_DB: 'false',
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: queuePrefix,
      TOKEN_ENCRYPTION_KEY: btoa(String.fromCharCode(...key)),
      SUPABASE_JWT_SECRET: JWT_SECRET,
      LOG_LEVEL: 'silent',
      NODE_ENV: 'production',
    };
    const scheduledAt = new Date(Date.now() + 86_400_000).toISOString();
    let n = 0;
    for (const runtime of options.runtimes) {
      log(`starting the ${runtime} server…`);
      const { child, info } = await startServer(runtime, env, options.profileDir);
      try {
        const hello: Target = { port: info.helloPort, method: 'GET', path: '/hello', headers: {} };
        const createPost: Target = {
          port: info.apiPort,
          method: 'POST',
          path: '/posts',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: () =>
            JSON.stringify({ text: `bench post ${++n}`, scheduledAt, targets: [{ accountId: account.id }] }),
        };
        log(
          `${info.version}: warming up, then ${
            options.durationMs / 1000
          } s per measurement at ${options.connections} connections`,
        );
        await measure(hello, options.connections, options.warmupMs);
        const helloResult = await measure(hello, options.connections, options.durationMs);
        await measure(createPost, options.connections, options.warmupMs);
        const postResult = await measure(createPost, options.connections, options.durationMs);
        results.push({
          runtime,
          version: info.version,
          hello: helloResult,
          createPost: postResult,
          ratio: round(postResult.requestsPerSecond / Math.max(helloResult.requestsPerSecond, 1e-9) * 1000) /
            1000,
        });
      } finally {
        await stopServer(child);
      }
    }
    const [row] = await db.sql<{ count: number }[]>`select count(*)::int as count from public.posts`;
    log(`${row?.count} posts were created in the throw-away database`);
  } finally {
    await deleteKeys(redis, `{${queuePrefix}}:*`).catch((err) =>
      log(`could not delete the bench keys: ${err}`)
    );
    redis.disconnect();
    await db.drop();
  }
  return results;
}

/** Deletes the keys matching `pattern` (ours only: the pattern carries the unique prefix). */
async function deleteKeys(redis: import('ioredis').Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export function formatTable(results: readonly RuntimeResult[]): string {
  const rows = [['runtime', 'route', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'API / hello']];
  for (const r of results) {
    rows.push([
      r.version,
      'GET /hello (Hono hello-world)',
      String(r.hello.requestsPerSecond),
      String(r.hello.p50Ms),
      String(r.hello.p99Ms),
      String(r.hello.errors),
      '',
    ]);
    rows.push([
      r.version,
      'POST /posts (Postgres + Redis)',
      String(r.createPost.requestsPerSecond),
      String(r.createPost.p50Ms),
      String(r.createPost.p99Ms),
      String(r.createPost.errors),
      `${(r.ratio * 100).toFixed(1)} %`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) =>
    row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ')
  ).join('\n');
}

export async function main(args: string[]): Promise<void> {
  const options = parseOptions(args);
  const results = await runApiBench(args);
  console.log(
    JSON.stringify(
      { benchmark: 'api', connections: options.connections, durationMs: options.durationMs, results },
      null,
      2,
    ),
  );
  if (!options.jsonOnly) console.log(`\n${formatTable(results)}`);
}

if (process.argv.includes('--serve')) {
  await serve();
} else if (process.argv[1] === SCRIPT) {
  await main(process.argv.slice(2));
}
