/**
 * The two sides every scenario compares, on either store:
 * - the worker rig: startWorker with the in-memory store, or with createPostgresPostStore on a pool of
 *   its own whose statements and round trips are counted (counted-postgres.ts); posts are created
 *   through the store and scheduled with createBullPostScheduler, as the API does;
 * - the raw rig: raw BullMQ, one job per target. On the memory store its processor only calls the
 *   platform. On Postgres it is the physical minimum: the processor claims the target with one
 *   conditional UPDATE, calls the platform, and records the result with a second UPDATE — the one
 *   durable write a correct system cannot skip, on real rows inserted in bulk beforehand.
 * Both sides log nothing (the worker logs at info level into a discarding sink: serialisation costs,
 * terminal I/O does not).
 */
import process from 'node:process';
import { Queue, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Sql } from 'postgres';
import { loadConfig } from '../../src/config/load-config.ts';
import { PLATFORMS } from '../../src/domain/platform.ts';
import type { Post } from '../../src/domain/post.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createBullPostScheduler } from '../../src/queue/bull-post-scheduler.ts';
import { createMemoryPostStore } from '../../src/store/memory-post-store.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import type { TokenCipher } from '../../src/store/token-cipher.ts';
import { createTokenCipher, randomKey, toBase64Url } from '../../src/store/token-cipher.ts';
import { startWorker } from '../../src/worker/start-worker.ts';
import type { RunningWorker } from '../../src/worker/start-worker.ts';
import { createBenchUser, insertPendingTargets, truncatePosts } from './bench-database.ts';
import { benchPublishers, callPlatform } from './bench-platform.ts';
import { deletePrefix, uniquePrefix } from './bench-stats.ts';
import { connectBenchPostgres, createCounters, warmPool } from './counted-postgres.ts';
import type { RoundTripCounters } from './counted-postgres.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const CONCURRENCY = 50;

export type StoreKind = 'memory' | 'postgres';

/** What a runtime's scenarios share with --store postgres: the database and its set-up side. */
export interface PgContext {
  url: string;
  /** The worker's and the minimum's pool size (each side, each process). */
  poolMax: number;
  prepare: boolean;
  /** Uncounted pool for set-up (accounts, posts, bulk rows) and truncation. */
  setupSql: Sql;
  setupStore: PostStore;
  cipher: TokenCipher;
  /** The cipher's key, base64url, for worker processes that must read the same accounts. */
  cipherKey: string;
  userId: string;
  accounts: { id: string; platform: string }[];
  close(): Promise<void>;
}

export interface BenchContext {
  store: StoreKind;
  platformUrl: string;
  pg: PgContext | null;
}

export async function createPgContext(url: string, poolMax: number, prepare: boolean): Promise<PgContext> {
  const key = randomKey();
  const cipher = await createTokenCipher(key);
  const setupSql = connectBenchPostgres(url, { max: 8, prepare });
  const setupStore = createPostgresPostStore({ sql: setupSql, cipher });
  const userId = await createBenchUser(setupSql);
  const accounts = await createAccounts(setupStore, userId);
  return {
    url,
    poolMax,
    prepare,
    setupSql,
    setupStore,
    cipher,
    cipherKey: toBase64Url(key),
    userId,
    accounts,
    close: () => setupSql.end({ timeout: 5 }),
  };
}

async function createAccounts(store: PostStore, userId: string): Promise<{ id: string; platform: string }[]> {
  const accounts = [];
  for (const platform of PLATFORMS) {
    const account = await store.createAccount({
      userId,
      platform,
      externalId: `${platform}-bench`,
      tokens: { accessToken: 'bench', refreshToken: null, expiresAt: null },
    });
    accounts.push({ id: account.id, platform });
  }
  return accounts;
}

/**
 * How long before a scenario's due time its set-up must start: the memory store's lead is today's
 * (`memoryMsPerPost` per post); Postgres creates each post in a transaction, eight at a time.
 */
export function leadMs(ctx: BenchContext, posts: number, baseMs: number, memoryMsPerPost: number): number {
  return baseMs + posts * (ctx.store === 'memory' ? memoryMsPerPost : PG_MS_PER_POST);
}
const PG_MS_PER_POST = 6;

/** Runs `fn` over 0..count-1, `parallel` at a time, results in order. */
export async function inParallel<T>(
  count: number,
  parallel: number,
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

export function workerConfig(
  ctx: { store: StoreKind; pgUrl?: string },
  queuePrefix: string,
) {
  return loadConfig({
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    WORKER_CONCURRENCY: String(CONCURRENCY),
    PUBLISH_TIMEOUT_MS: '30000',
    STUCK_AFTER_MS: '300000',
    ...(ctx.store === 'memory' ? { USE_MOCK_DB: 'true' } : {
      USE_MOCK_DB: 'false',
      DATABASE_URL: ctx.pgUrl,
      // Any valid key: the store gets its cipher directly.
      TOKEN_ENCRYPTION_KEY: btoa(String.fromCharCode(...randomKey())),
      // The reconciler's periodic pass is not part of publishing a target: it is kept out of the
      // counts (its start-up pass runs before anything is scheduled).
      RECONCILE_INTERVAL_MS: '86400000',
    }),
  });
}

const silentLogger = () => createLogger({ level: 'info', destination: { write() {} } });

/** A worker on the Postgres store, on a counted pool of its own (also a burst10k worker process). */
export interface PostgresWorker {
  worker: RunningWorker;
  store: PostStore;
  counters: RoundTripCounters;
  close(): Promise<void>;
}

export async function startPostgresWorker(options: {
  url: string;
  poolMax: number;
  prepare: boolean;
  cipher: TokenCipher;
  queuePrefix: string;
  platformUrl: string;
  starts: Map<string, number>;
  ends: Map<string, number>;
}): Promise<PostgresWorker> {
  const counters = createCounters();
  const sql = connectBenchPostgres(options.url, { max: options.poolMax, prepare: options.prepare, counters });
  await warmPool(sql, options.poolMax);
  const store = createPostgresPostStore({ sql, cipher: options.cipher });
  const worker = await startWorker(
    workerConfig({ store: 'postgres', pgUrl: options.url }, options.queuePrefix),
    {
      store,
      publishers: benchPublishers(options.platformUrl, options.starts, options.ends),
      logger: silentLogger(),
    },
  );
  return {
    worker,
    store,
    counters,
    async close() {
      await worker.close();
      await sql.end({ timeout: 5 });
    },
  };
}

export interface WorkerRig {
  starts: Map<string, number>;
  ends: Map<string, number>;
  /** Statements and round trips of the worker's pool; null on the memory store. */
  counters: RoundTripCounters | null;
  schedule(count: number, at: (i: number) => number, targetsPerPost?: number): Promise<Post[]>;
  stop(): Promise<void>;
}

export async function startWorkerRig(ctx: BenchContext, queuePrefix: string): Promise<WorkerRig> {
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  let store: PostStore;
  let accountIds: string[];
  let userId: string;
  let counters: RoundTripCounters | null = null;
  let close: () => Promise<void>;
  if (ctx.pg) {
    const pg = ctx.pg;
    const running = await startPostgresWorker({
      url: pg.url,
      poolMax: pg.poolMax,
      prepare: pg.prepare,
      cipher: pg.cipher,
      queuePrefix,
      platformUrl: ctx.platformUrl,
      starts,
      ends,
    });
    // Posts are created on the set-up pool: only the worker's own statements are counted.
    store = pg.setupStore;
    accountIds = pg.accounts.map((a) => a.id);
    userId = pg.userId;
    counters = running.counters;
    close = async () => {
      await running.close();
      await truncatePosts(pg.setupSql);
    };
  } else {
    const memory = createMemoryPostStore({ cipher: await createTokenCipher(randomKey()) });
    store = memory;
    userId = crypto.randomUUID();
    accountIds = (await createAccounts(memory, userId)).map((a) => a.id);
    const worker = await startWorker(workerConfig({ store: 'memory' }, queuePrefix), {
      store: memory,
      publishers: benchPublishers(ctx.platformUrl, starts, ends),
      logger: silentLogger(),
    });
    close = () => worker.close();
  }
  const producerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const producer = createBullPostScheduler({ connection: producerConnection, queuePrefix });
  const createAndSchedule = async (i: number, at: (i: number) => number, targetsPerPost: number) => {
    const post = await store.createPost({
      userId,
      text: `bench post ${i}`,
      media: [],
      scheduledAt: new Date(at(i)),
      // One target per post rotates through the platforms.
      accountIds: targetsPerPost === 1
        ? [accountIds[i % accountIds.length]!]
        : accountIds.slice(0, targetsPerPost),
    });
    await producer.schedule(post);
    return post;
  };
  return {
    starts,
    ends,
    counters,
    async schedule(count, at, targetsPerPost = 3) {
      if (ctx.store === 'memory') {
        // Today's set-up, one post after the other.
        const posts: Post[] = [];
        for (let i = 0; i < count; i++) posts.push(await createAndSchedule(i, at, targetsPerPost));
        return posts;
      }
      return await inParallel(count, 8, (i) => createAndSchedule(i, at, targetsPerPost));
    },
    async stop() {
      await close();
      await producer.close();
      await deletePrefix(producerConnection, `{${queuePrefix}}`);
      await producerConnection.quit();
    },
  };
}

// ── raw BullMQ, and the physical minimum ─────────────────────────────────────────────────────────────

export interface RawJobData {
  /** The target the minimum claims; absent on the memory store. */
  targetId?: string;
  n: number;
}

/**
 * The physical minimum's processor: claim (compare-and-set, as any correct worker must), send, record.
 * A claim that finds nothing to take would mean the bench is broken, so it throws.
 */
export function createMinimumProcessor(
  sql: Sql,
  platformUrl: string,
  starts: Map<string, number>,
  ends: Map<string, number>,
): (job: Job<RawJobData>) => Promise<void> {
  return async function publishMinimum(job) {
    const id = job.data.targetId!;
    const claimed = await sql`
      update public.post_targets
      set status = 'publishing', claim_token = ${crypto.randomUUID()}, claimed_at = clock_timestamp(),
          attempts = attempts + 1
      where id = ${id} and status = 'pending'
      returning id`;
    if (claimed.length !== 1) throw new Error(`bench minimum: target ${id} was not pending`);
    starts.set(job.id!, Date.now());
    const published = await callPlatform(platformUrl, id);
    ends.set(job.id!, Date.now());
    await sql`
      update public.post_targets
      set status = 'published', external_id = ${published.externalId}, published_at = now(), claim_token = null
      where id = ${id}`;
  };
}

export interface RawRig {
  starts: Map<string, number>;
  ends: Map<string, number>;
  /** Due time per job id. */
  due: Map<string, number>;
  counters: RoundTripCounters | null;
  add(count: number, at: (i: number) => number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Raw jobs (one per target) on a queue `raw` under `prefix`: the job id is the target id on Postgres
 * (its rows inserted here first), `job-<i>` on the memory store. Also used by the parent of the
 * burst10k worker processes, which consume the queue elsewhere (`consume: false`).
 */
export async function addRawJobs(
  ctx: BenchContext,
  queue: Queue<RawJobData>,
  count: number,
  at: (i: number) => number,
  due: Map<string, number>,
): Promise<void> {
  const targetIds = ctx.pg
    ? await insertPendingTargets(
      ctx.pg.setupSql,
      ctx.pg.userId,
      ctx.pg.accounts,
      count,
      (i) => new Date(at(i)),
    )
    : null;
  const batch = [];
  for (let i = 0; i < count; i++) {
    const id = targetIds ? targetIds[i]! : `job-${i}`;
    due.set(id, at(i));
    batch.push({
      name: 'publish',
      data: targetIds ? { n: i, targetId: id } : { n: i },
      opts: { jobId: id, delay: Math.max(0, at(i) - Date.now()) },
    });
    if (batch.length === 500 || i === count - 1) await queue.addBulk(batch.splice(0));
  }
}

export async function startRawRig(ctx: BenchContext, label: string): Promise<RawRig> {
  const prefix = `{${uniquePrefix(label)}}`;
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue<RawJobData>('raw', { connection, prefix });
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  const due = new Map<string, number>();
  const counters = ctx.pg ? createCounters() : null;
  const sql = ctx.pg
    ? connectBenchPostgres(ctx.pg.url, { max: ctx.pg.poolMax, prepare: ctx.pg.prepare, counters: counters! })
    : null;
  if (sql) await warmPool(sql, ctx.pg!.poolMax);
  const processor = sql
    ? createMinimumProcessor(sql, ctx.platformUrl, starts, ends)
    : async (job: Job<RawJobData>) => {
      starts.set(job.id!, Date.now());
      await callPlatform(ctx.platformUrl, job.id!);
      ends.set(job.id!, Date.now());
    };
  const worker = new Worker<RawJobData>('raw', processor, { connection, prefix, concurrency: CONCURRENCY });
  worker.on('error', () => {});
  await worker.waitUntilReady();
  return {
    starts,
    ends,
    due,
    counters,
    add: (count, at) => addRawJobs(ctx, queue, count, at, due),
    async stop() {
      await worker.close();
      await queue.close();
      await deletePrefix(connection, prefix);
      await connection.quit();
      if (sql) {
        await sql.end({ timeout: 5 });
        await truncatePosts(ctx.pg!.setupSql);
      }
    },
  };
}
