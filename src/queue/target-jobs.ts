/**
 * The fan-out: at a post's due time, one `publish` job per target. Each job carries ids only and
 * retries on its own (attempts and the custom backoff below), so one target's failures, rate limits
 * or slowness never hold up another.
 */
import type { Queue } from 'bullmq';
import type { JobsOptions } from 'bullmq';
import type { PublishJobData } from './job-data.ts';
import { encodePublishJobData } from './job-data.ts';
import { PUBLISH_JOB_NAME, publishJobId } from './queue-names.ts';

/** The backoff type publish jobs name; the worker's `settings.backoffStrategy` computes it. */
export const PUBLISH_BACKOFF_TYPE = 'publish';

/**
 * BullMQ attempts for a publish job. The worker counts attempts itself (in the target row) and
 * fails the target for good at PUBLISH_ATTEMPTS; BullMQ gets slack for runs that failed before
 * reaching the platform (a database blip), so it never gives up first and leaves a target pending.
 */
export function publishJobAttempts(publishAttempts: number): number {
  return publishAttempts + 3;
}

export interface TargetRef {
  postId: string;
  version: number;
  targetId: string;
  /** Run no sooner than this from now (the reconciler re-adding a deferred or retrying target). */
  delayMs?: number;
}

export type PublishJobState = 'present' | 'missing';

export function publishJobOptions(targetId: string, publishAttempts: number, delayMs = 0): JobsOptions {
  return {
    jobId: publishJobId(targetId),
    attempts: publishJobAttempts(publishAttempts),
    backoff: { type: PUBLISH_BACKOFF_TYPE },
    ...(delayMs > 0 ? { delay: delayMs } : {}),
  };
}

/** Adds one publish job per target in one round trip. Repeating it adds nothing for targets whose job exists. */
export async function enqueueTargets(
  queue: Queue<PublishJobData>,
  targets: readonly TargetRef[],
  publishAttempts: number,
): Promise<void> {
  if (targets.length === 0) return;
  await queue.addBulk(targets.map((t) => ({
    name: PUBLISH_JOB_NAME,
    data: encodePublishJobData(t),
    opts: publishJobOptions(t.targetId, publishAttempts, t.delayMs),
  })));
}

/** Whether each target's publish job exists, in any state (reconciler). One round trip per call. */
export async function publishJobStates(
  queue: Queue<PublishJobData>,
  targetIds: readonly string[],
): Promise<PublishJobState[]> {
  if (targetIds.length === 0) return [];
  const pipeline = (await queue.getBackend().client).pipeline();
  for (const id of targetIds) pipeline.runCommand('exists', [queue.toKey(publishJobId(id))]);
  const results = (await pipeline.exec()) ?? [];
  return targetIds.map((_, i) => {
    const [err, value] = results[i] ?? [new Error('no reply'), 0];
    if (err) throw err;
    return value === 1 ? 'present' : 'missing';
  });
}
