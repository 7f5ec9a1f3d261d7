/**
 * How a run of one target ends when it cannot finish now, for the two places a target runs: a
 * `publish` job (retries, deferrals, recovery) and its first attempt inside its post job.
 */
import type { Job, Queue } from 'bullmq';
import type { Post } from '../domain/post.ts';
import type { Logger } from '../observability/logger.ts';
import { parseTargetJobData } from '../queue/job-data.ts';
import type { TargetJobData, TargetJobRef } from '../queue/job-data.ts';
import { enqueueTargetJobs } from '../queue/target-queue.ts';
import type { TargetRef } from '../queue/target-queue.ts';
import { deferJob, RetryLaterError, stopRetrying } from './failure-policy.ts';
import type { HandlerDeps } from './worker-deps.ts';

/**
 * What one run of a target ended as (a publish job's BullMQ return value; the job is removed on
 * completion). `deferred` and `retrying` only come from runs inside a post job (`createInlineControl`):
 * the target was handed to a delayed publish job.
 */
export type PublishJobResult =
  | 'published'
  | 'reconciled'
  | 'unconfirmed'
  | 'failed'
  | 'stale'
  | 'already_settled'
  | 'claimed_elsewhere'
  | 'deferred'
  | 'retrying';

/**
 * How a run hands its target back when it cannot finish now. Each method ends the run: for a BullMQ
 * publish job (`createTargetJobProcessor`) by moving or failing that job; for a target sent inside its
 * post job (`createInlineControl`) by adding a delayed publish job for it.
 */
export interface TargetRunControl {
  /** The BullMQ job this run belongs to (for logs). */
  readonly jobId: string | undefined;
  /** This job's run, 1-based (for logs). */
  readonly run: number;
  /** Try the target again at `until`, without using an attempt (rate limit, earlier claim). */
  defer(until: Date): Promise<PublishJobResult>;
  /** Try the target again after `delayMs` (transient failure; the target is settled `pending`). */
  retry(message: string, delayMs: number): Promise<PublishJobResult>;
  /** The target failed for good (it is settled `failed`). */
  fail(message: string): Promise<PublishJobResult>;
}

/**
 * Runs one target (steps 2–7) under the given control. `claimedPost` is the post as its post job just
 * claimed it (first attempts): step 2 uses it instead of reading the post again — the target's own
 * compare-and-set claim (step 5) still decides whether it is sent.
 */
export type TargetRunner = (
  data: TargetJobRef,
  control: TargetRunControl,
  claimedPost?: Post,
) => Promise<PublishJobResult>;

/** The BullMQ processor of the `publish` queue (step 1, then the runner). */
export function createTargetJobProcessor(runTarget: TargetRunner, logger: Logger) {
  return async function processTargetJob(job: Job, token?: string): Promise<PublishJobResult> {
    let data: TargetJobRef;
    try {
      data = parseTargetJobData(job.data);
    } catch (err) {
      logger.error({ jobId: job.id, err }, 'publish job has invalid data');
      throw stopRetrying((err as Error).message);
    }
    return await runTarget(data, {
      jobId: job.id,
      run: job.attemptsMade + 1,
      defer: (until) => deferJob(job, token, until),
      retry: (message, delayMs) => Promise.reject(new RetryLaterError(message, delayMs)),
      fail: (message) => Promise.reject(stopRetrying(message)),
    });
  };
}

/**
 * The control for a target sent inside its post job: a deferral or a retry becomes a delayed publish
 * job for that target (`target-<id>`), which from then on retries on its own; a failure ends there.
 */
export function createInlineControl(
  deps: Pick<HandlerDeps, 'now' | 'settings'> & { targetQueue: Queue<TargetJobData> },
  ref: TargetRef,
  job: Job,
): TargetRunControl {
  const handOver = async (delayMs: number, result: PublishJobResult) => {
    await enqueueTargetJobs(deps.targetQueue, [{ ...ref, delayMs }], deps.settings.publishAttempts);
    return result;
  };
  return {
    jobId: job.id,
    run: job.attemptsMade + 1,
    defer: (until) => handOver(Math.max(0, until.getTime() - deps.now().getTime()), 'deferred'),
    retry: (_message, delayMs) => handOver(delayMs, 'retrying'),
    fail: () => Promise.resolve('failed'),
  };
}
