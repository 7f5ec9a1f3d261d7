/**
 * One `posts` job = one post version at its due time. It claims the post in the store
 * (`scheduled -> publishing` for exactly this version) and publishes each pending target. Stale jobs —
 * the post was cancelled, edited (its version moved on), finished or deleted — are dropped without
 * publishing: that is how cancel and edit win (invariant 3, docs/operations.md).
 *
 * First attempts run here, side by side (each target claimed, sent and settled on its own by the
 * target runner, publish-job.ts); a target that must wait — a retry, a rate limit — is handed to its
 * own delayed `publish` job, so retries stay per target (invariant 4). Why not one publish job per
 * target at due time, as a first design suggested: adding and running those jobs cost more Redis work per
 * target than the send itself in the worker benchmark, and sending here keeps every invariant — the
 * claim is still the per-target compare-and-set, and a target never shares a fate with another.
 *
 * A post job that runs again (after a crash, or a duplicate job) finds the post `already_publishing`
 * and adds a `publish` job for each target still pending or publishing; deterministic publish job ids
 * and the per-target claim make that harmless, and a target left `publishing` is reconciled, never
 * re-sent blindly.
 */
import type { Job, Queue } from 'bullmq';
import type { Post, PostTarget } from '../domain/post.ts';
import { isMissed, missedMessage } from '../domain/schedule-rules.ts';
import type { Logger } from '../observability/logger.ts';
import { parsePostJobData } from '../queue/job-data.ts';
import type { PostJobRef, TargetJobData } from '../queue/job-data.ts';
import { enqueueTargetJobs } from '../queue/target-queue.ts';
import { retryDelayMs } from './backoff.ts';
import { stopRetrying } from './failure-policy.ts';
import { createInlineControl } from './target-run-control.ts';
import type { PublishJobResult, TargetRunner } from './target-run-control.ts';
import type { HandlerDeps } from './worker-deps.ts';

/**
 * `fanned_out`: every pending target was dispatched — sent here, or handed to its own publish job.
 */
export type PostJobResult = 'fanned_out' | 'stale' | 'missed' | 'nothing_to_send';

export interface PostJobDeps extends HandlerDeps {
  targetQueue: Queue<TargetJobData>;
  /** Sends one target (publish-job.ts), shared with the publish queue's processor. */
  runTarget: TargetRunner;
}

export function createPostJobProcessor(deps: PostJobDeps) {
  const { store, settings } = deps;

  return async function processPostJob(job: Job): Promise<PostJobResult> {
    let data: PostJobRef;
    try {
      data = parsePostJobData(job.data);
    } catch (err) {
      deps.logger.error({ jobId: job.id, err }, 'post job has invalid data');
      throw stopRetrying((err as Error).message);
    }
    const log = deps.logger.child({ jobId: job.id, postId: data.postId, version: data.version });
    const now = deps.now().getTime();
    const dueAt = job.timestamp + (job.opts.delay ?? 0);
    // At debug: every outcome below is logged at info (or warn) with its own line.
    log.debug({ lateMs: now - dueAt }, 'post job received');

    // The queue's due time says whether the post may be badly overdue (the worker was down); only
    // then is the row read before claiming. The reconciler checks posts it re-enqueues itself.
    if (isMissed(dueAt, now, settings.missedAfterMs)) {
      const current = await store.getPost(data.postId);
      if (current?.status === 'scheduled' && current.version === data.version) {
        const overdueMs = now - current.scheduledAt.getTime();
        if (isMissed(current.scheduledAt, now, settings.missedAfterMs)) {
          const failed = await store.failScheduledPost(
            data.postId,
            data.version,
            'missed',
            missedMessage(current.scheduledAt, settings.missedAfterMs),
          );
          if (failed) {
            for (const t of current.targets) deps.metrics.publishOutcome(t.platform, 'failed', 'missed');
            log.warn({ overdueMs }, 'post missed its time by more than MISSED_AFTER_MS; failed as missed');
            return 'missed';
          }
        }
      }
    }

    const claim = await store.claimPost(data.postId, data.version);
    if (claim.outcome === 'stale') {
      const reason = !claim.post
        ? 'post deleted'
        : claim.post.version !== data.version
        ? `edited (now version ${claim.post.version})`
        : claim.post.status;
      log.info({ reason }, 'stale post job dropped without publishing');
      return 'stale';
    }
    const post = claim.post;
    // What creators feel: from the time they chose to the moment publishing starts (first run only).
    if (claim.outcome === 'claimed') {
      deps.metrics.startLateness((deps.now().getTime() - post.scheduledAt.getTime()) / 1000);
    }
    // After a crash (already_publishing), targets left `publishing` also get a job: it reconciles them.
    const toSend = post.targets.filter((t) =>
      t.status === 'pending' || (claim.outcome === 'already_publishing' && t.status === 'publishing')
    );
    if (toSend.length === 0) {
      const rolled = await store.rollUpPost(post.id);
      log.info({ postStatus: rolled.status }, 'post has no target left to send');
      return 'nothing_to_send';
    }
    log.info(
      { targets: toSend.map((t) => t.platform), claim: claim.outcome, lateMs: deps.now().getTime() - dueAt },
      'post due; publishing its targets',
    );
    if (claim.outcome === 'already_publishing') {
      // Another run got here first (a crash, or a duplicate job): each target gets its own job, which
      // sends it if still pending and reconciles it if left publishing.
      await enqueueTargetJobs(
        deps.targetQueue,
        toSend.map((t) => ({ postId: post.id, version: post.version, targetId: t.id })),
        settings.publishAttempts,
      );
      return 'fanned_out';
    }
    const sent = await Promise.allSettled(toSend.map((t) => sendHere(job, post, t, log)));
    const failure = sent.find((r) => r.status === 'rejected');
    // Only when even the hand-over failed: the job retries, finds the post already publishing, and
    // adds a publish job per unsettled target.
    if (failure) throw failure.reason;
    return 'fanned_out';
  };

  /** A target's first attempt, inside this post job. */
  async function sendHere(job: Job, post: Post, target: PostTarget, log: Logger): Promise<PublishJobResult> {
    const ref = { postId: post.id, version: post.version, targetId: target.id };
    try {
      return await deps.runTarget(
        { postId: post.id, version: post.version, targetId: target.id },
        createInlineControl(deps, ref, job),
        post,
      );
    } catch (err) {
      // Unexpected (e.g. a database error): the target's own publish job retries it, as BullMQ would
      // have retried a publish job — and reconciles it if it was left publishing.
      log.error(
        { targetId: target.id, platform: target.platform, err: (err as Error).message },
        'sending a target failed unexpectedly; handing it to a publish job',
      );
      const delayMs = retryDelayMs(
        1,
        { baseMs: settings.backoffMs, maxMs: settings.backoffMaxMs },
        deps.random,
      );
      await enqueueTargetJobs(deps.targetQueue, [{ ...ref, delayMs }], settings.publishAttempts);
      return 'retrying';
    }
  }
}
