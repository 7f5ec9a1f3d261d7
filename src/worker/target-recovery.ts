/**
 * What to do with a target whose send may have happened but whose outcome we never learned: the
 * platform timed out, or a worker died after claiming it (found `publishing` by a later run of its
 * job, or by the reconciler after STUCK_AFTER_MS). We ask the platform (`Publisher.reconcile`) and
 * never send blindly (invariant 2, docs/operations.md):
 * - `published`: adopt its id and link (attempt outcome `reconciled`);
 * - `not_published`: the caller may send again;
 * - `unknown`, no `reconcile`, or the check fails: the target becomes `unconfirmed` with an explanation
 *   the creator can act on.
 */
import { hasErrorCode } from '../domain/error-codes.ts';
import { nextPartIndex, sendContent } from '../domain/post-content.ts';
import type { Post, PostTarget } from '../domain/post.ts';
import type { ReconcileResult } from '../platforms/publisher.ts';
import type { SettledTarget, TargetSettlement } from '../store/post-store.ts';
import { isPublishError, mayAnswerLater } from '../platforms/publish-error.ts';
import type { HandlerDeps } from './worker-deps.ts';
import { recheckWindowMs } from './worker-deps.ts';

/**
 * After shutdown aborted the sends, a reconcile call still gets this long (within the worker's
 * ABORT_GRACE_MS), so a post that did go out is adopted rather than marked unconfirmed. (Default: 2000 ms)
 */
export const SHUTDOWN_RECONCILE_MS = 2000;

/** The code noted on a claim whose platform refused a re-send as a duplicate (a copy is live). */
const DUPLICATE_NOTE = 'duplicate_content';

/**
 * `check_later`: the platform could not be asked just now (down, throttled); the target stays
 * `publishing` under its claim, and a later run takes it over and asks again (up to recheckWindowMs
 * after the send began, then `unconfirmed`).
 */
export type RecoveryOutcome =
  | 'published'
  | 'unconfirmed'
  | 'not_published'
  | 'claim_lost'
  | 'check_later'
  /** A thread's part (not its last) was found live and recorded: `target` holds it; send the next. */
  | 'advanced';

/** Other targets' posts that went live this long before the send window are still never adopted. */
const TAKEN_IDS_LOOKBACK_MS = 24 * 3_600_000;

/**
 * Asks the platform about an earlier send of `target` that began at `sentAfter` or later. Never
 * throws: failures become `unknown`. `budgetMs` bounds the call (default PUBLISH_TIMEOUT_MS).
 */
export async function checkWithPlatform(
  deps: HandlerDeps,
  post: Post,
  target: PostTarget,
  sentAfter: Date,
  budgetMs?: number,
): Promise<ReconcileResult> {
  const publisher = deps.publishers[target.platform];
  if (!publisher?.reconcile) {
    return { status: 'unknown', reason: `${target.platform} offers no way to look up an earlier send` };
  }
  // The deadline starts now, before the database reads: the whole check ends within the budget.
  const limitMs = budgetMs ?? deps.settings.publishTimeoutMs;
  const timeoutMs = deps.shutdownSignal.aborted ? Math.min(limitMs, SHUTDOWN_RECONCILE_MS) : limitMs;
  if (timeoutMs <= 0) {
    return { status: 'unknown', reason: 'no time was left to ask the platform within PUBLISH_TIMEOUT_MS' };
  }
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    if (!target.accountId) return { status: 'unknown', reason: 'the account was disconnected' };
    const account = await deps.store.getAccount(target.accountId);
    if (!account) return { status: 'unknown', reason: 'the account was disconnected' };
    const takenExternalIds = await deps.store.listTakenExternalIds(
      account.id,
      target.id,
      new Date(sentAfter.getTime() - TAKEN_IDS_LOOKBACK_MS),
    );
    signal.throwIfAborted();
    const tokens = await deps.tokens.tokensFor(account, signal);
    return await publisher.reconcile({
      sentAfter,
      takenExternalIds,
      postId: post.id,
      targetId: target.id,
      content: sendContent(post, target),
      account: { id: account.id, externalId: account.externalId, tokens },
      attempt: target.attempts,
      signal,
    });
  } catch (err) {
    return {
      status: 'unknown',
      reason: `the check failed: ${err instanceof Error ? err.message : String(err)}`,
      // The platform was unreachable, or our own database was (any error but a PublishError or
      // unreadable tokens): asking again later may tell.
      retryable: mayAnswerLater(err) ||
        (!isPublishError(err) && !hasErrorCode(err, 'token_decrypt_failed')),
    };
  }
}

/**
 * Recovers a target held by `target.claimToken` whose send has an unknown outcome. Settles it as
 * published or unconfirmed; for `not_published` (the caller decides how to retry) and `check_later`
 * (the platform could not be asked now) it leaves the target `publishing` under that claim.
 */
export async function recoverUnknownOutcome(
  deps: HandlerDeps,
  post: Post,
  target: PostTarget,
  reason: string,
  startedAt: Date,
  options: RecoveryOptions = {},
): Promise<{ outcome: RecoveryOutcome; target?: PostTarget }> {
  // From the earliest send that may have gone out: an accepted-then-dropped send can go live long
  // before a later attempt hears "duplicate".
  const sentAfter = options.sentAfter ?? target.firstSentAt ?? target.claimedAt ?? startedAt;
  let result = await checkWithPlatform(deps, post, target, sentAfter, options.budgetMs);
  // Evidence is kept on the claim (noteOnClaim), so a run that takes the target over still has it.
  const evidenceOfCopy = options.evidenceOfCopy ??
    (target.errorCode === DUPLICATE_NOTE ? target.errorMessage ?? undefined : undefined);
  if (result.status === 'not_published' && evidenceOfCopy) {
    // The platform refused a re-send as a duplicate: a copy is live even though the look-up missed it
    // (its listing may lag behind): look again later.
    result = { status: 'unknown', reason: evidenceOfCopy, retryable: true };
  }
  if (result.status === 'not_published') return { outcome: 'not_published' };
  if (
    result.status === 'unknown' && result.retryable &&
    deps.now().getTime() - sentAfter.getTime() < recheckWindowMs(deps.settings.publishTimeoutMs)
  ) {
    if (evidenceOfCopy && target.claimToken) {
      await deps.store.noteOnClaim(target.id, target.claimToken, DUPLICATE_NOTE, evidenceOfCopy);
    }
    return { outcome: 'check_later' };
  }
  if (result.status === 'published' && target.thread) {
    // A thread's part went live: recorded as such, and the thread goes on (or is complete).
    const recorded = await recordPart(
      deps,
      target,
      result.published,
      startedAt,
      options.continueInline ?? false,
    );
    if (!recorded) return { outcome: 'claim_lost' };
    deps.metrics.publishOutcome(target.platform, 'adopted');
    if (nextPartIndex(recorded) < recorded.thread!.length) return { outcome: 'advanced', target: recorded };
    const head = recorded.thread![0]!;
    const done = await settleHeld(deps, recorded, {
      status: 'published',
      externalId: head.externalId!,
      externalUrl: head.url,
      outcome: 'reconciled',
    }, startedAt);
    return done ? { outcome: 'published' } : { outcome: 'claim_lost' };
  }
  const settlement: TargetSettlement = result.status === 'published'
    ? {
      status: 'published',
      externalId: result.published.externalId,
      externalUrl: result.published.url,
      outcome: 'reconciled',
    }
    : {
      status: 'unconfirmed',
      errorCode: 'outcome_unknown',
      errorMessage: `${reason}. It may be live on ${target.platform}, but this could not be confirmed ` +
        `(${result.reason}), so it was not sent again: check the account, then retry or dismiss it.`,
    };
  const settled = await settleHeld(deps, target, settlement, startedAt);
  if (!settled) return { outcome: 'claim_lost' };
  // Counted here for every caller: a later run, a failed send's follow-up, and the reconciler.
  deps.metrics.publishOutcome(target.platform, result.status === 'published' ? 'adopted' : 'unconfirmed');
  return { outcome: result.status === 'published' ? 'published' : 'unconfirmed' };
}

/**
 * Records a live part of a held target's thread; null when the claim was lost. `renew`: the holder
 * sends the next part at once under the same claim (ThreadPartRecord.renew).
 */
export async function recordPart(
  deps: HandlerDeps,
  target: PostTarget,
  published: { externalId: string; url: string | null },
  startedAt: Date,
  renew: boolean,
  outcome: 'published' | 'reconciled' = 'reconciled',
): Promise<PostTarget | null> {
  if (!target.claimToken) return null;
  try {
    return await deps.store.recordThreadPart(target.id, target.claimToken, {
      index: nextPartIndex(target),
      externalId: published.externalId,
      url: published.url,
      outcome,
      renew,
    }, { startedAt, finishedAt: deps.now() });
  } catch (err) {
    if (hasErrorCode(err, 'claim_lost')) return null;
    throw err;
  }
}

export interface RecoveryOptions {
  /**
   * The caller holds the claim and sends a thread's next part at once when this one is found live
   * (the claim is renewed); otherwise it hands the target back to be claimed again.
   */
  continueInline?: boolean;
  /** Start of the send window (default: the target's firstSentAt). */
  sentAfter?: Date;
  /** Bound on the platform call (default PUBLISH_TIMEOUT_MS). */
  budgetMs?: number;
  /**
   * Set when the platform itself said a copy is live (a duplicate refusal after an ambiguous send):
   * then `not_published` is not believed, and the target is adopted or marked unconfirmed with this.
   */
  evidenceOfCopy?: string;
}

/**
 * The platform confirmed an earlier send never went out: the target goes back to `pending` under the
 * claim that asked, to be sent again at once. Null when another holder settled it first.
 */
export async function releaseUnsent(
  deps: HandlerDeps,
  target: PostTarget,
  reason: string,
  startedAt: Date,
): Promise<PostTarget | null> {
  return await settleHeld(deps, target, {
    status: 'pending',
    errorCode: 'outcome_unknown',
    errorMessage: `${reason}; ${target.platform} confirms it was not published, so it is sent again`,
    nextAttemptAt: deps.now(),
  }, startedAt);
}

/** settleTarget under the target's current claim; null when another holder settled it first. */
export async function settleHeld(
  deps: HandlerDeps,
  target: PostTarget,
  settlement: TargetSettlement,
  startedAt: Date,
  platformStatus: number | null = null,
): Promise<SettledTarget | null> {
  if (!target.claimToken) return null;
  try {
    return await deps.store.settleTarget(target.id, target.claimToken, settlement, {
      startedAt,
      finishedAt: deps.now(),
      platformStatus,
    });
  } catch (err) {
    if (hasErrorCode(err, 'claim_lost')) return null;
    throw err;
  }
}
