/**
 * `npm run bench -- shard`: how many BullMQ jobs per second one shard — the Redis master that owns a
 * QUEUE_PREFIX's hash slot — takes, and what it costs that master in CPU. Every key of a prefix carries
 * its `{hash tag}`, so however many masters a cluster has, one prefix's queues live on one of them:
 * this is the ceiling of one prefix (docs/operations.md, "Capacity: one prefix is one shard").
 *
 * Raw BullMQ, no app code: per round, `--jobs` ids-only jobs are added with addBulk in batches of
 * `--batch`, delayed so that they all come due together (as a minute's scheduled posts do), then one
 * Worker with a trivial processor at `--concurrency` promotes and runs them all. Measured per phase:
 * jobs/s, and the owning master's CPU from INFO cpu (used_cpu_sys + used_cpu_user, and the main
 * thread's share, which is the part that cannot grow past one core). `ceilingJobsPerSec` is what that
 * main-thread cost per job allows at 100 % of one core — the shard's limit once the producers and
 * workers run on other machines than Redis.
 *
 * Redis: a cluster when REDIS_CLUSTER_NODES (or TEST_REDIS_CLUSTER_NODES) is set, else REDIS_URL.
 * Connections come from the app's factory (createRedisConnection). Keys live under a unique prefix and
 * are deleted afterwards; nothing else is touched. On a Redis that others use, its CPU readings
 * include their load.
 *
 *   npm run bench -- shard [--jobs 20000] [--batch 1000] [--concurrency 200] [--rounds 3]
 *                          [--due-after-ms 3000] [--json-only]
 */
import process from 'node:process';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadConfig } from '../src/config/load-config.ts';
import { closeRedisConnection, createRedisConnection, isClusterClient } from '../src/queue/redis-options.ts';
import type { RedisClient } from '../src/queue/redis-options.ts';
import { describeRedisTarget } from '../src/queue/redis-target.ts';

const QUEUE = 'posts';

interface Options {
  jobs: number;
  batch: number;
  concurrency: number;
  rounds: number;
  dueAfterMs: number;
}

interface CpuReading {
  total: number;
  main: number | null;
}

interface Phase {
  jobsPerSec: number;
  /** Redis CPU (all threads) over the phase, in % of one core. */
  redisCpuPct: number;
  /** The main thread's CPU over the phase, in % of one core (Redis 7; null when INFO lacks it). */
  redisMainCpuPct: number | null;
  /** The owning master's main-thread CPU per job. */
  redisMainCpuUsPerJob: number | null;
  /** This process's CPU (producer or worker side), in % of one core. */
  clientCpuPct: number;
}

interface Round {
  /** The master that owns this round's prefix slot (`host:port`), and the slot (null on one server). */
  owner: string;
  slot: number | null;
  add: Phase;
  process: Phase;
  /** Jobs per second at 100 % of one core of the owner's main thread, adding and processing each job. */
  ceilingJobsPerSec: number | null;
}

export interface ShardResult {
  target: 'single' | 'cluster';
  where: string;
  options: Options;
  rounds: Round[];
  median: { addJobsPerSec: number; processJobsPerSec: number; ceilingJobsPerSec: number | null };
}

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
  return value;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The master that holds `key`'s slot: the client itself on one server. */
async function ownerOf(client: RedisClient, key: string): Promise<{ server: Redis; slot: number | null }> {
  if (!isClusterClient(client)) return { server: client, slot: null };
  const slot = Number(await client.cluster('KEYSLOT', key));
  const nodeKey = client.slots[slot]?.[0];
  const server = client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === nodeKey);
  if (!server) throw new Error(`no master found for slot ${slot} (${nodeKey})`);
  return { server, slot };
}

async function readCpu(server: Redis): Promise<CpuReading> {
  const info = await server.info('cpu');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info);
    return match ? Number(match[1]) : null;
  };
  const main = field('used_cpu_sys_main_thread');
  const mainUser = field('used_cpu_user_main_thread');
  return {
    total: (field('used_cpu_sys') ?? 0) + (field('used_cpu_user') ?? 0),
    main: main === null || mainUser === null ? null : main + mainUser,
  };
}

async function measure(server: Redis, jobs: number, run: () => Promise<void>): Promise<Phase> {
  const cpuBefore = await readCpu(server);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const cpuAfter = await readCpu(server);
  const mainSeconds = cpuAfter.main !== null && cpuBefore.main !== null
    ? cpuAfter.main - cpuBefore.main
    : null;
  return {
    jobsPerSec: round(jobs / seconds),
    redisCpuPct: round(((cpuAfter.total - cpuBefore.total) / seconds) * 100, 1),
    redisMainCpuPct: mainSeconds === null ? null : round((mainSeconds / seconds) * 100, 1),
    redisMainCpuUsPerJob: mainSeconds === null ? null : round((mainSeconds * 1e6) / jobs, 1),
    clientCpuPct: round(((client.user + client.system) / 1e6 / seconds) * 100, 1),
  };
}

async function deletePrefix(client: RedisClient, prefix: string): Promise<void> {
  const servers = isClusterClient(client) ? client.nodes('master') : [client];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      // One hash tag, one slot: a multi-key DEL is allowed on a cluster too.
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  }
}

async function runRound(client: RedisClient, options: Options): Promise<Round> {
  const prefix = `{bench-shard-${crypto.randomUUID().slice(0, 8)}}`;
  const { server, slot } = await ownerOf(client, `${prefix}:${QUEUE}:id`);
  const owner = `${server.options.host}:${server.options.port}`;
  const queue = new Queue(QUEUE, { connection: client, prefix, streams: { events: { maxLen: 100 } } });
  queue.on('error', () => {});
  try {
    const dueAt = Date.now() + options.dueAfterMs;
    const add = await measure(server, options.jobs, async () => {
      for (let n = 0; n < options.jobs; n += options.batch) {
        const delay = Math.max(0, dueAt - Date.now());
        const size = Math.min(options.batch, options.jobs - n);
        await queue.addBulk(Array.from({ length: size }, (_, i) => ({
          name: 'post',
          data: { p: `p${n + i}`, v: 1 },
          opts: { jobId: `post-${n + i}-v1`, delay },
        })));
      }
    });
    // Until the jobs are due nothing runs; the processing phase starts when they are.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt - Date.now())));
    let done = 0;
    let finish!: () => void;
    const allDone = new Promise<void>((resolve) => (finish = resolve));
    const worker = new Worker(QUEUE, () => {
      if (++done === options.jobs) finish();
      return Promise.resolve();
    }, {
      connection: client,
      prefix,
      concurrency: options.concurrency,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 0 },
      autorun: false,
    });
    worker.on('error', () => {});
    try {
      const processed = await measure(server, options.jobs, async () => {
        void worker.run();
        await allDone;
      });
      const perJob = add.redisMainCpuUsPerJob !== null && processed.redisMainCpuUsPerJob !== null
        ? add.redisMainCpuUsPerJob + processed.redisMainCpuUsPerJob
        : null;
      return { owner, slot, add, process: processed, ceilingJobsPerSec: perJob ? round(1e6 / perJob) : null };
    } finally {
      await worker.close();
    }
  } finally {
    await queue.close();
    await deletePrefix(client, prefix);
  }
}

function table(result: ShardResult): string {
  const rows: string[][] = [[
    'round',
    'owner (slot)',
    'phase',
    'jobs/s',
    'Redis CPU %',
    'main thread %',
    'µs/job',
    'bench CPU %',
  ]];
  const cell = (v: unknown) => (v === null || v === undefined ? '—' : String(v));
  result.rounds.forEach((r, i) => {
    for (const [name, phase] of [['add', r.add], ['process', r.process]] as const) {
      rows.push([
        String(i + 1),
        `${r.owner} (${r.slot ?? '—'})`,
        name,
        cell(phase.jobsPerSec),
        cell(phase.redisCpuPct),
        cell(phase.redisMainCpuPct),
        cell(phase.redisMainCpuUsPerJob),
        cell(phase.clientCpuPct),
      ]);
    }
    rows.push([String(i + 1), '', 'ceiling', cell(r.ceilingJobsPerSec), '', '100 (one core)', '', '']);
  });
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const lines = rows.map((row) => row.map((text, c) => text.padEnd(widths[c]!)).join('  '));
  return [
    `${result.where}: ${result.options.jobs} jobs per round, concurrency ${result.options.concurrency}`,
    ...lines,
    `median: add ${result.median.addJobsPerSec} jobs/s, process ${result.median.processJobsPerSec} jobs/s, ` +
    `ceiling ${cell(result.median.ceilingJobsPerSec)} jobs/s`,
  ].join('\n');
}

export async function main(args: string[]): Promise<void> {
  const options: Options = {
    jobs: option(args, 'jobs', 20_000),
    batch: option(args, 'batch', 1000),
    concurrency: option(args, 'concurrency', 200),
    rounds: option(args, 'rounds', 3),
    dueAfterMs: option(args, 'due-after-ms', 3000),
  };
  const clusterNodes = process.env.REDIS_CLUSTER_NODES ?? process.env.TEST_REDIS_CLUSTER_NODES;
  const config = loadConfig({
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...(clusterNodes ? { REDIS_CLUSTER_NODES: clusterNodes } : {}),
  });
  // The worker role: BullMQ's Worker needs maxRetriesPerRequest null, and the adds may wait out a blip.
  const client = createRedisConnection(config.redis, 'worker', 'solospark-bench-shard');
  client.on('error', () => {});
  try {
    await client.ping();
    const rounds: Round[] = [];
    for (let i = 0; i < options.rounds; i++) {
      if (!args.includes('--json-only')) console.error(`round ${i + 1} of ${options.rounds}…`);
      rounds.push(await runRound(client, options));
    }
    const ceilings = rounds.map((r) => r.ceilingJobsPerSec).filter((c): c is number => c !== null);
    const result: ShardResult = {
      target: config.redis.kind,
      where: describeRedisTarget(config.redis),
      options,
      rounds,
      median: {
        addJobsPerSec: median(rounds.map((r) => r.add.jobsPerSec)),
        processJobsPerSec: median(rounds.map((r) => r.process.jobsPerSec)),
        ceilingJobsPerSec: ceilings.length > 0 ? median(ceilings) : null,
      },
    };
    console.log(JSON.stringify(result, null, 2));
    if (!args.includes('--json-only')) console.log(`\n${table(result)}`);
  } finally {
    await closeRedisConnection(client);
  }
}
