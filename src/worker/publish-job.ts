/**
 * Publishing one target of one post. Its first attempt runs inside the post job at due time
 * (post-job.ts, `createInlineControl`); every later run — a retry, a rate-limit deferral, a target
 * found `publishing` after a crash — is a `publish` job (`target-<id>`, `createTargetJobProcessor`,
 * target-run-control.ts). Both run the same steps, each guarding the guarantees in docs/operations.md:
 *
 * 1. Validate the job data (ids only); bad data fails the job with a reason.
 * 2. Read the post and target. Gone, another version, or already settled: nothing to send.
 * 3. Found `publishing`: an earlier run claimed it and never settled (the worker died, or lost its
 *    lock). Until that claim is older than abandonAfterMs by the database's clock, the earlier run may
 *    still be sending: leave it and check again later. After that, take the claim over (one atomic
 *    store call) and reconcile with the platform (target-recovery.ts) — never a blind re-send.
 * 4. The account is rate-limited (known in this process): defer without calling the platform. Then
 *    wait for a send slot (at most WORKER_CONCURRENCY sends in flight in this process) and a place in
 *    WORKER_RATE_MAX (across processes; none: defer, no attempt used).
 * 5. Claim `pending -> publishing` in the store (compare-and-set, stamped by the store's clock; counts
 *    the attempt). Losing the claim means another worker has it: done.
 * 6. Send, by a deadline counted from before the claim was asked for (a slow claim shortens the send,
 *    or hands the target back unsent), aborted if shutdown overruns; an auth rejection gets one token
 *    refresh and one more try when a token provider is present.
 * 7. Settle with the attempt log, roll the post up, and turn failures into queue actions
 *    (failure-policy.ts). An unknown outcome, or a duplicate refusal after one, is reconciled.
 *
 * This module runs steps 2, 4 and 5. Step 1 is the job processor's (target-run-control.ts, post-job.ts),
 * step 3 is recover-abandoned-claim.ts, step 6 publish-claimed-target.ts, step 7 apply-failure-decision.ts.
 */
import type { Logger } from '../observability/logger.ts';
import type { Post } from '../domain/post.ts';
import type { TargetJobRef } from '../queue/job-data.ts';
import { publishClaimedTarget } from './publish-claimed-target.ts';
import type { PublishJobDeps } from './publish-job-deps.ts';
import { recoverAbandonedClaim } from './recover-abandoned-claim.ts';
import { rollUpPost } from './roll-up-post.ts';
import { publishFirstComment } from './publish-comment.ts';
import type { CommentStatus } from '../domain/post-content.ts';

/** A first comment in one of these will not be sent again without a person asking. */
function isCommentSettled(status: CommentStatus): boolean {
  return status === 'published' || status === 'failed' || status === 'unconfirmed';
}
import type { PublishJobResult, TargetRunControl, TargetRunner } from './target-run-control.ts';

export type { PublishJobDeps };

export function createTargetRunner(deps: PublishJobDeps): TargetRunner {
  const { store } = deps;

  return async function runTarget(
    data: TargetJobRef,
    control: TargetRunControl,
    claimedPost?: Post,
  ): Promise<PublishJobResult> {
    const post = claimedPost?.id === data.postId ? claimedPost : await store.getPost(data.postId);
    let target = post?.targets.find((t) => t.id === data.targetId);
    if (!post || !target || post.version !== data.version) {
      deps.logger.info(
        { jobId: control.jobId, postId: data.postId, targetId: data.targetId, run: control.run },
        'publish job is stale (post or target gone, or another version); dropped without publishing',
      );
      return 'stale';
    }
    // One child logger per run, bound once: each binding and each line is serialised on the hot path.
    // The usual run gets it at its claim (with the attempt); the other paths get it here, when needed.
    const bindings = {
      jobId: control.jobId,
      postId: data.postId,
      targetId: data.targetId,
      platform: target.platform,
      accountId: target.accountId,
    };
    let runLog: Logger | null = null;
    const log = (): Logger => (runLog ??= deps.logger.child(bindings));
    // At debug: every path below logs what it decided at info ('publish attempt' carries the run).
    if (deps.logger.isLevelEnabled('debug')) log().debug({ run: control.run }, 'publish job received');

    if (target.status === 'publishing') {
      const recovered = await recoverAbandonedClaim(deps, control, post, target, log());
      if (recovered === 'reconciled') {
        return await publishFirstComment(
          deps,
          control,
          post,
          { ...target, status: 'published' },
          log(),
          recovered,
        );
      }
      if (recovered !== null) return recovered;
      target = { ...target, status: 'pending' };
    } else if (target.status !== 'pending') {
      await rollUpPost(store, post.id, log());
      // A published target's first comment may still be due (a retry, or a run that died before it).
      if (target.status === 'published' && target.comment && !isCommentSettled(target.comment.status)) {
        return await publishFirstComment(deps, control, post, target, log(), 'already_settled');
      }
      log().info({ status: target.status }, 'target already settled; nothing to send');
      return 'already_settled';
    }

    if (target.accountId) {
      const until = deps.accountLimits.blockedUntil(target.accountId, deps.now().getTime());
      if (until !== null) {
        deps.metrics.publishOutcome(target.platform, 'deferred', 'rate_limited');
        log().info({ retryAt: new Date(until).toISOString() }, 'account is rate-limited; target deferred');
        return await control.defer(new Date(until));
      }
    }

    // The slot is taken before the claim, so waiting for it never counts against the claim's time.
    let result: PublishJobResult;
    let held: Post['targets'][number];
    const release = await deps.sendSlots.acquire();
    try {
      if (deps.sendRate) {
        const waitMs = await deps.sendRate.take();
        if (waitMs > 0) {
          // Spread the waiters over the next window rather than waking them all at once.
          const until = new Date(deps.now().getTime() + waitMs + Math.floor(deps.random() * waitMs));
          deps.metrics.publishOutcome(target.platform, 'deferred', 'rate_limited');
          log().info({ retryAt: until.toISOString() }, 'WORKER_RATE_MAX reached; target deferred');
          return await control.defer(until);
        }
      }
      // Every platform call under this claim ends within runBudgetMs of this moment, which precedes
      // the store's stamp of the claim: what lets another run judge it abandoned by the store's clock.
      const askedAt = performance.now();
      const claimed = await store.claimTarget(target.id);
      if (!claimed) {
        log().info('target was claimed elsewhere or settled meanwhile; nothing to send');
        return 'claimed_elsewhere';
      }
      // The claim read the account with the target: the send needs nothing more from the store.
      const { account, ...rest } = claimed;
      held = rest;
      const attemptLog = deps.logger.child({ ...bindings, attempt: held.attempts });
      result = await publishClaimedTarget(deps, control, post, held, account, attemptLog, askedAt, release);
    } finally {
      release();
    }
    // The first comment goes after the post is live, with a send slot of its own.
    if ((result === 'published' || result === 'reconciled') && held.comment) {
      return await publishFirstComment(deps, control, post, { ...held, status: 'published' }, log(), result);
    }
    return result;
  };
}
