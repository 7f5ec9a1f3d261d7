/**
 * Per-account rate-limit memory, in this process. When a platform says an account must wait until
 * T, other targets of that account are deferred to T without calling the platform (and without using
 * an attempt); targets of other accounts keep flowing. Each worker process learns this on its own —
 * a second process pays one more 429 — which keeps Redis out of the hot path.
 */
const MAX_ENTRIES = 10_000;

export interface AccountLimits {
  /** The time the account may be called again, or null when it may be called now. */
  blockedUntil(accountId: string, nowMs: number): number | null;
  block(accountId: string, untilMs: number): void;
}

export function createAccountLimits(): AccountLimits {
  const until = new Map<string, number>();
  return {
    blockedUntil(accountId, nowMs) {
      const at = until.get(accountId);
      if (at === undefined) return null;
      if (at <= nowMs) {
        until.delete(accountId);
        return null;
      }
      return at;
    },
    block(accountId, untilMs) {
      if (until.size >= MAX_ENTRIES) {
        // Forget the oldest entries; the worst case is one more rate-limited call.
        for (const key of [...until.keys()].slice(0, MAX_ENTRIES / 10)) until.delete(key);
      }
      until.set(accountId, Math.max(untilMs, until.get(accountId) ?? 0));
    },
  };
}
