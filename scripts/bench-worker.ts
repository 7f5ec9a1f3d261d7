/**
 * `npm run bench -- worker`: the publishing worker against the least work that does the same job, in the
 * same run, under Node and under Deno (one child process per runtime). Not a test: numbers vary by
 * machine; the ratios are what to watch.
 *
 * `--store memory` (the default): the worker on the in-memory store (no database round trips) vs raw
 * BullMQ whose processor only calls the platform. `--store postgres`: the worker on
 * createPostgresPostStore vs the physical minimum — raw BullMQ whose processor claims the target with one
 * conditional UPDATE, calls the platform and records the result with a second (bench-worker/bench-rigs.ts),
 * on a throw-away database created on TEST_DATABASE_URL's server (default
 * postgres://postgres@127.0.0.1:5432/postgres), loaded with the Supabase shim and the migrations, and
 * dropped at the end, also on failure or Ctrl-C. Each side gets a pool of `--pool` connections (default
 * 10, production's default) with connectPostgres's options; prepared statements as connectPostgres
 * decides for the URL (on except on the transaction pooler's port 6543) unless `--prepare true|false`.
 *
 * Scenarios (both sides call the same local fake platform over HTTP, in its own process; it answers
 * after 50 ms) — bench-worker/bench-scenarios.ts and bench-worker/burst10k.ts:
 * - throughput: posts × 3 targets due at once, concurrency 50; three rounds per side, alternating;
 *   on Postgres with statements, transactions and round trips per target (counted-postgres.ts);
 * - burst: 5,000 targets due at the same instant → last start, p50/p99 start lateness;
 * - sparse: 200 posts spread over 10 s → p50/p99 start lateness;
 * - memory: Redis bytes per scheduled post with 3 targets vs a raw BullMQ delayed job;
 * - roundtrips (Postgres): round trips per target with one post in flight at a time;
 * - burst10k (Postgres): 10,000 targets due at once, drained by one and by two worker processes.
 *
 * Both sides get discarded warm-up rounds first (see runScenarios). Redis is REDIS_URL (default
 * redis://127.0.0.1:6379); every key lives under a prefix `{bench-<run>-…}` and is deleted afterwards.
 *
 *   npm run bench -- worker [--store memory|postgres] [--runtimes node,deno] [--json-only] [--scale 1]
 *                           [--only throughput,burst,sparse,memory,roundtrips,burst10k]
 *                           [--pool 10] [--prepare true|false]
 */
import { spawn } from 'node:child_process';
import process from 'node:process';
import { Redis } from 'ioredis';
import { createBenchDatabase, DEFAULT_ADMIN_URL } from './bench-worker/bench-database.ts';
import type { BenchDatabase } from './bench-worker/bench-database.ts';
import { servePlatform, startPlatform } from './bench-worker/bench-platform.ts';
import { table } from './bench-worker/bench-report.ts';
import type { RuntimeResult } from './bench-worker/bench-report.ts';
import { createPgContext, REDIS_URL } from './bench-worker/bench-rigs.ts';
import type { BenchContext, StoreKind } from './bench-worker/bench-rigs.ts';
import { ROOT, SCRIPT } from './bench-worker/bench-runtime.ts';
import type { Runtime } from './bench-worker/bench-runtime.ts';
import { burst, isolatedRoundTrips, memory, sparse, throughput } from './bench-worker/bench-scenarios.ts';
import { deleteMatching, round, RUN_TAG_ENV } from './bench-worker/bench-stats.ts';
import { burst10k, runWorkerProcess } from './bench-worker/burst10k.ts';

export type { RuntimeResult };

/** The throw-away database's URL, handed from the parent to its children. */
const DB_URL_ENV = 'BENCH_WORKER_DB_URL';

interface ChildOptions {
  runtime: Runtime;
  store: StoreKind;
  scale: number;
  only: string[] | null;
  poolMax: number;
  /** null: as connectPostgres decides for the URL. */
  prepare: boolean | null;
}

/** connectPostgres's rule (src/store/connect-postgres.ts): named statements except on the pooler. */
function preparesFor(url: string): boolean {
  return new URL(url).port !== '6543';
}

const SKIPPED = { worker: {}, raw: {} };

export async function runScenarios(options: ChildOptions): Promise<RuntimeResult> {
  const { runtime, store, scale, only } = options;
  const platform = await startPlatform();
  const wanted = (name: string) => only === null || only.includes(name);
  const dbUrl = process.env[DB_URL_ENV];
  if (store === 'postgres' && !dbUrl) throw new Error(`bench: --store postgres needs ${DB_URL_ENV}`);
  const prepare = dbUrl ? options.prepare ?? preparesFor(dbUrl) : false;
  const pg = store === 'postgres' ? await createPgContext(dbUrl!, options.poolMax, prepare) : null;
  const ctx: BenchContext = { store, platformUrl: platform.url, pg };
  try {
    // Warm-up, both sides in both orders, results discarded: without it the side that ran second
    // inherited what the first had paid for — JIT-compiled ioredis/BullMQ/fetch code and open keep-alive
    // connections to the platform — and 100 posts left the worker's own code not yet fully optimised.
    if (wanted('throughput') || wanted('burst') || wanted('burst10k')) await throughput(ctx, 300, 2);
    const tp = wanted('throughput')
      ? await throughput(ctx, Math.round(1000 * scale), 3)
      : { ...SKIPPED, ratio: NaN, roundRatios: [], roundTrips: null };
    const bu = wanted('burst') ? await burst(ctx, Math.round(5000 * scale)) : { ...SKIPPED, drainRatio: NaN };
    const b10 = pg && wanted('burst10k') ? await burst10k(ctx, platform, Math.round(10_000 * scale)) : null;
    const sp = wanted('sparse') ? await sparse(ctx, 200, 10_000) : { ...SKIPPED, p99DiffMs: NaN };
    const rt = pg && wanted('roundtrips') ? await isolatedRoundTrips(ctx, 30) : null;
    const mem = wanted('memory')
      ? await memory(ctx, Math.round(1000 * scale))
      : { workerBytesPerPost: NaN, rawIdsBytesPerJob: NaN, rawPayloadBytesPerJob: NaN };
    return {
      runtime,
      store,
      pool: pg ? { max: pg.poolMax, prepare: pg.prepare } : null,
      throughput: tp,
      burst: bu,
      sparse: sp,
      memory: mem,
      roundTrips: rt,
      burst10k: b10,
    };
  } finally {
    await pg?.close();
    await platform.close();
  }
}

// ── the parent: one child per runtime, then the report ────────────────────────────────────────────────

function runChild(options: ChildOptions): Promise<RuntimeResult> {
  const common = [
    '--child',
    options.runtime,
    '--store',
    options.store,
    '--scale',
    String(options.scale),
    '--pool',
    String(options.poolMax),
    ...(options.prepare === null ? [] : ['--prepare', String(options.prepare)]),
    ...(options.only ? ['--only', options.only.join(',')] : []),
  ];
  const [cmd, args] = options.runtime === 'node'
    ? [process.execPath, ['--import', 'tsx', SCRIPT, ...common]]
    : ['sh', [`${ROOT}scripts/deno.sh`, 'run', '--allow-all', SCRIPT, ...common]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args as string[], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) {
        return reject(new Error(`${options.runtime} bench exited with ${code}: ${out.slice(-2000)}`));
      }
      try {
        resolve(JSON.parse(last) as RuntimeResult);
      } catch {
        reject(new Error(`${options.runtime} bench printed no result: ${out.slice(-2000)}`));
      }
    });
  });
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

function parseOptions(args: string[]): Omit<ChildOptions, 'runtime'> {
  const store = (option(args, '--store') ?? 'memory') as StoreKind;
  if (store !== 'memory' && store !== 'postgres') {
    throw new Error(`bench: --store is memory or postgres, not ${store}`);
  }
  const prepare = option(args, '--prepare');
  if (prepare !== undefined && prepare !== 'true' && prepare !== 'false') {
    throw new Error(`bench: --prepare is true or false, not ${prepare}`);
  }
  return {
    store,
    scale: Number(option(args, '--scale') ?? 1),
    only: option(args, '--only')?.split(',') ?? null,
    poolMax: Number(option(args, '--pool') ?? 10),
    prepare: prepare === undefined ? null : prepare === 'true',
  };
}

/**
 * With --store postgres: the throw-away database, and clean-up of it and of this run's Redis keys on
 * every way out (normal end, failure, Ctrl-C or SIGTERM, which reach the children too).
 */
async function withRunResources<T>(store: StoreKind, work: () => Promise<T>): Promise<T> {
  const tag = crypto.randomUUID().slice(0, 8);
  process.env[RUN_TAG_ENV] = tag;
  let database: BenchDatabase | null = null;
  const cleanUp = async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    try {
      await deleteMatching(redis, `{bench-${tag}-`);
    } finally {
      await redis.quit();
    }
    await database?.drop();
  };
  const onSignal = (signal: string) => {
    console.error(`bench: ${signal}, cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  try {
    if (store === 'postgres') {
      database = await createBenchDatabase(process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL);
      process.env[DB_URL_ENV] = database.url;
    }
    return await work();
  } finally {
    await cleanUp();
  }
}

export async function main(args: string[]): Promise<void> {
  if (args.includes('--platform')) return await servePlatform();
  if (args.includes('--worker-process')) return await runWorkerProcess();
  const options = parseOptions(args);
  const child = option(args, '--child');
  if (child) {
    const result = await runScenarios({ ...options, runtime: child as Runtime });
    console.log(JSON.stringify(result));
    return;
  }
  const runtimes = (option(args, '--runtimes')?.split(',') ?? ['node', 'deno']) as Runtime[];
  const results = await withRunResources(options.store, async () => {
    const list: RuntimeResult[] = [];
    for (const runtime of runtimes) {
      if (!args.includes('--json-only')) {
        console.error(`running the worker bench under ${runtime} (--store ${options.store})…`);
      }
      list.push(await runChild({ ...options, runtime }));
    }
    return list;
  });
  const node = results.find((r) => r.runtime === 'node');
  const deno = results.find((r) => r.runtime === 'deno');
  const denoVsNode = node && deno
    ? {
      throughputRatio: round(
        deno.throughput.worker.targetsPerSecond! / node.throughput.worker.targetsPerSecond!,
        2,
      ),
      // The same comparison for the raw side: how much of the gap is the runtime's (its fetch, mostly).
      rawThroughputRatio: round(
        deno.throughput.raw.jobsPerSecond! / node.throughput.raw.jobsPerSecond!,
        2,
      ),
    }
    : null;
  console.log(JSON.stringify({ results, denoVsNode }, null, 2));
  if (!args.includes('--json-only')) console.log(`\n${table(results)}`);
}

if (process.argv[1] === SCRIPT || (import.meta as { main?: boolean }).main === true) {
  await main(process.argv.slice(2));
}
