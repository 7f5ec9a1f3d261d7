/**
 * Step 3 of a target run (publish-job.ts): the target was found `publishing`, claimed by an earlier
 * run that never settled it (the worker died, or lost its lock). Until that claim is older than
 * abandonAfterMs by the database's clock, the earlier run may still be sending: leave it and check
 * again later. After that, take the claim over (one atomic store call) and reconcile with the platform
 * (target-recovery.ts) — never a blind re-send.
 */
import type { Post, PostTarget } from '../domain/post.ts';
import type { Logger } from '../observability/logger.ts';
import { budgetLeft } from './budget-left.ts';
import { checkLater } from './check-later.ts';
import { rollUpPost } from './roll-up-post.ts';
import { recoverUnknownOutcome, releaseUnsent, settleHeld } from './target-recovery.ts';
import type { PublishJobResult, TargetRunControl } from './target-run-control.ts';
import type { HandlerDeps } from './worker-deps.ts';
import { abandonAfterMs } from './worker-deps.ts';

/** Step 3. Null when the target went back to pending and may be sent. */
export async function recoverAbandonedClaim(
  deps: HandlerDeps,
  control: TargetRunControl,
  post: Post,
  target: PostTarget,
  log: Logger,
): Promise<PublishJobResult | null> {
  const { store, settings } = deps;
  const askedAt = performance.now();
  const takeover = target.claimToken
    ? await store.takeOverClaim(target.id, target.claimToken, abandonAfterMs(settings.publishTimeoutMs))
    : { outcome: 'gone' as const };
  if (takeover.outcome === 'held') {
    // Judged by the store's clock: the run holding it may still be sending. Leave it alone.
    const checkAt = new Date(deps.now().getTime() + takeover.retryInMs);
    log.info(
      { checkAt: checkAt.toISOString() },
      'target is publishing under an earlier claim; checking again once that send must have ended',
    );
    return await control.defer(checkAt);
  }
  if (takeover.outcome === 'gone') {
    log.info('target was settled by the run that held it; nothing to send');
    return 'claimed_elsewhere';
  }
  log.warn(
    'target was left publishing by an earlier run (worker stopped mid-send); reconciling with the platform',
  );
  const held = takeover.target;
  const startedAt = deps.now();
  const reason = 'the worker stopped while sending this post';
  const recovery = await recoverUnknownOutcome(deps, post, held, reason, startedAt, {
    budgetMs: budgetLeft(askedAt, settings.publishTimeoutMs),
  });
  const { outcome } = recovery;
  if (outcome === 'advanced') {
    // A thread's part was live: recorded; the target goes back to pending and this run sends the next.
    const released = await settleHeld(deps, recovery.target!, {
      status: 'pending',
      errorCode: 'outcome_unknown',
      errorMessage: `${reason}; the thread part it was sending is live, so the next part is sent`,
      nextAttemptAt: deps.now(),
    }, startedAt);
    if (!released) return 'claimed_elsewhere';
    log.info('earlier thread part found live; adopted, sending the next part');
    return null;
  }
  if (outcome === 'not_published') {
    if (!(await releaseUnsent(deps, held, reason, startedAt))) return 'claimed_elsewhere';
    log.info('platform confirms the earlier send did not go out; sending again');
    return null;
  }
  if (outcome === 'claim_lost') return 'claimed_elsewhere';
  if (outcome === 'check_later') {
    deps.metrics.publishOutcome(target.platform, 'deferred', 'outcome_unknown');
    return await checkLater(deps, control, log, 1000);
  }
  await rollUpPost(store, post.id, log);
  log.info(
    { outcome },
    outcome === 'published' ? 'earlier send found live; adopted' : 'target marked unconfirmed',
  );
  return outcome === 'published' ? 'reconciled' : 'unconfirmed';
}
