/**
 * The in-process scenarios of the worker bench (burst10k, with its worker processes, is in
 * burst10k.ts). Each compares the worker rig with the raw rig (bench-rigs.ts) on the same platform:
 * - throughput: posts × 3 targets due at once, concurrency 50 → targets/s vs raw jobs/s; rounds in
 *   alternating order, medians compared; on Postgres also statements, transactions and round trips per
 *   target of each side (counted from the due time until every target is settled in the database);
 * - burst: targets due at the same instant → time until the last publish started, p50/p99 lateness;
 * - sparse: 200 posts spread over 10 s → p50/p99 start lateness (raw: a job per post on the memory
 *   store as before; the minimum: a job per target, three due at each post's time);
 * - memory: Redis bytes per scheduled post with 3 targets vs a raw BullMQ delayed job;
 * - roundtrips (Postgres): the same counts with nothing overlapping — posts due one at a time — where
 *   no other target's statements can share a round trip.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createBullPostScheduler } from '../../src/queue/bull-post-scheduler.ts';
import { createMemoryPostStore } from '../../src/store/memory-post-store.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import { PLATFORMS } from '../../src/domain/platform.ts';
import { truncatePosts } from './bench-database.ts';
import { leadMs, REDIS_URL, startRawRig, startWorkerRig } from './bench-rigs.ts';
import type { BenchContext, PgContext, RawRig, WorkerRig } from './bench-rigs.ts';
import {
  cpuWhile,
  deletePrefix,
  median,
  percentile,
  pollUntil,
  prefixBytes,
  round,
  uniquePrefix,
  waitUntil,
} from './bench-stats.ts';
import { addCounters, countersJson, perTarget, resetCounters } from './counted-postgres.ts';
import type { CountersJson, PerTarget } from './counted-postgres.ts';

export interface Side {
  [metric: string]: number;
}
export interface ScenarioResult {
  worker: Side;
  raw: Side;
}
export interface RoundTripsResult {
  worker: PerTarget;
  raw: PerTarget;
}
export type ThroughputResult = ScenarioResult & {
  ratio: number;
  roundRatios: number[];
  /** Postgres only: per target over the measured rounds (all targets succeed on the first attempt). */
  roundTrips: RoundTripsResult | null;
};
export type BurstResult = ScenarioResult & { drainRatio: number };
export type SparseResult = ScenarioResult & { p99DiffMs: number };
export interface MemoryResult {
  workerBytesPerPost: number;
  rawIdsBytesPerJob: number;
  rawPayloadBytesPerJob: number;
}
/** Postgres only: counts with one post (or one job) in flight at a time. */
export interface IsolatedRoundTrips {
  /** Posts with three targets each, due 250 ms apart (after an uncounted warm-up). */
  worker3: PerTarget;
  /** Posts with one target each, due 150 ms apart. */
  worker1: PerTarget;
  /** Minimum jobs due 150 ms apart. */
  raw: PerTarget;
}

function checkLead(dueAt: number, what: string): void {
  if (Date.now() > dueAt - 20) {
    throw new Error(
      `bench: setting up ${what} took longer than its lead time; raise PG_MS_PER_POST (bench-rigs.ts)`,
    );
  }
}

/**
 * Waits until the database has recorded `targets` published targets and, for the worker, rolled every
 * post up (the minimum has no roll-up): the counters are read after the last statement.
 */
async function waitSettled(
  pg: PgContext,
  targets: number,
  rolledUp: boolean,
  timeoutMs: number,
): Promise<void> {
  await pollUntil(
    async () => {
      const [row] = await pg.setupSql<{ published: number; open: number }[]>`
      select (select count(*)::int from public.post_targets where status = 'published') as published,
             (select count(*)::int from public.posts where status in ('scheduled', 'publishing')) as open`;
      return row!.published >= targets && (!rolledUp || row!.open === 0);
    },
    timeoutMs,
    'targets settled in the database',
    20,
  );
}

interface RoundResult {
  seconds: number;
  perSecond: number;
  meanInFlight: number;
  cpuMsPerUnit: number;
  counts: CountersJson | null;
}

function roundResult(
  units: number,
  starts: Map<string, number>,
  ends: Map<string, number>,
  cpuMs: number,
  counts: CountersJson | null,
): RoundResult {
  const seconds = (Math.max(...ends.values()) - Math.min(...starts.values())) / 1000;
  // Mean number of platform calls in flight: how much of the concurrency was used.
  let busyMs = 0;
  for (const [id, end] of ends) busyMs += end - starts.get(id)!;
  return {
    seconds,
    perSecond: units / seconds,
    meanInFlight: busyMs / 1000 / seconds,
    cpuMsPerUnit: cpuMs / units,
    counts,
  };
}

/** One round of our worker: `posts` × 3 targets due at once. */
async function workerThroughputRound(ctx: BenchContext, posts: number): Promise<RoundResult> {
  const targets = posts * 3;
  const rig = await startWorkerRig(ctx, uniquePrefix('tp'));
  try {
    const dueAt = Date.now() + leadMs(ctx, posts, 1000, 2);
    await rig.schedule(posts, () => dueAt);
    checkLead(dueAt, 'the throughput round');
    const cpu = await cpuWhile(
      dueAt,
      () => waitUntil(() => rig.ends.size >= targets, 120_000, 'worker throughput'),
      () => rig.counters && resetCounters(rig.counters),
    );
    if (ctx.pg) await waitSettled(ctx.pg, targets, true, 60_000);
    return roundResult(targets, rig.starts, rig.ends, cpu, rig.counters && countersJson(rig.counters));
  } finally {
    await rig.stop();
  }
}

/** One round of the raw side: as many jobs as the worker round has targets, due at once. */
async function rawThroughputRound(ctx: BenchContext, jobs: number): Promise<RoundResult> {
  const raw = await startRawRig(ctx, 'tp-raw');
  try {
    const dueAt = Date.now() + 1000 + jobs;
    await raw.add(jobs, () => dueAt);
    checkLead(dueAt, 'the raw throughput round');
    const cpu = await cpuWhile(
      dueAt,
      () => waitUntil(() => raw.ends.size >= jobs, 120_000, 'raw throughput'),
      () => raw.counters && resetCounters(raw.counters),
    );
    if (ctx.pg) await waitSettled(ctx.pg, jobs, false, 60_000);
    return roundResult(jobs, raw.starts, raw.ends, cpu, raw.counters && countersJson(raw.counters));
  } finally {
    await raw.stop();
  }
}

/**
 * `rounds` rounds per side, in alternating order (worker first, then raw first, …), each side's median
 * reported: whichever side runs second in a pair inherits a warmer JIT, open keep-alive connections and
 * a quieter machine or a busier one, and a single round moved the ratio by ±0.1 between runs.
 */
export async function throughput(
  ctx: BenchContext,
  posts: number,
  rounds: number,
): Promise<ThroughputResult> {
  const targets = posts * 3;
  const ours: RoundResult[] = [];
  const raw: RoundResult[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      ours.push(await workerThroughputRound(ctx, posts));
      raw.push(await rawThroughputRound(ctx, targets));
    } else {
      raw.push(await rawThroughputRound(ctx, targets));
      ours.push(await workerThroughputRound(ctx, posts));
    }
  }
  const pick = (list: RoundResult[], key: 'seconds' | 'meanInFlight' | 'cpuMsPerUnit', digits = 1) =>
    round(median(list.map((r) => r[key])), digits);
  const workerRate = median(ours.map((r) => r.perSecond));
  const rawRate = median(raw.map((r) => r.perSecond));
  const counted = (list: RoundResult[]) =>
    perTarget(addCounters(list.map((r) => r.counts!)), targets * rounds);
  return {
    worker: {
      targets,
      rounds,
      seconds: pick(ours, 'seconds', 2),
      targetsPerSecond: round(workerRate),
      meanInFlight: pick(ours, 'meanInFlight'),
      cpuMsPerTarget: pick(ours, 'cpuMsPerUnit', 3),
    },
    raw: {
      jobs: targets,
      rounds,
      seconds: pick(raw, 'seconds', 2),
      jobsPerSecond: round(rawRate),
      meanInFlight: pick(raw, 'meanInFlight'),
      cpuMsPerJob: pick(raw, 'cpuMsPerUnit', 3),
    },
    ratio: round(workerRate / rawRate, 2),
    roundRatios: ours.map((r, i) => round(r.perSecond / raw[i]!.perSecond, 2)),
    roundTrips: ctx.pg ? { worker: counted(ours), raw: counted(raw) } : null,
  };
}

export async function burst(ctx: BenchContext, targets: number): Promise<BurstResult> {
  const posts = Math.ceil(targets / 3);
  const rig = await startWorkerRig(ctx, uniquePrefix('burst'));
  let workerLate: number[];
  try {
    const dueAt = Date.now() + leadMs(ctx, posts, 2000, 3);
    await rig.schedule(posts, () => dueAt);
    checkLead(dueAt, 'the burst');
    await waitUntil(() => rig.starts.size >= posts * 3, 180_000, 'worker burst');
    workerLate = [...rig.starts.values()].map((t) => t - dueAt);
  } finally {
    await rig.stop();
  }

  const raw = await startRawRig(ctx, 'burst-raw');
  let rawLate: number[];
  try {
    const rawDue = Date.now() + 2000 + targets;
    await raw.add(posts * 3, () => rawDue);
    checkLead(rawDue, 'the raw burst');
    await waitUntil(() => raw.starts.size >= posts * 3, 180_000, 'raw burst');
    rawLate = [...raw.starts.values()].map((t) => t - rawDue);
  } finally {
    await raw.stop();
  }

  const workerDrain = Math.max(...workerLate);
  const rawDrain = Math.max(...rawLate);
  return {
    worker: {
      targets: posts * 3,
      lastStartMs: workerDrain,
      p50Ms: percentile(workerLate, 50),
      p99Ms: percentile(workerLate, 99),
    },
    raw: {
      jobs: posts * 3,
      lastStartMs: rawDrain,
      p50Ms: percentile(rawLate, 50),
      p99Ms: percentile(rawLate, 99),
    },
    drainRatio: round(workerDrain / rawDrain, 2),
  };
}

export async function sparse(ctx: BenchContext, posts: number, spreadMs: number): Promise<SparseResult> {
  const step = spreadMs / posts;
  const rig = await startWorkerRig(ctx, uniquePrefix('sparse'));
  let workerLate: number[];
  try {
    const base = Date.now() + leadMs(ctx, posts, 1000, 2);
    const scheduled = await rig.schedule(posts, (i) => base + i * step);
    checkLead(base, 'the sparse scenario');
    await waitUntil(() => rig.starts.size >= posts * 3, spreadMs + 60_000, 'worker sparse');
    const dueByTarget = new Map(
      scheduled.flatMap((p) => p.targets.map((t) => [t.id, p.scheduledAt.getTime()])),
    );
    workerLate = [...rig.starts.entries()].map(([id, t]) => t - dueByTarget.get(id)!);
  } finally {
    await rig.stop();
  }

  const raw = await startRawRig(ctx, 'sparse-raw');
  let rawLate: number[];
  try {
    const rawBase = Date.now() + (ctx.pg ? 1500 : 1000);
    // The minimum sends targets, so it gets the worker's three per post; raw BullMQ one job per post.
    if (ctx.pg) await raw.add(posts * 3, (i) => rawBase + Math.floor(i / 3) * step);
    else await raw.add(posts, (i) => rawBase + i * step);
    checkLead(rawBase, 'the raw sparse scenario');
    const jobs = ctx.pg ? posts * 3 : posts;
    await waitUntil(() => raw.starts.size >= jobs, spreadMs + 60_000, 'raw sparse');
    rawLate = [...raw.starts.entries()].map(([id, t]) => t - raw.due.get(id)!);
  } finally {
    await raw.stop();
  }

  const worker = {
    targets: workerLate.length,
    p50Ms: percentile(workerLate, 50),
    p99Ms: percentile(workerLate, 99),
  };
  const rawSide = { jobs: rawLate.length, p50Ms: percentile(rawLate, 50), p99Ms: percentile(rawLate, 99) };
  return { worker, raw: rawSide, p99DiffMs: worker.p99Ms - rawSide.p99Ms };
}

export async function memory(ctx: BenchContext, posts: number): Promise<MemoryResult> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  try {
    const ours = uniquePrefix('mem');
    const producer = createBullPostScheduler({ connection: redis, queuePrefix: ours });
    let store: PostStore;
    let userId: string;
    let accountIds: string[];
    if (ctx.pg) {
      store = ctx.pg.setupStore;
      userId = ctx.pg.userId;
      accountIds = ctx.pg.accounts.map((a) => a.id);
    } else {
      store = createMemoryPostStore({ cipher: await createTokenCipher(randomKey()) });
      userId = crypto.randomUUID();
      accountIds = [];
      for (const platform of PLATFORMS) {
        const account = await store.createAccount({
          userId,
          platform,
          externalId: `${platform}-bench`,
          tokens: { accessToken: 'bench', refreshToken: null, expiresAt: null },
        });
        accountIds.push(account.id);
      }
    }
    const text = 'x'.repeat(280);
    for (let i = 0; i < posts; i++) {
      const post = await store.createPost({
        userId,
        text,
        media: [],
        scheduledAt: new Date(Date.now() + 3_600_000),
        accountIds,
      });
      await producer.schedule(post);
    }
    const workerBytes = await prefixBytes(redis, `{${ours}}`);
    await producer.close();
    await deletePrefix(redis, `{${ours}}`);
    if (ctx.pg) await truncatePosts(ctx.pg.setupSql);

    const rawBytes = async (data: (i: number) => Record<string, unknown>) => {
      const prefix = `{${uniquePrefix('mem-raw')}}`;
      const queue = new Queue('raw', { connection: redis, prefix });
      for (let i = 0; i < posts; i += 500) {
        await queue.addBulk(
          Array.from({ length: Math.min(500, posts - i) }, (_, k) => ({
            name: 'publish',
            data: data(i + k),
            opts: { delay: 3_600_000 },
          })),
        );
      }
      const bytes = await prefixBytes(redis, prefix);
      await queue.close();
      await deletePrefix(redis, prefix);
      return bytes / posts;
    };
    const rawIds = await rawBytes(() => ({ postId: crypto.randomUUID() }));
    const rawPayload = await rawBytes(() => ({
      postId: crypto.randomUUID(),
      text,
      targets: accountIds.map((accountId, k) => ({ accountId, platform: PLATFORMS[k] })),
    }));
    return {
      workerBytesPerPost: Math.round(workerBytes / posts),
      rawIdsBytesPerJob: Math.round(rawIds),
      rawPayloadBytesPerJob: Math.round(rawPayload),
    };
  } finally {
    await redis.quit();
  }
}

/**
 * Counts of one side from `firstDue` until `settledTotal` targets are settled, per `measured` target.
 * Set-up first sends a warm-up batch due at once, settled before `firstDue` and not counted, so every
 * pooled connection has prepared the statements, as in a long-running worker (otherwise a statement's
 * first use on a connection adds a round trip).
 */
async function isolatedCounts(
  rig: WorkerRig | RawRig,
  pg: PgContext,
  warmUpTargets: number,
  measured: number,
  firstDue: number,
  rolledUp: boolean,
): Promise<PerTarget> {
  await waitSettled(pg, warmUpTargets, false, 60_000);
  checkLead(firstDue, 'the round-trip count (its warm-up)');
  await cpuWhile(
    firstDue,
    () => waitSettled(pg, warmUpTargets + measured, rolledUp, 60_000),
    () => resetCounters(rig.counters!),
  );
  return perTarget(countersJson(rig.counters!), measured);
}

/** Warm-up units per side (due at once, so they spread over the pool's connections). */
const WARM_UP = 30;

export async function isolatedRoundTrips(ctx: BenchContext, posts: number): Promise<IsolatedRoundTrips> {
  const pg = ctx.pg!;
  const runWorker = async (targetsPerPost: number, stepMs: number) => {
    const rig = await startWorkerRig(ctx, uniquePrefix('rt'));
    try {
      const warmAt = Date.now() + leadMs(ctx, WARM_UP + posts, 1000, 2);
      const base = warmAt + 1500;
      await rig.schedule(
        WARM_UP + posts,
        (i) => i < WARM_UP ? warmAt : base + (i - WARM_UP) * stepMs,
        targetsPerPost,
      );
      checkLead(warmAt, 'the round-trip count');
      return await isolatedCounts(rig, pg, WARM_UP * targetsPerPost, posts * targetsPerPost, base, true);
    } finally {
      await rig.stop();
    }
  };
  const worker3 = await runWorker(3, 250);
  const worker1 = await runWorker(1, 150);
  const raw = await startRawRig(ctx, 'rt-raw');
  try {
    const warmAt = Date.now() + 1000;
    const base = warmAt + 1500;
    await raw.add(WARM_UP + posts, (i) => i < WARM_UP ? warmAt : base + (i - WARM_UP) * 150);
    checkLead(warmAt, 'the raw round-trip count');
    return { worker3, worker1, raw: await isolatedCounts(raw, pg, WARM_UP, posts, base, false) };
  } finally {
    await raw.stop();
  }
}
