/**
 * The burst10k scenario (Postgres only): 10,000 targets (3,334 posts × 3) due at the same instant,
 * drained by ONE worker process and then by TWO — separate OS processes (`--worker-process`) running
 * startWorker on the Postgres store, same database and queue prefix, concurrency 50 and a pool of
 * `--pool` connections each — and the same for the physical minimum. The parent creates and schedules
 * the posts; the fake platform records every send, since only it sees all the processes' sends.
 *
 * Reported per run: drain (due → the platform's last answer), settled (due → every target published
 * and every post rolled up in the database, polled every 20 ms), the last start, p50/p99 start lateness
 * (the platform's arrival times), statements and round trips per target (summed over the processes'
 * counted pools), and CPU over the run as percent of one core: each worker process, this database's
 * Postgres backends, Redis (INFO cpu; shared with whoever else uses it), the platform, this process, and
 * the whole machine (of `cores` × 100).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import process from 'node:process';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createBullPostScheduler } from '../../src/queue/bull-post-scheduler.ts';
import { createTokenCipher, fromBase64Url } from '../../src/store/token-cipher.ts';
import { truncatePosts } from './bench-database.ts';
import type { PlatformHandle } from './bench-platform.ts';
import {
  addRawJobs,
  CONCURRENCY,
  createMinimumProcessor,
  inParallel,
  leadMs,
  REDIS_URL,
  startPostgresWorker,
} from './bench-rigs.ts';
import type { BenchContext, PgContext, RawJobData } from './bench-rigs.ts';
import { ROOT, runtimeCommand } from './bench-runtime.ts';
import { deletePrefix, percentile, pollUntil, round, sleep, uniquePrefix } from './bench-stats.ts';
import {
  addCounters,
  connectBenchPostgres,
  countersJson,
  createCounters,
  perTarget,
  resetCounters,
  warmPool,
} from './counted-postgres.ts';
import type { CountersJson, PerTarget } from './counted-postgres.ts';
import { databaseBackendPids, groupPercent, machinePercent, sampleCpu } from './process-cpu.ts';
import type { CpuSample } from './process-cpu.ts';

type Kind = 'worker' | 'minimum';

/** What a `--worker-process` child runs; passed in BENCH_WORKER_SPEC (JSON). */
interface WorkerProcessSpec {
  kind: Kind;
  url: string;
  poolMax: number;
  prepare: boolean;
  cipherKey: string;
  queuePrefix: string;
  platformUrl: string;
}
const SPEC_ENV = 'BENCH_WORKER_SPEC';

export interface Burst10kRun {
  kind: Kind;
  processes: number;
  targets: number;
  drainMs: number;
  settledMs: number;
  lastStartMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Percent of one core over due → settled. */
  cpu: {
    workers: (number | null)[];
    postgres: number | null;
    redis: number;
    platform: number | null;
    bench: number | null;
    machine: number | null;
    /** machine − the processes above: other work on the machine (and Postgres's own background). */
    others: number | null;
  };
  /**
   * CPU ms per target of this run's own processes (workers summed, Postgres backends, Redis) and the rate
   * they would allow if they had every core to themselves: cores × 1000 / total. When the machine is
   * near cores × 100 % busy, that — not the worker's code — bounds the drain.
   */
  cpuMsPerTarget: {
    workers: number;
    postgres: number;
    redis: number;
    total: number;
    cpuBoundPerSecond: number;
  };
  perTarget: PerTarget;
}

export interface Burst10kResult {
  cores: number;
  poolMax: number;
  runs: Burst10kRun[];
  /** drain with one process / drain with two (≥ 1.6 wanted). */
  speedUp: number;
  /** The same for the minimum: what the machine allows. */
  rawSpeedUp: number;
  /** worker drain / minimum drain, one process. */
  drainRatio: number;
}

// ── the child ────────────────────────────────────────────────────────────────────────────────────────

/** `--worker-process`: run until told to stop on stdin; `reset` zeroes the counters, `stop` prints them. */
export async function runWorkerProcess(): Promise<void> {
  const spec = JSON.parse(process.env[SPEC_ENV]!) as WorkerProcessSpec;
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  let counters = createCounters();
  let close: () => Promise<void>;
  if (spec.kind === 'worker') {
    const running = await startPostgresWorker({
      ...spec,
      cipher: await createTokenCipher(fromBase64Url(spec.cipherKey)),
      starts,
      ends,
    });
    counters = running.counters;
    close = () => running.close();
  } else {
    const sql = connectBenchPostgres(spec.url, { max: spec.poolMax, prepare: spec.prepare, counters });
    await warmPool(sql, spec.poolMax);
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const worker = new Worker<RawJobData>(
      'raw',
      createMinimumProcessor(sql, spec.platformUrl, starts, ends),
      {
        connection,
        prefix: `{${spec.queuePrefix}}`,
        concurrency: CONCURRENCY,
      },
    );
    worker.on('error', () => {});
    await worker.waitUntilReady();
    close = async () => {
      await worker.close();
      await connection.quit();
      await sql.end({ timeout: 5 });
    };
  }
  console.log('ready');
  // The parent gone (killed, Ctrl-C): stdin ends, and so does this process.
  process.stdin.on('end', () => process.exit(1));
  let buffered = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', async (chunk: string) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line === 'reset') resetCounters(counters);
      if (line === 'stop') {
        const counts = countersJson(counters);
        await close();
        process.stdout.write(`counters ${JSON.stringify(counts)}\n`, () => process.exit(0));
      }
    }
  });
}

// ── the parent ───────────────────────────────────────────────────────────────────────────────────────

interface WorkerProcess {
  pid: number;
  send(line: string): void;
  stop(): Promise<CountersJson>;
  kill(): void;
}

async function spawnWorkerProcess(spec: WorkerProcessSpec): Promise<WorkerProcess> {
  const [cmd, args] = runtimeCommand(['--worker-process']);
  const child: ChildProcess = spawn(cmd, args, {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, [SPEC_ENV]: JSON.stringify(spec) },
  });
  let out = '';
  const lines: ((line: string) => void)[] = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    out += chunk;
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl).trim();
      out = out.slice(nl + 1);
      for (const listener of lines) listener(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitLine = (prefix: string, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`bench: worker process said no "${prefix}"`)),
        timeoutMs,
      );
      lines.push((line) => {
        if (line.startsWith(prefix)) {
          clearTimeout(timer);
          resolve(line);
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`bench: worker process exited with ${code} before "${prefix}"`));
      });
    });
  await waitLine('ready', 60_000);
  return {
    pid: child.pid!,
    send: (line) => void child.stdin!.write(`${line}\n`),
    async stop() {
      const reply = waitLine('counters ', 60_000);
      child.stdin!.write('stop\n');
      const line = await reply;
      await exited;
      return JSON.parse(line.slice('counters '.length)) as CountersJson;
    },
    kill: () => void child.kill('SIGKILL'),
  };
}

function cpuShares(
  before: CpuSample,
  after: CpuSample,
  workerPids: number[],
  pgPids: number[],
  platformPid: number,
): Burst10kRun['cpu'] {
  const seconds = (after.atMs - before.atMs) / 1000;
  const workers = workerPids.map((pid) => groupPercent(before, after, [pid]));
  const postgres = groupPercent(before, after, pgPids);
  const redis = Math.round((after.redisMs - before.redisMs) / 10 / seconds);
  const platform = groupPercent(before, after, [platformPid]);
  const bench = groupPercent(before, after, [process.pid]);
  const machine = machinePercent(before, after, os.cpus().length);
  const ours = [...workers, postgres, redis, platform, bench].reduce<number>((a, b) => a + (b ?? 0), 0);
  return {
    workers,
    postgres,
    redis,
    platform,
    bench,
    machine,
    others: machine === null ? null : machine - ours,
  };
}

function cpuPerTarget(
  cpu: Burst10kRun['cpu'],
  seconds: number,
  targets: number,
): Burst10kRun['cpuMsPerTarget'] {
  const ms = (percent: number) => round((percent / 100) * seconds * 1000 / targets, 3);
  const workers = ms(cpu.workers.reduce<number>((a, b) => a + (b ?? 0), 0));
  const postgres = ms(cpu.postgres ?? 0);
  const redis = ms(cpu.redis);
  const total = round(workers + postgres + redis, 3);
  return {
    workers,
    postgres,
    redis,
    total,
    cpuBoundPerSecond: Math.round((os.cpus().length * 1000) / total),
  };
}

async function runOnce(
  ctx: BenchContext,
  pg: PgContext,
  platform: PlatformHandle,
  kind: Kind,
  processes: number,
  targets: number,
): Promise<Burst10kRun> {
  const queuePrefix = uniquePrefix(`b10k-${kind}-${processes}`);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const children: WorkerProcess[] = [];
  try {
    await platform.reset();
    const spec: WorkerProcessSpec = {
      kind,
      url: pg.url,
      poolMax: pg.poolMax,
      prepare: pg.prepare,
      cipherKey: pg.cipherKey,
      queuePrefix,
      platformUrl: platform.url,
    };
    children.push(...await Promise.all(Array.from({ length: processes }, () => spawnWorkerProcess(spec))));

    const posts = Math.ceil(targets / 3);
    let dueAt: number;
    if (kind === 'worker') {
      dueAt = Date.now() + leadMs(ctx, posts, 3000, 3);
      const producer = createBullPostScheduler({ connection: redis, queuePrefix });
      await inParallel(posts, 8, async (i) => {
        const post = await pg.setupStore.createPost({
          userId: pg.userId,
          text: `bench post ${i}`,
          media: [],
          scheduledAt: new Date(dueAt),
          accountIds: pg.accounts.map((a) => a.id),
        });
        await producer.schedule(post);
      });
      await producer.close();
    } else {
      dueAt = Date.now() + 3000 + targets;
      const queue = new Queue<RawJobData>('raw', { connection: redis, prefix: `{${queuePrefix}}` });
      await addRawJobs(ctx, queue, posts * 3, () => dueAt, new Map());
      await queue.close();
    }
    if (Date.now() > dueAt - 50) throw new Error('bench: setting up burst10k took longer than its lead time');

    await sleep(dueAt - 20 - Date.now());
    for (const child of children) child.send('reset');
    const benchPids = [...children.map((c) => c.pid), platform.pid, process.pid];
    const pgBefore = await databaseBackendPids(pg.setupSql);
    const before = await sampleCpu([...benchPids, ...pgBefore], redis);
    await pollUntil(async () => (await platform.count()) >= posts * 3, 300_000, 'the burst10k sends', 100);
    await pollUntil(
      async () => {
        const [row] = await pg.setupSql<{ published: number; open: number }[]>`
        select (select count(*)::int from public.post_targets where status = 'published') as published,
               (select count(*)::int from public.posts where status in ('scheduled', 'publishing')) as open`;
        return row!.published >= posts * 3 && (kind === 'minimum' || row!.open === 0);
      },
      120_000,
      'burst10k settled in the database',
      20,
    );
    const settledMs = Date.now() - dueAt;
    const pgAfter = await databaseBackendPids(pg.setupSql);
    const pgPids = [...new Set([...pgBefore, ...pgAfter])];
    const after = await sampleCpu([...benchPids, ...pgPids], redis);
    const counts = addCounters(await Promise.all(children.splice(0).map((c) => c.stop())));

    const cpu = cpuShares(before, after, benchPids.slice(0, processes), pgPids, platform.pid);
    const records = await platform.records();
    const late = records.map((r) => r.startMs - dueAt);
    return {
      kind,
      processes,
      targets: records.length,
      drainMs: Math.max(...records.map((r) => r.endMs)) - dueAt,
      settledMs,
      lastStartMs: Math.max(...late),
      p50Ms: percentile(late, 50),
      p99Ms: percentile(late, 99),
      cpu,
      cpuMsPerTarget: cpuPerTarget(cpu, (after.atMs - before.atMs) / 1000, posts * 3),
      perTarget: perTarget(counts, posts * 3),
    };
  } finally {
    for (const child of children) child.kill();
    await deletePrefix(redis, `{${queuePrefix}}`);
    await redis.quit();
    await truncatePosts(pg.setupSql);
  }
}

export async function burst10k(
  ctx: BenchContext,
  platform: PlatformHandle,
  targets: number,
): Promise<Burst10kResult> {
  const pg = ctx.pg!;
  const runs: Burst10kRun[] = [];
  // Interleaved, so a change in the machine's load touches both sides alike.
  for (const processes of [1, 2]) {
    for (const kind of ['worker', 'minimum'] as const) {
      runs.push(await runOnce(ctx, pg, platform, kind, processes, targets));
    }
  }
  const drain = (kind: Kind, processes: number) =>
    runs.find((r) => r.kind === kind && r.processes === processes)!.drainMs;
  return {
    cores: os.cpus().length,
    poolMax: pg.poolMax,
    runs,
    speedUp: round(drain('worker', 1) / drain('worker', 2), 2),
    rawSpeedUp: round(drain('minimum', 1) / drain('minimum', 2), 2),
    drainRatio: round(drain('worker', 1) / drain('minimum', 1), 2),
  };
}
