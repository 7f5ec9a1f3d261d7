/**
 * What a target's attempt log says about its next step: whether an earlier send may be live, and how
 * long to wait after a "too many requests" that named no reset time.
 */
import type { AttemptRecord, PostTarget } from '../domain/post.ts';

/** Longest deferral of a target whose platform said "too many requests" without saying until when. */
export const MAX_RATE_LIMIT_DEFER_MS = 3_600_000;

/** True when an earlier attempt of this target ended with its outcome unknown (it may be live). */
export function hadAmbiguousSend(target: PostTarget, attempts: readonly AttemptRecord[]): boolean {
  if (target.errorCode === 'outcome_unknown') return true;
  return attempts.some((a) => a.errorCode === 'outcome_unknown' || a.outcome === 'unconfirmed');
}

/**
 * The deferral after a "too many requests" that named no reset time: PUBLISH_BACKOFF_MS, doubled for
 * each such deferral in a row of this target, capped at an hour — a momentary throttle costs
 * seconds, a daily cap at most an hour per probe. No attempt is used either way.
 */
export function rateLimitDelayMs(attempts: readonly AttemptRecord[], backoffMs: number): number {
  let inARow = 0;
  for (let i = attempts.length - 1; i >= 0; i--) {
    const a = attempts[i]!;
    if (a.outcome !== 'deferred' || (a.errorCode !== 'rate_limited' && a.errorCode !== 'quota_exceeded')) {
      break;
    }
    inARow++;
  }
  return Math.min(MAX_RATE_LIMIT_DEFER_MS, backoffMs * 2 ** Math.min(inARow, 32));
}
