/**
 * Starts the publishing worker: two BullMQ workers (`posts` sends a post's targets at due time,
 * `publish` runs one target's retries, deferrals and recovery per job), the reconciler, and a graceful
 * `close()`.
 *
 * This module builds the parts and starts them in order: Redis (connect-worker-redis.ts), the
 * reconciler's start-up pass, the queue workers with the BullMQ settings that protect invariant 2,
 * docs/operations.md (create-queue-workers.ts), then the reconciler's timer and the Redis heartbeat
 * readiness reads (redis-heartbeat.ts). Shutdown is close-worker.ts. The store belongs to the caller,
 * who closes it after `close()`.
 */
import { Queue } from 'bullmq';
import type { Worker } from 'bullmq';
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../observability/logger.ts';
import { NO_METRICS } from '../observability/metrics.ts';
import type { WorkerMetrics } from '../observability/metrics.ts';
import type { QueueReading } from '../observability/prometheus-metrics.ts';
import type { PostStore } from '../store/post-store.ts';
import type { PostJobData, TargetJobData } from '../queue/job-data.ts';
import { createBullPostScheduler, EVENTS_MAX_LEN } from '../queue/bull-post-scheduler.ts';
import type { BullPostScheduler } from '../queue/bull-post-scheduler.ts';
import { bullPrefix, TARGET_JOBS_QUEUE } from '../queue/queue-names.ts';
import { readQueueSnapshot } from '../queue/queue-snapshot.ts';
import { createSendRateLimit } from '../queue/send-rate-limit.ts';
import { createAccountLimits } from './account-limits.ts';
import type { AccountTokenSource } from './account-tokens.ts';
import { createStoreTokenSource } from './account-tokens.ts';
import { closeWorker } from './close-worker.ts';
import { connectWorkerRedis } from './connect-worker-redis.ts';
import { createQueueWorkers } from './create-queue-workers.ts';
import { createPostJobProcessor } from './post-job.ts';
import { createTargetRunner } from './publish-job.ts';
import { createTargetJobProcessor } from './target-run-control.ts';
import { createReconciler } from './reconciler.ts';
import { startRedisHeartbeat } from './redis-heartbeat.ts';
import { createSendSlots } from './send-slots.ts';
import type { ReconcileReport } from './reconciler.ts';
import type { HandlerDeps, PublisherRegistry } from './worker-deps.ts';
import type { WorkerHealth } from './worker-readiness.ts';

export { ABORT_GRACE_MS, ShutdownTimeoutError } from './close-worker.ts';
export { REDIS_STARTUP_TIMEOUT_MS, RedisUnavailableError } from './connect-worker-redis.ts';
export { DEFAULT_DRAIN_DELAY_SECONDS } from './create-queue-workers.ts';

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
  /** See DEFAULT_DRAIN_DELAY_SECONDS (create-queue-workers.ts). */
  drainDelaySeconds?: number;
  /** First retry delay of a failed post job (tests shorten it). (Default: POST_JOB_BACKOFF_MS) */
  postJobBackoffMs?: number;
  /** Where outcomes, durations and lateness are counted. (Default: NO_METRICS) */
  metrics?: WorkerMetrics;
  /**
   * More queues of the same QUEUE_PREFIX whose depth `queueReadings` reports besides `posts` and
   * `publish` (the entry passes `notify-delivery`, which this layer does not know). (Default: none)
   */
  observedQueues?: readonly string[];
}

/** A scrape waits this long for the queue readings, then goes without them. (Default: 2000 ms) */
export const QUEUE_READINGS_TIMEOUT_MS = 2000;

export interface RunningWorker {
  /** Graceful stop; rejects with ShutdownTimeoutError when SHUTDOWN_TIMEOUT_MS was overrun. */
  close(): Promise<void>;
  /** Runs one reconcile pass now. */
  reconcile(): Promise<ReconcileReport>;
  /** Jobs being processed right now. */
  activeJobs(): number;
  /** Whether it consumes and when Redis last answered (worker-readiness.ts reads it). */
  health(): WorkerHealth;
  /**
   * Both queues' depth and oldest due job (queue-snapshot.ts); null when Redis is down or did not
   * answer within QUEUE_READINGS_TIMEOUT_MS (nothing is queued up for a reconnect then).
   */
  queueReadings(): Promise<QueueReading[] | null>;
  readonly postJobsWorker: Worker<PostJobData>;
  readonly targetJobsWorker: Worker<TargetJobData>;
  readonly postScheduler: BullPostScheduler;
  readonly targetQueue: Queue<TargetJobData>;
}

export async function startWorker(config: Config, deps: WorkerDeps): Promise<RunningWorker> {
  const workerId = crypto.randomUUID().slice(0, 8);
  const log = deps.logger.child({ component: 'worker', workerId });
  const w = config.worker;
  const prefix = bullPrefix(config.queuePrefix);

  const connection = await connectWorkerRedis(config.redis, workerId, log);

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
    metrics: deps.metrics ?? NO_METRICS,
  };

  const reconciler = createReconciler({
    ...handlerDeps,
    postScheduler,
    targetQueue,
    intervalMs: w.reconcileIntervalMs,
  });
  // Before consuming: overdue posts fail as missed instead of going out late, lost jobs come back.
  await reconciler.runOnce().catch((err) => log.error({ err }, 'start-up reconcile pass failed; will retry'));

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
  const queueWorkers = createQueueWorkers({
    connection,
    prefix,
    settings: w,
    logger: log,
    processPostJob: createPostJobProcessor({ ...handlerDeps, targetQueue, runTarget }),
    processTargetJob: createTargetJobProcessor(runTarget, log),
    drainDelaySeconds: deps.drainDelaySeconds,
    postJobBackoffMs: deps.postJobBackoffMs,
  });
  const { postJobsWorker, targetJobsWorker } = queueWorkers;
  const runs = [postJobsWorker.run(), targetJobsWorker.run()];
  for (const run of runs) run.catch((err) => log.error({ err }, 'queue worker stopped with an error'));
  await Promise.all([postJobsWorker.waitUntilReady(), targetJobsWorker.waitUntilReady()]);
  reconciler.start();
  // Keyed, so on a cluster it asks the master that holds this prefix (redis-heartbeat.ts).
  const heartbeat = startRedisHeartbeat(connection, { probeKey: `${prefix}:heartbeat` });
  // Read-only handles for queueReadings; nothing is added through them.
  const observed = (deps.observedQueues ?? []).map((name) => {
    const queue = new Queue(name, { connection, prefix });
    queue.on('error', () => {}); // a reading that fails says so in queueReadings
    return queue;
  });
  log.info(
    {
      queuePrefix: config.queuePrefix,
      concurrency: w.concurrency,
      rateLimit: w.rateMax > 0 ? `${w.rateMax}/${w.rateDurationMs}ms` : 'off',
      lockDurationMs: queueWorkers.lockDurationMs,
    },
    'worker ready',
  );

  let closing: Promise<void> | null = null;

  async function queueReadings(): Promise<QueueReading[] | null> {
    if (closing || !heartbeat.connected()) return null;
    const nowMs = Date.now(); // the due times in Redis are wall-clock ms
    // Caught here, not after the race: a reading that fails after the timeout must not go unhandled.
    const reading = Promise.all(
      [postScheduler.queue, targetQueue, ...observed].map((queue) =>
        readQueueSnapshot(queue, connection, nowMs)
      ),
    ).catch((err) => {
      log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'reading the queues for metrics failed',
      );
      return null;
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), QUEUE_READINGS_TIMEOUT_MS);
    });
    try {
      return await Promise.race([reading, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    close() {
      heartbeat.stop();
      closing ??= closeWorker({
        logger: log,
        reconciler,
        queueWorkers,
        shutdown,
        postScheduler,
        targetQueue,
        observedQueues: observed,
        connection,
        shutdownTimeoutMs: w.shutdownTimeoutMs,
      });
      return closing;
    },
    reconcile: () => reconciler.runOnce(),
    activeJobs: () => queueWorkers.activeJobs(),
    health: () => ({
      consuming: !closing && postJobsWorker.isRunning() && targetJobsWorker.isRunning(),
      redisConnected: heartbeat.connected(),
      redisSilentForMs: heartbeat.silentForMs(),
    }),
    queueReadings,
    postJobsWorker,
    targetJobsWorker,
    postScheduler,
    targetQueue,
  };
}
