/**
 * Step 7 of a target run (publish-job.ts): a failure decision (failure-policy.ts) becomes a
 * settlement with its attempt log, a post roll-up, and a queue action (defer, retry, fail). An unknown
 * outcome, or a duplicate refusal after one, is first reconciled with the platform (target-recovery.ts).
 */
import type { Post, PostTarget } from '../domain/post.ts';
import type { Logger } from '../observability/logger.ts';
import type { TargetSettlement } from '../store/post-store.ts';
import { hadAmbiguousSend } from './attempt-history.ts';
import { budgetLeft } from './budget-left.ts';
import { checkLater } from './check-later.ts';
import type { PublishOutcome } from '../observability/metrics.ts';
import type { FailureDecision } from './failure-policy.ts';
import type { PublishJobDeps } from './publish-job-deps.ts';
import { retryBackoffMs } from './publish-job-deps.ts';
import { rollUpAfterSettle, rollUpPost } from './roll-up-post.ts';
import { recoverUnknownOutcome, settleHeld } from './target-recovery.ts';
import { liveParts, nextPartIndex } from '../domain/post-content.ts';
import type { PublishJobResult, TargetRunControl } from './target-run-control.ts';
import { runBudgetMs } from './worker-deps.ts';

const OUTCOME_OF_ACTION: Readonly<Record<'defer' | 'retry' | 'fail', PublishOutcome>> = {
  defer: 'deferred',
  retry: 'retrying',
  fail: 'failed',
};

/** Step 7, for a target this run holds: settles it as `decision` says and ends the run accordingly. */
export async function applyFailureDecision(
  deps: PublishJobDeps,
  control: TargetRunControl,
  post: Post,
  target: PostTarget,
  decision: FailureDecision,
  startedAt: Date,
  platformStatus: number | null,
  log: Logger,
  askedAt: number,
  /**
   * Sends a thread's next part under the claim (publish-claimed-target.ts), when a reconcile finds
   * this part live. Absent: the target is handed back to be claimed again.
   */
  resume?: (target: PostTarget) => Promise<PublishJobResult>,
): Promise<PublishJobResult> {
  const { store, settings } = deps;
  const attempt = target.attempts;
  let evidenceOfCopy: string | undefined;
  if (
    decision.action === 'fail' && decision.code === 'duplicate_content' &&
    hadAmbiguousSend(target, await store.listAttempts(target.id))
  ) {
    // An earlier send of this target may have gone out unanswered: the refusal says it did.
    evidenceOfCopy =
      `${target.platform} refused a re-send as a duplicate, so the earlier send is live, but which post it is could not be found`;
    decision = { action: 'reconcile', code: 'outcome_unknown', message: `${decision.message}` };
  }
  if (decision.action === 'reconcile') {
    log.warn(
      { code: decision.code, message: decision.message, duplicate: evidenceOfCopy !== undefined },
      'publish outcome unknown; reconciling with the platform',
    );
    const recovery = await recoverUnknownOutcome(deps, post, target, decision.message, startedAt, {
      budgetMs: budgetLeft(askedAt, runBudgetMs(settings.publishTimeoutMs)),
      evidenceOfCopy,
      continueInline: resume !== undefined,
    });
    const { outcome } = recovery;
    if (outcome === 'claim_lost') return 'claimed_elsewhere';
    if (outcome === 'advanced') {
      log.info('thread part found live; adopted, sending the next part');
      if (resume) return await resume(recovery.target!);
      return await handBackForNextPart(deps, control, recovery.target!, startedAt);
    }
    if (outcome === 'check_later') {
      deps.metrics.publishOutcome(target.platform, 'deferred', 'outcome_unknown');
      return await checkLater(deps, control, log, 0);
    }
    if (outcome !== 'not_published') {
      await rollUpPost(store, post.id, log);
      log.info(
        { outcome },
        outcome === 'published' ? 'send found live; adopted' : 'target marked unconfirmed',
      );
      return outcome === 'published' ? 'reconciled' : 'unconfirmed';
    }
    const message = `${decision.message}; the platform confirms it was not published`;
    decision = attempt >= settings.publishAttempts
      ? {
        action: 'fail',
        code: 'outcome_unknown',
        message: `${message} (gave up after ${attempt} attempts)`,
      }
      : { action: 'retry', code: 'outcome_unknown', message, delayMs: retryBackoffMs(deps, attempt) };
  }

  const live = liveParts(target);
  const settlement: TargetSettlement = decision.action === 'fail'
    ? live > 0
      // A thread cut short: what is live stays live, and the status says so.
      ? {
        status: 'partially_published',
        errorCode: decision.code,
        errorMessage: `${decision.message} (parts 1-${live} of ${
          target.thread!.length
        } of the thread are live)`,
      }
      : { status: 'failed', errorCode: decision.code, errorMessage: decision.message }
    : {
      status: 'pending',
      errorCode: decision.code,
      errorMessage: decision.message,
      nextAttemptAt: decision.action === 'defer'
        ? decision.until
        : new Date(deps.now().getTime() + decision.delayMs),
      deferred: decision.action === 'defer',
    };
  // Block the account before anything else awaits, so no other send for it starts in between.
  if (decision.action === 'defer' && target.accountId) {
    deps.accountLimits.block(target.accountId, decision.until.getTime());
  }
  const settled = await settleHeld(deps, target, settlement, startedAt, platformStatus);
  if (!settled) return 'claimed_elsewhere';
  deps.metrics.publishOutcome(target.platform, OUTCOME_OF_ACTION[decision.action], decision.code);

  switch (decision.action) {
    case 'defer':
      log.warn(
        { code: decision.code, message: decision.message, retryAt: decision.until.toISOString() },
        'rate-limited; target deferred (attempt not counted)',
      );
      return await control.defer(decision.until);
    case 'retry': {
      const retryAt = new Date(deps.now().getTime() + decision.delayMs).toISOString();
      log.warn({ code: decision.code, message: decision.message, retryAt }, 'publish failed; will retry');
      return await control.retry(`${decision.code}: ${decision.message}`, decision.delayMs);
    }
    case 'fail':
      log.info({ code: decision.code, message: decision.message }, 'target failed');
      await rollUpAfterSettle(store, settled, log);
      return await control.fail(`${decision.code}: ${decision.message}`);
  }
}

/**
 * A thread's part was found live by a caller that does not go on itself: the target goes back to
 * `pending` (no attempt used) and its run comes back at once for the next part.
 */
export async function handBackForNextPart(
  deps: PublishJobDeps,
  control: TargetRunControl,
  target: PostTarget,
  startedAt: Date,
): Promise<PublishJobResult> {
  const now = deps.now();
  const settled = await settleHeld(deps, target, {
    status: 'pending',
    errorCode: 'outcome_unknown',
    errorMessage: `part ${nextPartIndex(target)} of the thread was found live; the next part is sent`,
    nextAttemptAt: now,
    deferred: true,
  }, startedAt);
  if (!settled) return 'claimed_elsewhere';
  return await control.defer(now);
}
