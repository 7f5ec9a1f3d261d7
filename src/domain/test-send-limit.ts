/**
 * The per-creator limit on test events (POST /notification-endpoints/:id/test): at most `max` in any
 * sliding window of `windowMs`. A test event makes the server POST to a URL the creator chose, so
 * without a limit the endpoint routes would be a free request cannon. Both notification stores
 * decide with this one function over the times of the creator's recent sends. Pure.
 */

export interface TestSendLimit {
  /** Test events per window. */
  max: number;
  windowMs: number;
}

export type TestSendDecision = { allowed: true } | { allowed: false; retryAt: Date };

/**
 * Whether one more test send at `now` fits, given the times of earlier sends (any order; those
 * older than the window do not count). When it does not, `retryAt` is when the oldest send in the
 * window leaves it.
 */
export function decideTestSend(sentAt: readonly Date[], now: Date, limit: TestSendLimit): TestSendDecision {
  const windowStart = now.getTime() - limit.windowMs;
  const inWindow = sentAt.map((d) => d.getTime()).filter((t) => t > windowStart).sort((a, b) => a - b);
  if (inWindow.length < limit.max) return { allowed: true };
  // The send that must leave the window before one more fits.
  const blocking = inWindow[inWindow.length - limit.max]!;
  return { allowed: false, retryAt: new Date(blocking + limit.windowMs) };
}
