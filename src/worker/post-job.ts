/**
 * One `posts` job = one post version at its due time. It claims the post in the store
 * (`scheduled -> publishing` for exactly this version) and fans out one `publish` job per pending
 * target. Stale jobs — the post was cancelled, edited (its version moved on), finished or deleted —
 * are dropped without publishing: that is how cancel and edit win (DESIGN.md invariant 3).
 *
 * A post job that runs again after a crash finds the post `already_publishing` and fans out again;
 * deterministic publish job ids and the per-target claim make that harmless.
 */
import type { Job, Queue } from 'bullmq';
import { parsePostJobData } from '../queue/job-data.ts';
import type { PostJobData, PublishJobData } from '../queue/job-data.ts';
import { enqueueTargets } from '../queue/target-jobs.ts';
import { stopRetrying } from './failure-policy.ts';
import type { HandlerDeps } from './worker-deps.ts';

export type PostJobResult = 'fanned_out' | 'stale' | 'missed' | 'nothing_to_send';

export interface PostJobDeps extends HandlerDeps {
  publishQueue: Queue<PublishJobData>;
}

export function missedMessage(scheduledAt: Date, missedAfterMs: number): string {
  return `the post was due at ${scheduledAt.toISOString()} and was still unsent more than ` +
    `${
      Math.round(missedAfterMs / 60_000)
    } minutes later (MISSED_AFTER_MS); it was not sent late — schedule it again`;
}

export function createPostJobProcessor(deps: PostJobDeps) {
  const { store, settings } = deps;

  return async function processPostJob(job: Job): Promise<PostJobResult> {
    let data: PostJobData;
    try {
      data = parsePostJobData(job.data);
    } catch (err) {
      deps.logger.error({ jobId: job.id, err }, 'post job has invalid data');
      throw stopRetrying((err as Error).message);
    }
    const log = deps.logger.child({ jobId: job.id, postId: data.p, version: data.v });
    const now = deps.now().getTime();
    const dueAt = job.timestamp + (job.opts.delay ?? 0);
    log.info({ lateMs: now - dueAt }, 'post job received');

    // The queue's due time says whether the post may be badly overdue (the worker was down); only
    // then is the row read before claiming. The reconciler checks posts it re-enqueues itself.
    if (now - dueAt > settings.missedAfterMs) {
      const current = await store.getPost(data.p);
      if (current?.status === 'scheduled' && current.version === data.v) {
        const overdueMs = now - current.scheduledAt.getTime();
        if (overdueMs > settings.missedAfterMs) {
          const failed = await store.failScheduledPost(
            data.p,
            data.v,
            'missed',
            missedMessage(current.scheduledAt, settings.missedAfterMs),
          );
          if (failed) {
            log.warn({ overdueMs }, 'post missed its time by more than MISSED_AFTER_MS; failed as missed');
            return 'missed';
          }
        }
      }
    }

    const claim = await store.claimPost(data.p, data.v);
    if (claim.outcome === 'stale') {
      const reason = !claim.post
        ? 'post deleted'
        : claim.post.version !== data.v
        ? `edited (now version ${claim.post.version})`
        : claim.post.status;
      log.info({ reason }, 'stale post job dropped without publishing');
      return 'stale';
    }
    const post = claim.post;
    // After a crash (already_publishing), targets left `publishing` also get a job: it reconciles them.
    const toSend = post.targets.filter((t) =>
      t.status === 'pending' || (claim.outcome === 'already_publishing' && t.status === 'publishing')
    );
    if (toSend.length === 0) {
      const rolled = await store.rollUpPost(post.id);
      log.info({ postStatus: rolled.status }, 'post has no target left to send');
      return 'nothing_to_send';
    }
    await enqueueTargets(
      deps.publishQueue,
      toSend.map((t) => ({ postId: post.id, version: post.version, targetId: t.id })),
      settings.publishAttempts,
    );
    log.info(
      { targets: toSend.map((t) => t.platform), claim: claim.outcome, lateMs: deps.now().getTime() - dueAt },
      'post due; publishing its targets',
    );
    return 'fanned_out';
  };
}
