/**
 * What to do with a target whose send may have happened but whose outcome we never learned: the
 * platform timed out, or a worker died after claiming it (found `publishing` by a later run of its
 * job, or by the reconciler after STUCK_AFTER_MS). We ask the platform (`Publisher.reconcile`) and
 * never send blindly (DESIGN.md invariant 2):
 * - `published`: adopt its id and link (attempt outcome `reconciled`);
 * - `not_published`: the caller may send again;
 * - `unknown`, no `reconcile`, or the check fails: the target becomes `unconfirmed` with an explanation
 *   the creator can act on.
 */
import { hasErrorCode } from '../domain/error-codes.ts';
import type { Post, PostTarget } from '../domain/post.ts';
import type { ReconcileResult } from '../platforms/publisher.ts';
import type { TargetSettlement } from '../store/post-store.ts';
import type { HandlerDeps } from './worker-deps.ts';

/**
 * After shutdown aborted the sends, a reconcile call still gets this long (within the worker's
 * ABORT_GRACE_MS), so a post that did go out is adopted rather than marked unconfirmed. (Default: 2000 ms)
 */
export const SHUTDOWN_RECONCILE_MS = 2000;

export type RecoveryOutcome = 'published' | 'unconfirmed' | 'not_published' | 'claim_lost';

/** Asks the platform about an earlier send of `target`. Never throws: failures become `unknown`. */
export async function checkWithPlatform(
  deps: HandlerDeps,
  post: Post,
  target: PostTarget,
): Promise<ReconcileResult> {
  const publisher = deps.publishers[target.platform];
  if (!publisher?.reconcile) {
    return { status: 'unknown', reason: `${target.platform} offers no way to look up an earlier send` };
  }
  try {
    if (!target.accountId) return { status: 'unknown', reason: 'the account was disconnected' };
    const account = await deps.store.getAccount(target.accountId);
    if (!account) return { status: 'unknown', reason: 'the account was disconnected' };
    const timeoutMs = deps.shutdownSignal.aborted
      ? Math.min(deps.settings.publishTimeoutMs, SHUTDOWN_RECONCILE_MS)
      : deps.settings.publishTimeoutMs;
    const signal = AbortSignal.timeout(timeoutMs);
    const tokens = await deps.tokens.tokensFor(account, signal);
    return await publisher.reconcile({
      postId: post.id,
      targetId: target.id,
      content: { text: post.text, media: post.media },
      account: { id: account.id, externalId: account.externalId, tokens },
      attempt: target.attempts,
      signal,
    });
  } catch (err) {
    return {
      status: 'unknown',
      reason: `the check failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

/**
 * Recovers a target held by `target.claimToken` whose send has an unknown outcome. Settles it as
 * published or unconfirmed; for `not_published` it leaves the target `publishing` under that claim
 * and returns, so the caller decides how to retry.
 */
export async function recoverUnknownOutcome(
  deps: HandlerDeps,
  post: Post,
  target: PostTarget,
  reason: string,
  startedAt: Date,
): Promise<{ outcome: RecoveryOutcome; settled: PostTarget | null }> {
  const result = await checkWithPlatform(deps, post, target);
  if (result.status === 'not_published') return { outcome: 'not_published', settled: null };
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
  if (!settled) return { outcome: 'claim_lost', settled: null };
  return { outcome: result.status === 'published' ? 'published' : 'unconfirmed', settled };
}

/** settleTarget under the target's current claim; null when another holder settled it first. */
export async function settleHeld(
  deps: HandlerDeps,
  target: PostTarget,
  settlement: TargetSettlement,
  startedAt: Date,
  platformStatus: number | null = null,
): Promise<PostTarget | null> {
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
