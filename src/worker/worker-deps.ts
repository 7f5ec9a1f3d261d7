/** What the worker's job handlers and the reconciler share. Built once in start-worker.ts. */
import type { Logger } from '../observability/logger.ts';
import type { WorkerMetrics } from '../observability/metrics.ts';
import type { PublisherRegistry } from '../platforms/registry.ts';
import type { PostStore } from '../store/post-store.ts';
import type { AccountTokenSource } from './account-tokens.ts';

export type { PublisherRegistry };

export interface WorkerSettings {
  /** PUBLISH_ATTEMPTS */
  publishAttempts: number;
  /** PUBLISH_TIMEOUT_MS: bounds token refresh + send of one attempt, and each reconcile call. */
  publishTimeoutMs: number;
  /** PUBLISH_BACKOFF_MS / PUBLISH_BACKOFF_MAX_MS */
  backoffMs: number;
  backoffMaxMs: number;
  /** MISSED_AFTER_MS */
  missedAfterMs: number;
  /** STUCK_AFTER_MS */
  stuckAfterMs: number;
}

export interface HandlerDeps {
  store: PostStore;
  publishers: PublisherRegistry;
  tokens: AccountTokenSource;
  logger: Logger;
  settings: WorkerSettings;
  now: () => Date;
  random: () => number;
  /** Aborted when shutdown overruns SHUTDOWN_TIMEOUT_MS: in-flight sends stop and settle. */
  shutdownSignal: AbortSignal;
  /** Where outcomes, send durations and start lateness are counted (GET /metrics). */
  metrics: WorkerMetrics;
}

/**
 * Everything a run does with the platform under one claim — the send (with a token refresh) and, when
 * its outcome is unknown, the look-up that follows — ends within this long of the moment the run asked
 * for the claim (measured on the worker's monotonic clock, which starts before the store stamps the
 * claim): one PUBLISH_TIMEOUT_MS for the send, one for the look-up.
 */
export function runBudgetMs(publishTimeoutMs: number): number {
  return 2 * publishTimeoutMs;
}

/**
 * How long after an ambiguous send began the platform is asked again when it could not be asked (it
 * was down or throttled) before the target is given up as `unconfirmed`.
 */
export function recheckWindowMs(publishTimeoutMs: number): number {
  return 20 * publishTimeoutMs;
}

/**
 * How long after its claim — by the store's clock — a `publishing` target may be taken over as
 * abandoned (store.takeOverClaim). The holder's platform calls end within runBudgetMs of a moment
 * before the store stamped the claim, so no live run can still be sending by then; the grace covers
 * the database round trips that settle it. Clock skew between machines cannot shorten it: the age is
 * measured by the one store clock.
 */
export function abandonAfterMs(publishTimeoutMs: number): number {
  return runBudgetMs(publishTimeoutMs) + Math.max(1000, Math.min(10_000, publishTimeoutMs));
}
