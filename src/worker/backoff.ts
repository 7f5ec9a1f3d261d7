/**
 * Retry delays for publish attempts: exponential, capped, with "equal jitter" — half the delay is
 * fixed and half random — so retries of many targets spread out while each delay stays at least half
 * its nominal value. BullMQ's own exponential backoff has no cap, hence this strategy.
 *
 *   nominal(n) = min(PUBLISH_BACKOFF_MAX_MS, PUBLISH_BACKOFF_MS × 2^(n−1))
 *   delay(n)   = nominal(n)/2 + random() × nominal(n)/2        (n = the attempt that just failed)
 */
export interface BackoffSettings {
  /** PUBLISH_BACKOFF_MS */
  baseMs: number;
  /** PUBLISH_BACKOFF_MAX_MS */
  maxMs: number;
}

export function nominalDelayMs(attempt: number, settings: BackoffSettings): number {
  const exponent = Math.max(0, attempt - 1);
  // 2^exponent overflows to Infinity for huge attempt numbers; min() keeps the cap.
  return Math.min(settings.maxMs, settings.baseMs * 2 ** exponent);
}

/** The delay after attempt `attempt` (1-based) failed. `random` returns [0, 1). */
export function retryDelayMs(
  attempt: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const nominal = nominalDelayMs(attempt, settings);
  return Math.round(nominal / 2 + random() * (nominal / 2));
}
