/**
 * The two BullMQ workers: `posts` (a post's targets at due time) and `publish` (one target's retries,
 * deferrals and recovery per job), with their settings, the logging of failures their processors did
 * not handle, and a count of the jobs they are running. They are created without running
 * (`autorun: false`); the caller starts them.
 *
 * BullMQ settings that protect invariant 2, docs/operations.md (no duplicate post):
 * - `lockDuration` is above PUBLISH_TIMEOUT_MS plus a grace, so a live worker never loses a job's lock
 *   in the middle of a bounded send;
 * - a stalled job (its worker died) runs again at most once (`maxStalledCount: 1`): a post job adds a
 *   publish job per unsettled target, and a publish job that finds its target `publishing` reconciles
 *   with the platform instead of re-sending (publish-job.ts step 3); anything later is the
 *   reconciler's (STUCK_AFTER_MS);
 * - a post job may wait for send slots, but BullMQ renews its lock every lockDuration / 2 while it runs.
 */
import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { RedisClient } from '../queue/redis-options.ts';
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../observability/logger.ts';
import type { PostJobData, TargetJobData } from '../queue/job-data.ts';
import { POST_JOB_BACKOFF_MS, postJobBackoff } from '../queue/bull-post-scheduler.ts';
import { POST_JOBS_QUEUE, TARGET_JOBS_QUEUE } from '../queue/queue-names.ts';
import { sealBlockingClients } from '../queue/redis-blocking-guard.ts';
import { createBackoffStrategy } from './failure-policy.ts';
import { abandonAfterMs } from './worker-deps.ts';

/**
 * Longest idle block of a queue worker, in seconds (BullMQ `drainDelay`, default 5). BullMQ 6.7 can
 * lose the wake-up for a delayed job when a job finishes while its blocking read is in flight (its
 * `blockUntil` is reset); the read then sleeps for the whole drainDelay. We measured retries 5 s late
 * under Deno (rarely under Node); a short drainDelay bounds that lateness for two cheap commands per
 * interval per idle queue. (Default: 1)
 */
export const DEFAULT_DRAIN_DELAY_SECONDS = 1;

type JobProcessor = (job: Job, token?: string) => Promise<unknown>;

export interface QueueWorkersOptions {
  connection: RedisClient;
  /** BullMQ's key prefix (bullPrefix of QUEUE_PREFIX). */
  prefix: string;
  settings: Pick<Config['worker'], 'concurrency' | 'publishTimeoutMs' | 'backoffMs' | 'backoffMaxMs'>;
  logger: Logger;
  /** The `posts` queue's processor (post-job.ts). */
  processPostJob: JobProcessor;
  /** The `publish` queue's processor (target-run-control.ts). */
  processTargetJob: JobProcessor;
  /** See DEFAULT_DRAIN_DELAY_SECONDS. */
  drainDelaySeconds?: number;
  /** First retry delay of a failed post job. (Default: POST_JOB_BACKOFF_MS) */
  postJobBackoffMs?: number;
}

export interface QueueWorkers {
  readonly postJobsWorker: Worker<PostJobData>;
  readonly targetJobsWorker: Worker<TargetJobData>;
  /** Jobs being processed right now, on both queues. */
  activeJobs(): number;
  /** Both workers' BullMQ lockDuration: abandonAfterMs(PUBLISH_TIMEOUT_MS). */
  readonly lockDurationMs: number;
}

/** Creates both workers with `autorun: false`: the caller starts them with `run()`. */
export function createQueueWorkers(options: QueueWorkersOptions): QueueWorkers {
  const { connection, prefix, settings: w, logger: log } = options;

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
    drainDelay: options.drainDelaySeconds ?? DEFAULT_DRAIN_DELAY_SECONDS,
    removeOnComplete: { count: 0 },
    removeOnFail: { count: 0 },
    autorun: false,
  };
  const postJobsWorker = new Worker<PostJobData>(
    POST_JOBS_QUEUE,
    counted(options.processPostJob),
    {
      ...common,
      settings: {
        backoffStrategy: (attemptsMade: number) =>
          postJobBackoff(attemptsMade, options.postJobBackoffMs ?? POST_JOB_BACKOFF_MS),
      },
    },
  );
  const targetJobsWorker = new Worker<TargetJobData>(
    TARGET_JOBS_QUEUE,
    counted(options.processTargetJob),
    {
      ...common,
      settings: { backoffStrategy: createBackoffStrategy({ baseMs: w.backoffMs, maxMs: w.backoffMaxMs }) },
    },
  );
  for (const worker of [postJobsWorker, targetJobsWorker]) {
    // On a Redis Cluster a closing worker's blocking client must stay closed (redis-blocking-guard.ts).
    worker.once('closing', () => sealBlockingClients(connection));
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

  return {
    postJobsWorker,
    targetJobsWorker,
    activeJobs: () => active,
    lockDurationMs: lockDuration,
  };
}
