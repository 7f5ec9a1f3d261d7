/** What the worker's job handlers and the reconciler share. Built once in start-worker.ts. */
import type { Logger } from '../observability/logger.ts';
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
}

/**
 * How long after its claim a `publishing` target may be treated as abandoned by a later run of its
 * job: the send is bounded by PUBLISH_TIMEOUT_MS, plus a grace for the database round trips around it.
 */
export function abandonAfterMs(publishTimeoutMs: number): number {
  return publishTimeoutMs + Math.max(1000, Math.min(10_000, publishTimeoutMs));
}
