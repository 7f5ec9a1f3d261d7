/**
 * Shutting the worker down: stop fetching, let active jobs finish for up to SHUTDOWN_TIMEOUT_MS, then
 * abort the sends still running (their targets are reconciled or marked unconfirmed, never left
 * `publishing`), close BullMQ and Redis, and reject with ShutdownTimeoutError if it overran.
 * The store belongs to the caller, who closes it after this.
 */
import type { Queue } from 'bullmq';
import type { RedisClient } from '../queue/redis-options.ts';
import type { Logger } from '../observability/logger.ts';
import type { BullPostScheduler } from '../queue/bull-post-scheduler.ts';
import type { TargetJobData } from '../queue/job-data.ts';
import { closeRedisConnection } from '../queue/redis-options.ts';
import type { QueueWorkers } from './create-queue-workers.ts';
import type { Reconciler } from './reconciler.ts';

/** After SHUTDOWN_TIMEOUT_MS, aborted sends get this long to settle before a forced close. */
export const ABORT_GRACE_MS = 5000;

export class ShutdownTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShutdownTimeoutError';
  }
}

/** What closeWorker needs of a running worker; the parts to close are listed in closing order. */
export interface ClosableWorker {
  logger: Logger;
  reconciler: Reconciler;
  queueWorkers: QueueWorkers;
  /** Aborted when SHUTDOWN_TIMEOUT_MS is overrun: the sends in flight stop and settle. */
  shutdown: AbortController;
  postScheduler: BullPostScheduler;
  targetQueue: Queue<TargetJobData>;
  /** Read-only queue handles of the metrics (start-worker.ts `observedQueues`). */
  observedQueues?: readonly Queue[];
  connection: RedisClient;
  /** SHUTDOWN_TIMEOUT_MS */
  shutdownTimeoutMs: number;
}

/** Graceful stop; rejects with ShutdownTimeoutError when SHUTDOWN_TIMEOUT_MS was overrun. */
export async function closeWorker(parts: ClosableWorker): Promise<void> {
  const { logger: log, reconciler, queueWorkers, shutdown, postScheduler, targetQueue } = parts;
  const { postJobsWorker, targetJobsWorker } = queueWorkers;
  log.info(
    { activeJobs: queueWorkers.activeJobs(), shutdownTimeoutMs: parts.shutdownTimeoutMs },
    'worker shutting down',
  );
  await reconciler.stop();
  const graceful = Promise.all([postJobsWorker.close(), targetJobsWorker.close()]);
  let overran = false;
  if (!(await settlesWithin(graceful, parts.shutdownTimeoutMs))) {
    overran = true;
    log.warn(
      { activeJobs: queueWorkers.activeJobs() },
      'shutdown timeout reached with sends still running; aborting them (their targets are reconciled or marked unconfirmed)',
    );
    shutdown.abort(new ShutdownTimeoutError('shutdown timeout'));
    if (!(await settlesWithin(graceful, ABORT_GRACE_MS))) {
      log.error(
        { activeJobs: queueWorkers.activeJobs() },
        'jobs did not stop after abort; forcing the queue workers closed',
      );
      await Promise.all([postJobsWorker.close(true), targetJobsWorker.close(true)]);
    }
  }
  await Promise.all([
    postScheduler.close(),
    targetQueue.close(),
    ...(parts.observedQueues ?? []).map((q) => q.close()),
  ]);
  await closeRedisConnection(parts.connection);
  log.info({ overran }, 'worker stopped');
  if (overran) {
    throw new ShutdownTimeoutError(
      `active publishes did not finish within SHUTDOWN_TIMEOUT_MS (${parts.shutdownTimeoutMs} ms); they were aborted`,
    );
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
