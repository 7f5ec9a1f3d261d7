/**
 * Starts the publishing worker: two BullMQ workers (`posts` sends a post's targets at due time,
 * `publish` runs one target's retries, deferrals and recovery per job), the reconciler, and a graceful
 * `close()`.
 *
 * BullMQ settings that protect invariant 2, docs/operations.md (no duplicate post):
 * - `lockDuration` is above PUBLISH_TIMEOUT_MS plus a grace, so a live worker never loses a job's lock
 *   in the middle of a bounded send;
 * - a stalled job (its worker died) runs again at most once (`maxStalledCount: 1`): a post job adds a
 *   publish job per unsettled target, and a publish job that finds its target `publishing` reconciles
 *   with the platform instead of re-sending (publish-job.ts step 3); anything later is the
 *   reconciler's (STUCK_AFTER_MS);
 * - a post job may wait for send slots, but BullMQ renews its lock every lockDuration / 2 while it runs.
 *
 * Shutdown: `close()` stops fetching, lets active jobs finish for up to SHUTDOWN_TIMEOUT_MS, then aborts
 * the sends still running (their targets are reconciled or marked unconfirmed, never left
 * `publishing`), closes BullMQ and Redis, and rejects with ShutdownTimeoutError if it overran.
 * The store belongs to the caller, who closes it after `close()`.
 */
import { Queue, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../observability/logger.ts';
import type { PostStore } from '../store/post-store.ts';
import type { PostJobData, TargetJobData } from '../queue/job-data.ts';
import {
  createBullPostScheduler,
  EVENTS_MAX_LEN,
  POST_JOB_BACKOFF_MS,
  postJobBackoff,
} from '../queue/bull-post-scheduler.ts';
import type { BullPostScheduler } from '../queue/bull-post-scheduler.ts';
import { bullPrefix, POST_JOBS_QUEUE, TARGET_JOBS_QUEUE } from '../queue/queue-names.ts';
import { closeRedisConnection, createRedisConnection, readEvictionPolicy } from '../queue/redis-options.ts';
import { createAccountLimits } from './account-limits.ts';
import type { AccountTokenSource } from './account-tokens.ts';
import { createStoreTokenSource } from './account-tokens.ts';
import { createBackoffStrategy } from './failure-policy.ts';
import { createPostJobProcessor } from './post-job.ts';
import { createTargetRunner } from './publish-job.ts';
import { createTargetJobProcessor } from './target-run-control.ts';
import { createReconciler } from './reconciler.ts';
import { createSendSlots } from './send-slots.ts';
import { createSendRateLimit } from '../queue/send-rate-limit.ts';
import type { ReconcileReport } from './reconciler.ts';
import type { HandlerDeps, PublisherRegistry } from './worker-deps.ts';
import { abandonAfterMs } from './worker-deps.ts';

/** After SHUTDOWN_TIMEOUT_MS, aborted sends get this long to settle before a forced close. */
export const ABORT_GRACE_MS = 5000;
/**
 * Longest idle block of a queue worker, in seconds (BullMQ `drainDelay`, default 5). BullMQ 6.7 can
 * lose the wake-up for a delayed job when a job finishes while its blocking read is in flight (its
 * `blockUntil` is reset); the read then sleeps for the whole drainDelay. We measured retries 5 s late
 * under Deno (rarely under Node); a short drainDelay bounds that lateness for two cheap commands per
 * interval per idle queue. (Default: 1)
 */
export const DEFAULT_DRAIN_DELAY_SECONDS = 1;
/** How long start-up waits for Redis before giving up with a message. (Default: 5000 ms) */
export const REDIS_STARTUP_TIMEOUT_MS = 5000;

export interface WorkerDeps {
  store: PostStore;
  publishers: PublisherRegistry;
  logger: Logger;
  /** Token provider (refresh once per account); default: tokens straight from the store. */
  tokens?: AccountTokenSource;
  /** Clock. (Default: () => new Date()) */
  now?: () => Date;
  /** Jitter source, [0, 1). (Default: Math.random) */
  random?: () => number;
  /** See DEFAULT_DRAIN_DELAY_SECONDS. */
  drainDelaySeconds?: number;
  /** First retry delay of a failed post job (tests shorten it). (Default: POST_JOB_BACKOFF_MS) */
  postJobBackoffMs?: number;
}

export interface RunningWorker {
  /** Graceful stop; rejects with ShutdownTimeoutError when SHUTDOWN_TIMEOUT_MS was overrun. */
  close(): Promise<void>;
  /** Runs one reconcile pass now. */
  reconcile(): Promise<ReconcileReport>;
  /** Jobs being processed right now. */
  activeJobs(): number;
  readonly postJobsWorker: Worker<PostJobData>;
  readonly targetJobsWorker: Worker<TargetJobData>;
  readonly postScheduler: BullPostScheduler;
  readonly targetQueue: Queue<TargetJobData>;
}

export class ShutdownTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShutdownTimeoutError';
  }
}

export class RedisUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

export async function startWorker(config: Config, deps: WorkerDeps): Promise<RunningWorker> {
  const workerId = crypto.randomUUID().slice(0, 8);
  const log = deps.logger.child({ component: 'worker', workerId });
  const w = config.worker;
  const prefix = bullPrefix(config.queuePrefix);

  const connection = createRedisConnection(config.redisUrl, 'worker', `solospark-worker-${workerId}`);
  let lastRedisError = '';
  connection.on('error', (err: Error) => {
    if (err.message !== lastRedisError) {
      log.warn({ err: err.message }, 'redis connection error; reconnecting');
    }
    lastRedisError = err.message;
  });
  connection.on('ready', () => (lastRedisError = ''));
  await waitForRedis(connection, config.redisUrl).catch(async (err) => {
    await closeRedisConnection(connection);
    throw err;
  });
  const policy = await readEvictionPolicy(connection).catch(() => null);
  if (policy !== 'noeviction') {
    log.warn(
      { maxmemoryPolicy: policy },
      'Redis maxmemory-policy is not noeviction: Redis may evict queued jobs under memory pressure ' +
        '(the reconciler restores scheduled posts, but late); set maxmemory-policy noeviction',
    );
  }

  const postScheduler = createBullPostScheduler({ connection, queuePrefix: config.queuePrefix });
  const targetQueue = new Queue<TargetJobData>(TARGET_JOBS_QUEUE, {
    connection,
    prefix,
    streams: { events: { maxLen: EVENTS_MAX_LEN } },
  });
  targetQueue.on('error', (err) => log.warn({ err: err.message }, 'publish queue error'));

  const shutdown = new AbortController();
  const handlerDeps: HandlerDeps = {
    store: deps.store,
    publishers: deps.publishers,
    tokens: deps.tokens ?? createStoreTokenSource(deps.store),
    logger: log,
    settings: {
      publishAttempts: w.publishAttempts,
      publishTimeoutMs: w.publishTimeoutMs,
      backoffMs: w.backoffMs,
      backoffMaxMs: w.backoffMaxMs,
      missedAfterMs: w.missedAfterMs,
      stuckAfterMs: w.stuckAfterMs,
    },
    now: deps.now ?? (() => new Date()),
    random: deps.random ?? Math.random,
    shutdownSignal: shutdown.signal,
  };

  const reconciler = createReconciler({
    ...handlerDeps,
    postScheduler,
    targetQueue,
    intervalMs: w.reconcileIntervalMs,
  });
  // Before consuming: overdue posts fail as missed instead of going out late, lost jobs come back.
  await reconciler.runOnce().catch((err) => log.error({ err }, 'start-up reconcile pass failed; will retry'));

  let active = 0;
  function counted<T>(fn: (job: Job, token?: string) => Promise<T>) {
    return async function countedProcessor(job: Job, token?: string): Promise<T> {
      active++;
      try {
        return await fn(job, token);
      } finally {
        active--;
      }
    };
  }

  const lockDuration = abandonAfterMs(w.publishTimeoutMs);
  const common = {
    connection,
    prefix,
    concurrency: w.concurrency,
    lockDuration,
    stalledInterval: Math.min(30_000, lockDuration),
    maxStalledCount: 1,
    drainDelay: deps.drainDelaySeconds ?? DEFAULT_DRAIN_DELAY_SECONDS,
    removeOnComplete: { count: 0 },
    removeOnFail: { count: 0 },
    autorun: false,
  };
  // One runner for both queues: first attempts run inside post jobs, later ones in publish jobs, and
  // the send slots cap them together at WORKER_CONCURRENCY.
  const runTarget = createTargetRunner({
    ...handlerDeps,
    accountLimits: createAccountLimits(),
    sendSlots: createSendSlots(w.concurrency),
    sendRate: w.rateMax > 0
      ? createSendRateLimit({ redis: connection, prefix, max: w.rateMax, durationMs: w.rateDurationMs })
      : null,
  });
  const postJobsWorker = new Worker<PostJobData>(
    POST_JOBS_QUEUE,
    counted(createPostJobProcessor({ ...handlerDeps, targetQueue, runTarget })),
    {
      ...common,
      settings: {
        backoffStrategy: (attemptsMade: number) =>
          postJobBackoff(attemptsMade, deps.postJobBackoffMs ?? POST_JOB_BACKOFF_MS),
      },
    },
  );
  const targetJobsWorker = new Worker<TargetJobData>(
    TARGET_JOBS_QUEUE,
    counted(createTargetJobProcessor(runTarget, log)),
    {
      ...common,
      settings: { backoffStrategy: createBackoffStrategy({ baseMs: w.backoffMs, maxMs: w.backoffMaxMs }) },
    },
  );
  for (const worker of [postJobsWorker, targetJobsWorker]) {
    worker.on('error', (err) => log.error({ queue: worker.name, err: err.message }, 'queue worker error'));
    worker.on('failed', (job, err) => {
      // Failures of our own making were logged where they were decided; this catches the rest
      // (a database error mid-job, a job that stalled too often).
      if (err.name === 'RetryLaterError' || err.name === 'UnrecoverableError') return;
      log.error(
        { queue: worker.name, jobId: job?.id, run: job?.attemptsMade, err: err.message },
        'job failed unexpectedly; BullMQ retries it if attempts remain',
      );
    });
  }
  const runs = [postJobsWorker.run(), targetJobsWorker.run()];
  for (const run of runs) run.catch((err) => log.error({ err }, 'queue worker stopped with an error'));
  await Promise.all([postJobsWorker.waitUntilReady(), targetJobsWorker.waitUntilReady()]);
  reconciler.start();
  log.info(
    {
      queuePrefix: config.queuePrefix,
      concurrency: w.concurrency,
      rateLimit: w.rateMax > 0 ? `${w.rateMax}/${w.rateDurationMs}ms` : 'off',
      lockDurationMs: lockDuration,
    },
    'worker ready',
  );

  let closing: Promise<void> | null = null;
  async function close(): Promise<void> {
    log.info({ activeJobs: active, shutdownTimeoutMs: w.shutdownTimeoutMs }, 'worker shutting down');
    await reconciler.stop();
    const graceful = Promise.all([postJobsWorker.close(), targetJobsWorker.close()]);
    let overran = false;
    if (!(await settlesWithin(graceful, w.shutdownTimeoutMs))) {
      overran = true;
      log.warn(
        { activeJobs: active },
        'shutdown timeout reached with sends still running; aborting them (their targets are reconciled or marked unconfirmed)',
      );
      shutdown.abort(new ShutdownTimeoutError('shutdown timeout'));
      if (!(await settlesWithin(graceful, ABORT_GRACE_MS))) {
        log.error({ activeJobs: active }, 'jobs did not stop after abort; forcing the queue workers closed');
        await Promise.all([postJobsWorker.close(true), targetJobsWorker.close(true)]);
      }
    }
    await Promise.all([postScheduler.close(), targetQueue.close()]);
    await closeRedisConnection(connection);
    log.info({ overran }, 'worker stopped');
    if (overran) {
      throw new ShutdownTimeoutError(
        `active publishes did not finish within SHUTDOWN_TIMEOUT_MS (${w.shutdownTimeoutMs} ms); they were aborted`,
      );
    }
  }

  return {
    close() {
      closing ??= close();
      return closing;
    },
    reconcile: () => reconciler.runOnce(),
    activeJobs: () => active,
    postJobsWorker,
    targetJobsWorker,
    postScheduler,
    targetQueue,
  };
}

async function waitForRedis(connection: import('ioredis').Redis, url: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const where = new URL(url);
      reject(
        new RedisUnavailableError(
          `cannot reach Redis at ${where.host} within ${REDIS_STARTUP_TIMEOUT_MS} ms; start it ` +
            '(e.g. redis-server, or docker run -p 6379:6379 redis:7) or set REDIS_URL',
        ),
      );
    }, REDIS_STARTUP_TIMEOUT_MS);
  });
  try {
    await Promise.race([connection.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
