/**
 * What the worker process counts, as a port: the worker, the token provider and the notification
 * deliveries record into a `WorkerMetrics`; prometheus-metrics.ts is the implementation the worker
 * process serves at GET /metrics, and NO_METRICS the default wherever nobody asked for numbers (tests,
 * the Edge Functions). This file has no dependency, so importing it never pulls prom-client into a
 * bundle.
 *
 * Every label value comes from a fixed list — platform ids, the outcomes below, error codes of
 * src/domain/error-codes.ts — so the number of series stays bounded. Never a user, post, account or
 * job id: those belong in the logs.
 */
import type { ErrorCode } from '../domain/error-codes.ts';
import type { Platform } from '../domain/platform.ts';

/**
 * How one run of a target ended, when it ended in a decision:
 * - `published`: sent and live; `adopted`: an earlier send of unknown outcome was found live;
 * - `failed`: failed for good (with its code); `retrying`: a transient failure, tried again later;
 * - `deferred`: waits without using an attempt (a rate limit, a slow claim, a platform that could not
 *   be asked about an earlier send yet);
 * - `unconfirmed`: may be live, could not be confirmed, never re-sent: a person must look.
 */
export type PublishOutcome = 'published' | 'adopted' | 'failed' | 'retrying' | 'deferred' | 'unconfirmed';

/** What a reconcile pass did, one kind per ReconcileReport field (src/worker/reconcile-metrics.ts). */
export type ReconcileActionKind =
  | 'post_requeued'
  | 'target_requeued'
  | 'comment_requeued'
  | 'missed'
  | 'stuck_adopted'
  | 'stuck_unconfirmed'
  | 'stuck_requeued'
  | 'rolled_up'
  | 'idempotency_keys_purged'
  | 'oauth_states_purged';

/**
 * A token refresh: `refreshed` at the platform; `adopted` another process's new pair instead (no
 * platform call, or it won the race); `reconnect_needed` (the account is marked needs_reconnect);
 * `error` (the platform or the network failed; the send that needed it retries).
 */
export type TokenRefreshOutcome = 'refreshed' | 'adopted' | 'reconnect_needed' | 'error';

/**
 * One try of a notification delivery to a creator's endpoint: `delivered` (2xx); `retrying` (it
 * failed and BullMQ tries again); `given_up` (the last try failed); `refused` (the endpoint may not be
 * reached, or refused for good); `dropped` (the endpoint or notification was deleted meanwhile).
 */
export type DeliveryOutcome = 'delivered' | 'retrying' | 'given_up' | 'refused' | 'dropped';

export interface WorkerMetrics {
  /**
   * A target run ended as `outcome`; `code` is the error code of a failed, retrying or deferred run
   * (one of ERROR_CODES; anything else is counted as `unknown`, so a label never takes free text).
   */
  publishOutcome(platform: Platform, outcome: PublishOutcome, code?: ErrorCode | string): void;
  /** How long one send took (token refresh and the platform call, success or not). */
  publishDuration(platform: Platform, seconds: number): void;
  /** A post job started: seconds between the post's scheduled time and that start (0 if early). */
  startLateness(seconds: number): void;
  reconcilerAction(kind: ReconcileActionKind, count: number): void;
  tokenRefresh(platform: Platform, outcome: TokenRefreshOutcome): void;
  notificationDelivery(outcome: DeliveryOutcome): void;
}

/** Records nothing. */
export const NO_METRICS: WorkerMetrics = Object.freeze({
  publishOutcome() {},
  publishDuration() {},
  startLateness() {},
  reconcilerAction() {},
  tokenRefresh() {},
  notificationDelivery() {},
});
