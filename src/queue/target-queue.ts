/**
 * The producer side of the `publish` queue (TARGET_JOBS_QUEUE): the fan-out at a post's due time adds
 * one target job per target. Each job carries ids only and retries on its own (attempts and the
 * custom backoff below), so one target's failures, rate limits or slowness never hold up another.
 */
import type { Queue } from 'bullmq';
import type { JobsOptions } from 'bullmq';
import type { TargetJobData } from './job-data.ts';
import { encodeTargetJobData } from './job-data.ts';
import { TARGET_JOB_NAME, targetJobId } from './queue-names.ts';

/** The backoff type target jobs name; the worker's `settings.backoffStrategy` computes it. */
export const TARGET_JOB_BACKOFF_TYPE = 'publish';

/**
 * BullMQ attempts for a target job. The worker counts attempts itself (in the target row) and
 * fails the target for good at PUBLISH_ATTEMPTS; BullMQ gets slack for runs that failed before
 * reaching the platform (a database blip), so it never gives up first and leaves a target pending.
 */
export function targetJobAttempts(publishAttempts: number): number {
  return publishAttempts + 3;
}

export interface TargetRef {
  postId: string;
  version: number;
  targetId: string;
  /** Run no sooner than this from now (the reconciler re-adding a deferred or retrying target). */
  delayMs?: number;
}

export type TargetJobState = 'present' | 'missing';

export function targetJobOptions(targetId: string, publishAttempts: number, delayMs = 0): JobsOptions {
  return {
    jobId: targetJobId(targetId),
    attempts: targetJobAttempts(publishAttempts),
    backoff: { type: TARGET_JOB_BACKOFF_TYPE },
    ...(delayMs > 0 ? { delay: delayMs } : {}),
  };
}

/**
 * Adds one target job per target. Repeating it adds nothing for targets whose job is waiting or
 * delayed: that job will run. A job that is *active* is different — it may be ending right now
 * without sending (it lost the claim to the caller's run), and an add under its id would be dropped,
 * leaving the target pending until the reconciler's next pass. So a target whose job is active gets a
 * follow-up job under its own id; the per-target claim keeps two runs from sending twice.
 */
export async function enqueueTargetJobs(
  queue: Queue<TargetJobData>,
  targets: readonly TargetRef[],
  publishAttempts: number,
): Promise<void> {
  if (targets.length === 0) return;
  await queue.addBulk(targets.map((t) => ({
    name: TARGET_JOB_NAME,
    data: encodeTargetJobData(t),
    opts: targetJobOptions(t.targetId, publishAttempts, t.delayMs),
  })));
  const states = await Promise.all(targets.map((t) => queue.getJobState(targetJobId(t.targetId))));
  const busy = targets.filter((_, i) => states[i] === 'active');
  if (busy.length === 0) return;
  const at = Date.now();
  await queue.addBulk(busy.map((t) => ({
    name: TARGET_JOB_NAME,
    data: encodeTargetJobData(t),
    opts: {
      ...targetJobOptions(t.targetId, publishAttempts, t.delayMs),
      jobId: followUpJobId(t.targetId, at),
    },
  })));
}

/** The id of a follow-up target job: the deterministic id plus when it was added. */
function followUpJobId(targetId: string, at: number): string {
  return `${targetJobId(targetId)}-f${at.toString(36)}`;
}

/** Whether each target's job exists, in any state (reconciler). One round trip per call. */
export async function targetJobStates(
  queue: Queue<TargetJobData>,
  targetIds: readonly string[],
): Promise<TargetJobState[]> {
  if (targetIds.length === 0) return [];
  const pipeline = (await queue.getBackend().client).pipeline();
  for (const id of targetIds) pipeline.runCommand('exists', [queue.toKey(targetJobId(id))]);
  const results = (await pipeline.exec()) ?? [];
  return targetIds.map((_, i) => {
    const [err, value] = results[i] ?? [new Error('no reply'), 0];
    if (err) throw err;
    return value === 1 ? 'present' : 'missing';
  });
}
