/**
 * `npm run bench -- api`: how fast the API schedules, edits, cancels and lists posts, against a bare
 * baseline doing the same durable work. For each runtime (Node with @hono/node-server, Deno with
 * Deno.serve) it starts one server process (scripts/bench-api/server.ts) that serves
 *   - the real API (buildApi: Postgres store, BullMQ producer on Redis, JWT verification),
 *   - the bare baseline of POST /posts (scripts/bench-api/bare-app.ts: one JWT check, one zod parse,
 *     one transaction inserting the post and its target, one BullMQ delayed job), and
 *   - a Hono hello-world, the ceiling of the runtime and framework,
 * each on its own port, then drives with 64 keep-alive connections, for a fixed time each:
 *   GET /hello; POST /posts on the bare baseline and on the API, alternating (`--rounds`); GET /posts
 *   (the first page); PATCH /posts/:id (text and time of posts made beforehand, round robin); DELETE
 *   /posts/:id (each request cancels a different post made beforehand).
 * It reports req/s, p50/p99 latency, errors by status, the statements, Postgres round trips and
 * Redis commands per request (counted on the server's twin apps), and POST /posts against the bare
 * baseline — the targets are req/s ≥ 0.8× and p99 ≤ 1.5× — pooled and by round, plus (Node) the
 * server's event-loop delay and GC pauses during each POST run, as JSON and as a table.
 *
 * Everything stays on loopback. The database is a throw-away one (shim + migrations, as
 * tests/support/test-database.ts makes them) on TEST_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres); Redis is REDIS_URL (default redis://127.0.0.1:6379)
 * under unique queue prefixes. Both are cleaned up at the end: only the keys under those prefixes are
 * deleted, and the database is dropped.
 *
 *   npm run bench -- api [--duration 10] [--connections 64] [--rounds 2] [--runtimes node,deno]
 *                        [--only hello,post,patch,delete,list] [--prepared auto|true|false]
 *                        [--json-only]
 *                        [--profile <dir>]   (Node: a V8 CPU profile of the server per measured run,
 *                                             <dir>/node-<route>.cpuprofile, for DevTools)
 *   npm run bench -- api --profile-summary <file.cpuprofile> [--top 25]
 *                                            (self time by package/file and by function)
 *
 * The load generator runs in this process (node:http, keep-alive), on the same machine as the server,
 * Postgres and Redis: the numbers compare runtimes and the API with its baselines, not machines.
 * Profiling slows the server down; take the numbers from a run without `--profile`.
 */
import { mkdir } from 'node:fs/promises';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { round, run, summarize } from './bench-api/load.ts';
import type { BenchRequest, Measurement, RawRun, Target } from './bench-api/load.ts';
import { formatProfileSummary, readProfileSummary } from './bench-api/profile-summary.ts';
import { formatTable, TARGET_P99_RATIO, TARGET_RATIO } from './bench-api/report.ts';
import type { PerRequest, RouteResult, Runtime, RuntimeResult } from './bench-api/report.ts';
import type { LoopStats, ServerStats } from './bench-api/server.ts';
import { startServer, stopServer } from './bench-api/server-process.ts';
import type { Server } from './bench-api/server-process.ts';

export { formatTable };
export type { Measurement, RuntimeResult };

const SCRIPT = fileURLToPath(import.meta.url);
const JWT_SECRET = 'bench-only-jwt-secret-with-at-least-32-characters';
/** Posts edited round robin by the PATCH run: far more than connections, so no two edits collide. */
const PATCH_POSTS = 2000;

const ROUTES = ['hello', 'post', 'patch', 'delete', 'list'] as const;
type Route = (typeof ROUTES)[number];

interface BenchOptions {
  durationMs: number;
  warmupMs: number;
  connections: number;
  rounds: number;
  runtimes: Runtime[];
  /** The runs to make (--only); all by default. */
  routes: Set<Route>;
  /**
   * DATABASE_PREPARED_STATEMENTS for every pool of the server (API and bare alike): `false` is how the
   * API runs behind a transaction-mode pooler (Supabase port 6543). (Default: auto — by the URL: on)
   */
  prepared: 'auto' | 'true' | 'false';
  jsonOnly: boolean;
  /** Where the Node server writes a V8 CPU profile per measured run, if anywhere. */
  profileDir: string | null;
}

// ───────────────────────── options ─────────────────────────

function optionValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function parseOptions(args: string[]): BenchOptions {
  const value = (name: string) => optionValue(args, name);
  const durationS = Number(value('duration') ?? 10);
  const connections = Number(value('connections') ?? 64);
  const rounds = Number(value('rounds') ?? 2);
  const runtimes = (value('runtimes') ?? 'node,deno').split(',').map((r) => r.trim()) as Runtime[];
  if (!(durationS > 0 && durationS <= 120)) throw new Error('--duration must be 1-120 seconds');
  if (!(Number.isInteger(connections) && connections > 0 && connections <= 1024)) {
    throw new Error('--connections must be 1-1024');
  }
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 10)) throw new Error('--rounds must be 1-10');
  if (!runtimes.every((r) => r === 'node' || r === 'deno')) throw new Error('--runtimes takes node,deno');
  const routes = (value('only') ?? ROUTES.join(',')).split(',').map((r) => r.trim()) as Route[];
  const prepared = value('prepared') ?? 'auto';
  if (prepared !== 'auto' && prepared !== 'true' && prepared !== 'false') {
    throw new Error('--prepared takes auto, true or false');
  }
  if (!routes.every((r) => ROUTES.includes(r))) throw new Error(`--only takes ${ROUTES.join(',')}`);
  return {
    durationMs: durationS * 1000,
    warmupMs: Math.min(2000, durationS * 200),
    connections,
    rounds,
    runtimes,
    routes: new Set(routes),
    prepared,
    jsonOnly: args.includes('--json-only'),
    profileDir: value('profile') ?? null,
  };
}

// ───────────────────────── measuring ─────────────────────────

interface Measured {
  raw: RawRun;
  loop: LoopStats | null;
  perRequest: PerRequest;
}

function routeResult(measured: readonly Measured[]): RouteResult {
  // Counts from the first run's twin: the work per request does not change between rounds.
  const loops = measured.map((m) => m.loop).filter((l) => l !== null);
  return {
    ...summarize(measured.map((m) => m.raw)),
    perRequest: measured[0]!.perRequest,
    ...(loops.length > 0 ? { serverLoop: loops } : {}),
  };
}

/** Requests sent to a counted twin, after as many to warm it up (its pool's first queries fetch types). */
const COUNTED_REQUESTS = 200;

/**
 * Warms up, then measures `target` (profiling the server meanwhile, if asked), then counts the work
 * per request on `app`'s counted twin with the same requests (null: nothing to count).
 */
async function measureRoute(
  server: Server,
  target: Target,
  app: keyof ServerStats | null,
  options: BenchOptions,
  profileFile: string | null,
): Promise<Measured> {
  await run(target, options.connections, options.warmupMs);
  if (profileFile) await server.control('/profile/start');
  await server.control('/loop/start');
  const raw = await run(target, options.connections, options.durationMs);
  const loop = await server.loopStats();
  if (profileFile) await server.control(`/profile/stop?file=${encodeURIComponent(profileFile)}`);
  if (app === null) {
    return { raw, loop, perRequest: { statements: 0, postgresRoundTrips: 0, redisCommands: 0 } };
  }
  const counted = {
    ...target,
    port: app === 'api' ? server.info.apiCountedPort : server.info.bareCountedPort,
  };
  const connections = Math.min(8, options.connections);
  await run(counted, connections, 60_000, COUNTED_REQUESTS);
  const before = (await server.stats())[app];
  const countedRun = await run(counted, connections, 60_000, COUNTED_REQUESTS);
  const after = (await server.stats())[app];
  const requests = countedRun.latenciesMs.length || 1;
  return {
    raw,
    loop,
    perRequest: {
      statements: round((after.statements - before.statements) / requests),
      postgresRoundTrips: round((after.roundTrips - before.roundTrips) / requests),
      redisCommands: round((after.redisCommands - before.redisCommands) / requests),
    },
  };
}

// ───────────────────────── orchestration ─────────────────────────

export async function runApiBench(args: string[]): Promise<RuntimeResult[]> {
  const options = parseOptions(args);
  process.env.TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const { createTestDatabase, createUser } = await import('../tests/support/test-database.ts');
  const { createPostgresPostStore } = await import('../src/store/postgres-post-store.ts');
  const { createTokenCipher, randomKey } = await import('../src/store/token-cipher.ts');
  const { createScheduledPosts } = await import('./bench-api/fixtures.ts');
  const { Redis } = await import('ioredis');
  const { SignJWT } = await import('jose');

  const runId = crypto.randomUUID().slice(0, 8);
  const queuePrefix = `bench-${runId}`;
  const bareQueuePrefix = `bench-bare-${runId}`;
  const key = randomKey();
  const log = (line: string) => void (options.jsonOnly || process.stderr.write(`${line}\n`));
  if (options.profileDir) await mkdir(options.profileDir, { recursive: true });
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
      BENCH_BARE_QUEUE_PREFIX: bareQueuePrefix,
      DATABASE_PREPARED_STATEMENTS: options.prepared,
      TOKEN_ENCRYPTION_KEY: btoa(String.fromCharCode(...key)),
      SUPABASE_JWT_SECRET: JWT_SECRET,
      LOG_LEVEL: 'silent',
      NODE_ENV: 'production',
    };
    const scheduledAt = new Date(Date.now() + 86_400_000);
    const fixtures = { sql: db.sql, redis, queuePrefix, userId, accountId: account.id, scheduledAt };
    const json = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const auth = { authorization: `Bearer ${token}` };
    let n = 0;
    const createBody = () =>
      JSON.stringify({
        text: `bench post ${++n}`,
        scheduledAt: scheduledAt.toISOString(),
        targets: [{ accountId: account.id }],
      });
    const post = (port: number): Target => ({
      port,
      next: () => ({ method: 'POST', path: '/posts', headers: json, body: createBody() }),
    });

    for (const runtime of options.runtimes) {
      const routes = options.routes;
      // Also what GET /posts lists, when it runs alone: a first page full of posts.
      const toEdit = await createScheduledPosts(fixtures, PATCH_POSTS);
      log(`starting the ${runtime} server…`);
      const server = await startServer(runtime, env);
      const { info } = server;
      const profile = (route: string) =>
        options.profileDir && info.canProfile ? `${options.profileDir}/${runtime}-${route}.cpuprofile` : null;
      const measureApi = async (route: Route, target: Omit<Target, 'port'>) =>
        routeResult([
          await measureRoute(server, { port: info.apiPort, ...target }, 'api', options, profile(route)),
        ]);
      try {
        log(
          `${info.version}: warming up, then ${options.durationMs / 1000} s per run at ` +
            `${options.connections} connections`,
        );
        const result: RuntimeResult = { runtime, version: info.version };
        if (routes.has('hello')) {
          const hello: Target = {
            port: info.helloPort,
            next: () => ({ method: 'GET', path: '/hello', headers: {} }),
          };
          result.hello = summarize([(await measureRoute(server, hello, null, options, null)).raw]);
        }
        if (routes.has('post')) {
          const bare: Measured[] = [];
          const real: Measured[] = [];
          for (let round = 0; round < options.rounds; round++) {
            const first = round === 0;
            bare.push(
              await measureRoute(
                server,
                post(info.barePort),
                'bare',
                options,
                first ? profile('bare-post') : null,
              ),
            );
            real.push(
              await measureRoute(server, post(info.apiPort), 'api', options, first ? profile('post') : null),
            );
          }
          const createPost = result.createPost = routeResult(real);
          const bareCreatePost = result.bareCreatePost = routeResult(bare);
          const ratio = createPost.requestsPerSecond / Math.max(bareCreatePost.requestsPerSecond, 1e-9);
          const p99Ratio = createPost.p99Ms / Math.max(bareCreatePost.p99Ms, 1e-9);
          result.vsBare = {
            requestsPerSecond: round(ratio, 3),
            p99: round(p99Ratio, 3),
            ratioMet: ratio >= TARGET_RATIO,
            p99Met: p99Ratio <= TARGET_P99_RATIO,
            // Each round's pair on its own: a burst of other load on the machine shows as one odd pair.
            rounds: real.map((m, i) => {
              const api = summarize([m.raw]);
              const baseline = summarize([bare[i]!.raw]);
              return {
                requestsPerSecond: round(
                  api.requestsPerSecond / Math.max(baseline.requestsPerSecond, 1e-9),
                  3,
                ),
                p99: round(api.p99Ms / Math.max(baseline.p99Ms, 1e-9), 3),
              };
            }),
          };
          if (result.hello) {
            result.vsHello = round(
              createPost.requestsPerSecond / Math.max(result.hello.requestsPerSecond, 1e-9),
              4,
            );
          }
        }
        // Before the edits and cancels: their dead row versions would slow the first page's index scan.
        if (routes.has('list')) {
          result.listPosts = await measureApi('list', {
            next: () => ({ method: 'GET', path: '/posts', headers: auth }),
          });
        }
        if (routes.has('patch')) {
          let edits = 0;
          result.updatePost = await measureApi('patch', {
            next: (): BenchRequest => {
              const i = edits++;
              return {
                method: 'PATCH',
                path: `/posts/${toEdit[i % toEdit.length]}`,
                headers: json,
                body: JSON.stringify({
                  text: `edited ${i}`,
                  scheduledAt: new Date(scheduledAt.getTime() + (i % 3600) * 1000).toISOString(),
                }),
              };
            },
          });
        }
        if (routes.has('delete')) {
          // Enough posts for each DELETE to cancel a different one: a generous multiple of POST's rate.
          const rate = Math.max((result.createPost?.requestsPerSecond ?? 1000) * 3, 2000);
          const deletions = Math.min(
            200_000,
            Math.ceil(rate * (options.durationMs + options.warmupMs) / 1000),
          );
          log(`making ${deletions} posts to cancel…`);
          const toDelete = await createScheduledPosts(fixtures, deletions);
          result.deletePost = await measureApi('delete', {
            next: () => {
              const id = toDelete.pop();
              return id === undefined ? null : { method: 'DELETE', path: `/posts/${id}`, headers: auth };
            },
          });
        }
        results.push(result);
        for (const route of ['post', 'bare-post']) {
          const file = profile(route);
          if (!file || !routes.has('post')) continue;
          log(`\n${runtime} ${route}: ${file}\n${formatProfileSummary(await readProfileSummary(file, 15))}`);
        }
      } finally {
        await stopServer(server.child);
      }
    }
    const [row] = await db.sql<{ count: number }[]>`select count(*)::int as count from public.posts`;
    log(`${row?.count} posts were in the throw-away database`);
  } finally {
    for (const prefix of [queuePrefix, bareQueuePrefix]) {
      await deleteKeys(redis, `{${prefix}}:*`).catch((err) => log(`could not delete the bench keys: ${err}`));
    }
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

export async function main(args: string[]): Promise<void> {
  const summaryFile = optionValue(args, 'profile-summary');
  if (summaryFile) {
    console.log(
      formatProfileSummary(await readProfileSummary(summaryFile, Number(optionValue(args, 'top') ?? 25))),
    );
    return;
  }
  const options = parseOptions(args);
  const results = await runApiBench(args);
  console.log(
    JSON.stringify(
      {
        benchmark: 'api',
        connections: options.connections,
        durationMs: options.durationMs,
        rounds: options.rounds,
        preparedStatements: options.prepared,
        targets: { requestsPerSecondVsBare: TARGET_RATIO, p99VsBare: TARGET_P99_RATIO },
        results,
      },
      null,
      2,
    ),
  );
  if (!options.jsonOnly) console.log(`\n${formatTable(results)}`);
}

if (process.argv[1] === SCRIPT) await main(process.argv.slice(2));
