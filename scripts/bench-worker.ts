/**
 * `npm run bench -- worker`: the publishing worker against raw BullMQ doing the same shape of work, in
 * the same run, under Node and under Deno (one child process per runtime). Not a test: numbers vary by
 * machine; the ratios are what to watch.
 *
 * Scenarios (both sides call the same local fake platform over HTTP; it answers after 50 ms):
 * - throughput: posts × 3 targets due at once, concurrency 50 → targets/s vs raw BullMQ jobs/s; three
 *   rounds per side in alternating order, medians compared (see `throughput`);
 * - burst: 5,000 targets due at the same instant → time until the last publish started, p50/p99 start
 *   lateness;
 * - sparse: 200 posts spread over 10 s → p50/p99 start lateness;
 * - memory: Redis bytes per scheduled post with 3 targets (MEMORY USAGE of every key under the prefix,
 *   divided by the posts) vs a raw BullMQ delayed job (ids only, and a typical job carrying the post).
 *
 * Both sides get discarded warm-up rounds first (see runScenarios), and the throughput scenario also
 * reports CPU milliseconds per target/job (process.cpuUsage over the run): on a shared machine the
 * wall-clock rates move with the load, the CPU cost per target much less.
 *
 * The worker uses the in-memory store (no database round trips) and logs at info level into a discarding
 * sink (serialisation costs, terminal I/O does not). Raw BullMQ: one job per target (throughput, burst)
 * or per post (sparse, memory), a processor that only calls the platform, default options.
 * Redis is REDIS_URL (default redis://127.0.0.1:6379); every key lives under a unique prefix and is
 * deleted afterwards.
 *
 *   npm run bench -- worker [--runtimes node,deno] [--json-only] [--scale 1]
 *                           [--only throughput,burst,sparse,memory]
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/load-config.ts';
import type { Platform } from '../src/domain/platform.ts';
import { PLATFORMS } from '../src/domain/platform.ts';
import type { Post } from '../src/domain/post.ts';
import { createLogger } from '../src/observability/logger.ts';
import { PublishError } from '../src/platforms/publish-error.ts';
import type { Published, Publisher, PublishRequest } from '../src/platforms/publisher.ts';
import type { PublisherRegistry } from '../src/platforms/registry.ts';
import { createBullPostScheduler } from '../src/queue/bull-post-scheduler.ts';
import { createMemoryPostStore } from '../src/store/memory-post-store.ts';
import type { PostStore } from '../src/store/post-store.ts';
import { createTokenCipher, randomKey } from '../src/store/token-cipher.ts';
import { startWorker } from '../src/worker/start-worker.ts';

const SCRIPT = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PLATFORM_LATENCY_MS = 50;
const CONCURRENCY = 50;

type Runtime = 'node' | 'deno';

interface Side {
  [metric: string]: number;
}
interface ScenarioResult {
  worker: Side;
  raw: Side;
}
export interface RuntimeResult {
  runtime: Runtime;
  throughput: ScenarioResult & { ratio: number; roundRatios: number[] };
  burst: ScenarioResult & { drainRatio: number };
  sparse: ScenarioResult & { p99DiffMs: number };
  memory: { workerBytesPerPost: number; rawIdsBytesPerJob: number; rawPayloadBytesPerJob: number };
}

// ── the fake platform ────────────────────────────────────────────────────────────────────────────────

/**
 * The platform runs in its own process (started with `--platform`), as a real platform is remote:
 * in the bench's process its timers would be delayed by whichever side keeps the event loop busier.
 */
async function startPlatform(): Promise<{ url: string; close(): Promise<void> }> {
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  const [cmd, args] = deno
    ? [deno.execPath(), ['run', '--allow-all', SCRIPT, '--platform']]
    : [process.execPath, ['--import', 'tsx', SCRIPT, '--platform']];
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const match = /listening (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`the bench platform exited with ${code}`)));
  });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function servePlatform(): Promise<void> {
  let seq = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        const id = `p-${++seq}`;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ externalId: id, url: null }),
        );
      }, PLATFORM_LATENCY_MS);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  console.log(`listening http://127.0.0.1:${port}/publish`);
  process.on('SIGTERM', () => process.exit(0));
}

async function callPlatform(url: string, body: string, signal?: AbortSignal): Promise<Published> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    signal,
  });
  return await res.json() as Published;
}

/** Records when each target's publish started and when the platform answered. */
function benchPublishers(
  url: string,
  starts: Map<string, number>,
  ends: Map<string, number>,
): PublisherRegistry {
  const make = (platform: Platform): Publisher => ({
    platform,
    maxTextLength: 3000,
    textLength: (t) => t.length,
    validate: () => [],
    async publish(request: PublishRequest) {
      starts.set(request.targetId, Date.now());
      const published = await callPlatform(url, JSON.stringify({ t: request.targetId }), request.signal);
      ends.set(request.targetId, Date.now());
      return published;
    },
    needsRefresh: () => false,
    refresh: () => Promise.reject(new PublishError('auth_expired', 'no refresh in the bench', { platform })),
    authorizationUrl: () => '',
    exchangeCode: () =>
      Promise.reject(new PublishError('auth_expired', 'no oauth in the bench', { platform })),
  });
  return Object.fromEntries(PLATFORMS.map((p) => [p, make(p)])) as Record<Platform, Publisher>;
}

// ── helpers ──────────────────────────────────────────────────────────────────────────────────────────

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function uniquePrefix(label: string): string {
  return `bench-${label}-${crypto.randomUUID().slice(0, 8)}`;
}

async function deletePrefix(redis: Redis, braced: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${braced}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

async function prefixBytes(redis: Redis, braced: string): Promise<number> {
  let cursor = '0';
  let total = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${braced}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) total += Number(await redis.memory('USAGE', key, 'SAMPLES', 0)) || 0;
  } while (cursor !== '0');
  return total;
}

/**
 * CPU time (ms, user + system) this process spends from `fromMs` until `work` resolves: what one side
 * costs per target, which wall-clock rates on a shared machine hide.
 */
async function cpuWhile(fromMs: number, work: () => Promise<void>): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, fromMs - 20 - Date.now())));
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// ── our worker ───────────────────────────────────────────────────────────────────────────────────────

interface WorkerRig {
  store: PostStore;
  starts: Map<string, number>;
  ends: Map<string, number>;
  schedule(count: number, at: (i: number) => number): Promise<Post[]>;
  stop(): Promise<void>;
}

async function startWorkerRig(platformUrl: string, queuePrefix: string): Promise<WorkerRig> {
  const store = createMemoryPostStore({ cipher: await createTokenCipher(randomKey()) });
  const userId = crypto.randomUUID();
  const accounts: { id: string }[] = [];
  for (const platform of PLATFORMS) {
    accounts.push(
      await store.createAccount({
        userId,
        platform,
        externalId: `${platform}-bench`,
        tokens: { accessToken: 'bench', refreshToken: null, expiresAt: null },
      }),
    );
  }
  const config = loadConfig({
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    USE_MOCK_DB: 'true',
    WORKER_CONCURRENCY: String(CONCURRENCY),
    PUBLISH_TIMEOUT_MS: '30000',
    STUCK_AFTER_MS: '300000',
  });
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  const logger = createLogger({ level: 'info', destination: { write() {} } });
  const worker = await startWorker(config, {
    store,
    publishers: benchPublishers(platformUrl, starts, ends),
    logger,
  });
  const producerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const producer = createBullPostScheduler({ connection: producerConnection, queuePrefix });
  return {
    store,
    starts,
    ends,
    async schedule(count, at) {
      const posts: Post[] = [];
      for (let i = 0; i < count; i++) {
        const post = await store.createPost({
          userId,
          text: `bench post ${i}`,
          media: [],
          scheduledAt: new Date(at(i)),
          accountIds: accounts.map((a) => a.id),
        });
        await producer.schedule(post);
        posts.push(post);
      }
      return posts;
    },
    async stop() {
      await worker.close();
      await producer.close();
      await deletePrefix(producerConnection, `{${queuePrefix}}`);
      await producerConnection.quit();
    },
  };
}

// ── raw BullMQ ───────────────────────────────────────────────────────────────────────────────────────

interface RawRig {
  starts: Map<string, number>;
  ends: Map<string, number>;
  due: Map<string, number>;
  queue: Queue;
  add(count: number, at: (i: number) => number): Promise<void>;
  stop(): Promise<void>;
}

async function startRawRig(platformUrl: string, label: string): Promise<RawRig> {
  const prefix = `{${uniquePrefix(label)}}`;
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('raw', { connection, prefix });
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  const due = new Map<string, number>();
  const worker = new Worker('raw', async (job) => {
    starts.set(job.id!, Date.now());
    await callPlatform(platformUrl, JSON.stringify({ t: job.id }));
    ends.set(job.id!, Date.now());
  }, { connection, prefix, concurrency: CONCURRENCY });
  worker.on('error', () => {});
  await worker.waitUntilReady();
  return {
    starts,
    ends,
    due,
    queue,
    async add(count, at) {
      const batch = [];
      for (let i = 0; i < count; i++) {
        const id = `job-${i}`;
        due.set(id, at(i));
        batch.push({
          name: 'publish',
          data: { n: i },
          opts: { jobId: id, delay: Math.max(0, at(i) - Date.now()) },
        });
        if (batch.length === 500 || i === count - 1) await queue.addBulk(batch.splice(0));
      }
    },
    async stop() {
      await worker.close();
      await queue.close();
      await deletePrefix(connection, prefix);
      await connection.quit();
    },
  };
}

// ── scenarios ────────────────────────────────────────────────────────────────────────────────────────

interface RoundResult {
  seconds: number;
  perSecond: number;
  meanInFlight: number;
  cpuMsPerUnit: number;
}

function roundResult(
  units: number,
  starts: Map<string, number>,
  ends: Map<string, number>,
  cpuMs: number,
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
  };
}

/** One round of our worker: `posts` × 3 targets due at once. */
async function workerThroughputRound(platformUrl: string, posts: number): Promise<RoundResult> {
  const targets = posts * 3;
  const rig = await startWorkerRig(platformUrl, uniquePrefix('tp'));
  try {
    const dueAt = Date.now() + 1000 + posts * 2;
    await rig.schedule(posts, () => dueAt);
    const cpu = await cpuWhile(
      dueAt,
      () => waitUntil(() => rig.ends.size >= targets, 120_000, 'worker throughput'),
    );
    return roundResult(targets, rig.starts, rig.ends, cpu);
  } finally {
    await rig.stop();
  }
}

/** One round of raw BullMQ: as many jobs as the worker round has targets, due at once. */
async function rawThroughputRound(platformUrl: string, jobs: number): Promise<RoundResult> {
  const raw = await startRawRig(platformUrl, 'tp-raw');
  try {
    const dueAt = Date.now() + 1000 + jobs;
    await raw.add(jobs, () => dueAt);
    const cpu = await cpuWhile(
      dueAt,
      () => waitUntil(() => raw.ends.size >= jobs, 120_000, 'raw throughput'),
    );
    return roundResult(jobs, raw.starts, raw.ends, cpu);
  } finally {
    await raw.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * `rounds` rounds per side, in alternating order (worker first, then raw first, …), each side's median
 * reported: whichever side runs second in a pair inherits a warmer JIT, open keep-alive connections and
 * a quieter machine or a busier one, and a single round moved the ratio by ±0.1 between runs.
 */
async function throughput(
  platformUrl: string,
  posts: number,
  rounds: number,
): Promise<RuntimeResult['throughput']> {
  const targets = posts * 3;
  const ours: RoundResult[] = [];
  const raw: RoundResult[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      ours.push(await workerThroughputRound(platformUrl, posts));
      raw.push(await rawThroughputRound(platformUrl, targets));
    } else {
      raw.push(await rawThroughputRound(platformUrl, targets));
      ours.push(await workerThroughputRound(platformUrl, posts));
    }
  }
  const pick = (list: RoundResult[], key: keyof RoundResult, digits = 1) =>
    round(median(list.map((r) => r[key])), digits);
  const workerRate = median(ours.map((r) => r.perSecond));
  const rawRate = median(raw.map((r) => r.perSecond));
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
  };
}

async function burst(platformUrl: string, targets: number): Promise<RuntimeResult['burst']> {
  const posts = Math.ceil(targets / 3);
  const rig = await startWorkerRig(platformUrl, uniquePrefix('burst'));
  const dueAt = Date.now() + 2000 + posts * 3;
  await rig.schedule(posts, () => dueAt);
  if (Date.now() > dueAt) throw new Error('bench: scheduling the burst took longer than its lead time');
  await waitUntil(() => rig.starts.size >= posts * 3, 180_000, 'worker burst');
  const workerLate = [...rig.starts.values()].map((t) => t - dueAt);
  await rig.stop();

  const raw = await startRawRig(platformUrl, 'burst-raw');
  const rawDue = Date.now() + 2000 + targets;
  await raw.add(posts * 3, () => rawDue);
  await waitUntil(() => raw.starts.size >= posts * 3, 180_000, 'raw burst');
  const rawLate = [...raw.starts.values()].map((t) => t - rawDue);
  await raw.stop();

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

async function sparse(
  platformUrl: string,
  posts: number,
  spreadMs: number,
): Promise<RuntimeResult['sparse']> {
  const step = spreadMs / posts;
  const rig = await startWorkerRig(platformUrl, uniquePrefix('sparse'));
  const base = Date.now() + 1000 + posts * 2;
  const scheduled = await rig.schedule(posts, (i) => base + i * step);
  await waitUntil(() => rig.starts.size >= posts * 3, spreadMs + 60_000, 'worker sparse');
  const dueByTarget = new Map(
    scheduled.flatMap((p) => p.targets.map((t) => [t.id, p.scheduledAt.getTime()])),
  );
  const workerLate = [...rig.starts.entries()].map(([id, t]) => t - dueByTarget.get(id)!);
  await rig.stop();

  const raw = await startRawRig(platformUrl, 'sparse-raw');
  const rawBase = Date.now() + 1000;
  await raw.add(posts, (i) => rawBase + i * step);
  await waitUntil(() => raw.starts.size >= posts, spreadMs + 60_000, 'raw sparse');
  const rawLate = [...raw.starts.entries()].map(([id, t]) => t - raw.due.get(id)!);
  await raw.stop();

  const worker = {
    targets: workerLate.length,
    p50Ms: percentile(workerLate, 50),
    p99Ms: percentile(workerLate, 99),
  };
  const rawSide = { jobs: rawLate.length, p50Ms: percentile(rawLate, 50), p99Ms: percentile(rawLate, 99) };
  return { worker, raw: rawSide, p99DiffMs: worker.p99Ms - rawSide.p99Ms };
}

async function memory(posts: number): Promise<RuntimeResult['memory']> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  try {
    const ours = uniquePrefix('mem');
    const producer = createBullPostScheduler({ connection: redis, queuePrefix: ours });
    const store = createMemoryPostStore({ cipher: await createTokenCipher(randomKey()) });
    const userId = crypto.randomUUID();
    const accountIds: string[] = [];
    for (const platform of PLATFORMS) {
      const account = await store.createAccount({
        userId,
        platform,
        externalId: `${platform}-bench`,
        tokens: { accessToken: 'bench', refreshToken: null, expiresAt: null },
      });
      accountIds.push(account.id);
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

const SKIPPED = { worker: {}, raw: {} };

export async function runScenarios(
  runtime: Runtime,
  scale: number,
  only: string[] | null,
): Promise<RuntimeResult> {
  const platform = await startPlatform();
  const wanted = (name: string) => only === null || only.includes(name);
  try {
    // Warm-up, both sides in both orders, results discarded: without it the side that ran second
    // inherited what the first had paid for — JIT-compiled ioredis/BullMQ/fetch code and open keep-alive
    // connections to the platform — and 100 posts left the worker's own code not yet fully optimised.
    if (wanted('throughput') || wanted('burst')) await throughput(platform.url, 300, 2);
    const tp = wanted('throughput')
      ? await throughput(platform.url, Math.round(1000 * scale), 3)
      : { ...SKIPPED, ratio: NaN, roundRatios: [] };
    const bu = wanted('burst')
      ? await burst(platform.url, Math.round(5000 * scale))
      : { ...SKIPPED, drainRatio: NaN };
    const sp = wanted('sparse') ? await sparse(platform.url, 200, 10_000) : { ...SKIPPED, p99DiffMs: NaN };
    const mem = wanted('memory')
      ? await memory(Math.round(1000 * scale))
      : { workerBytesPerPost: NaN, rawIdsBytesPerJob: NaN, rawPayloadBytesPerJob: NaN };
    return { runtime, throughput: tp, burst: bu, sparse: sp, memory: mem };
  } finally {
    await platform.close();
  }
}

// ── the parent: one child per runtime, then the report ────────────────────────────────────────────────

function runChild(runtime: Runtime, scale: number, only: string | null): Promise<RuntimeResult> {
  const common = ['--child', runtime, '--scale', String(scale), ...(only ? ['--only', only] : [])];
  const [cmd, args] = runtime === 'node'
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
      if (code !== 0) return reject(new Error(`${runtime} bench exited with ${code}: ${out.slice(-2000)}`));
      try {
        resolve(JSON.parse(last) as RuntimeResult);
      } catch {
        reject(new Error(`${runtime} bench printed no result: ${out.slice(-2000)}`));
      }
    });
  });
}

function table(results: RuntimeResult[]): string {
  const rows: string[][] = [[
    'metric',
    ...results.flatMap((r) => [`${r.runtime} worker`, `${r.runtime} raw`]),
  ]];
  // A scenario left out with --only has no numbers: a dash, not "undefined".
  const cell = (v: unknown) => String(v).replace(/undefined|null|NaN/g, '—');
  const add = (label: string, pick: (r: RuntimeResult) => [unknown, unknown]) =>
    rows.push([label, ...results.flatMap((r) => pick(r).map(cell))]);
  add(
    'throughput (targets|jobs /s)',
    (r) => [r.throughput.worker.targetsPerSecond, r.throughput.raw.jobsPerSecond],
  );
  add('  ratio worker/raw (≥ 0.9)', (r) => [r.throughput.ratio, '']);
  add('burst: last start (ms)', (r) => [r.burst.worker.lastStartMs, r.burst.raw.lastStartMs]);
  add('  drain ratio (≤ 1.5)', (r) => [r.burst.drainRatio, '']);
  add('burst: p50 / p99 lateness (ms)', (r) => [
    `${r.burst.worker.p50Ms} / ${r.burst.worker.p99Ms}`,
    `${r.burst.raw.p50Ms} / ${r.burst.raw.p99Ms}`,
  ]);
  add('sparse: p50 / p99 lateness (ms)', (r) => [
    `${r.sparse.worker.p50Ms} / ${r.sparse.worker.p99Ms}`,
    `${r.sparse.raw.p50Ms} / ${r.sparse.raw.p99Ms}`,
  ]);
  add('  p99 difference (≤ 10 ms)', (r) => [r.sparse.p99DiffMs, '']);
  add('Redis bytes per scheduled post', (r) => [
    r.memory.workerBytesPerPost,
    `${r.memory.rawIdsBytesPerJob} (ids) / ${r.memory.rawPayloadBytesPerJob} (post)`,
  ]);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

export async function main(args: string[]): Promise<void> {
  if (args.includes('--platform')) return await servePlatform();
  const scaleAt = args.indexOf('--scale');
  const scale = scaleAt >= 0 ? Number(args[scaleAt + 1]) : 1;
  const childAt = args.indexOf('--child');
  if (childAt >= 0) {
    const onlyAt = args.indexOf('--only');
    const only = onlyAt >= 0 ? args[onlyAt + 1]!.split(',') : null;
    const result = await runScenarios(args[childAt + 1] as Runtime, scale, only);
    console.log(JSON.stringify(result));
    return;
  }
  const runtimesAt = args.indexOf('--runtimes');
  const runtimes = (runtimesAt >= 0 ? args[runtimesAt + 1]!.split(',') : ['node', 'deno']) as Runtime[];
  const results: RuntimeResult[] = [];
  for (const runtime of runtimes) {
    if (!args.includes('--json-only')) console.error(`running the worker bench under ${runtime}…`);
    const onlyAt = args.indexOf('--only');
    results.push(await runChild(runtime, scale, onlyAt >= 0 ? args[onlyAt + 1]! : null));
  }
  const node = results.find((r) => r.runtime === 'node');
  const deno = results.find((r) => r.runtime === 'deno');
  const denoVsNode = node && deno
    ? {
      throughputRatio: round(
        deno.throughput.worker.targetsPerSecond! / node.throughput.worker.targetsPerSecond!,
        2,
      ),
      // The same comparison for raw BullMQ: how much of the gap is the runtime's (its fetch, mostly).
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
