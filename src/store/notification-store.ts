/**
 * The notification port: what the post-status-webhook handler, the delivery worker and the
 * notifications API need from storage. Kept apart from PostStore (which is about publishing) so the
 * webhook function needs neither tokens nor the token key. Two adapters: postgres
 * (src/store/postgres-notification-store.ts: SQL lives in src/store) and memory
 * (memory-notification-store.ts).
 *
 * Rules every adapter keeps (tests/contract/notification-store.contract.ts runs them on both):
 * - `insertNotification` is idempotent on `eventKey`: the same event delivered twice yields one row,
 *   and the second call returns the first row with `created: false`.
 * - Methods taking `userId` scope to that owner: another user's row is "not found".
 * - Inputs are checked alike (src/store/endpoint-rules.ts): a URL not in its normalised form, a
 *   text with NUL or a lone surrogate, unknown events… are `validation_failed` naming the field, on
 *   both adapters, before anything reaches the database. Defaults are applied in one place too.
 * - Endpoint signing secrets are sealed with the TokenCipher before they are stored (as platform
 *   tokens are) and leave the store only through `getSigningSecrets`; no endpoint object carries one.
 */
import type { Platform } from '../domain/platform.ts';
import type { PostStatus, TargetStatus } from '../domain/post.ts';
import type { NotificationKind } from '../domain/notification-kinds.ts';
import type { TestSendDecision, TestSendLimit } from '../domain/test-send-limit.ts';

export interface Notification {
  id: string;
  userId: string;
  postId: string | null;
  targetId: string | null;
  kind: NotificationKind;
  title: string;
  body: string;
  link: string | null;
  eventKey: string;
  readAt: Date | null;
  createdAt: Date;
}

export type NewNotification = Omit<Notification, 'id' | 'readAt' | 'createdAt'>;

export interface NotificationQuery {
  /** Only notifications not yet read. (Default: false) */
  unreadOnly?: boolean;
  /** 1..100. (Default: 20) */
  limit?: number;
  /** The id of the last notification of the previous page. */
  cursor?: string;
}

export interface NotificationPage {
  items: Notification[];
  nextCursor: string | null;
}

export interface NotificationEndpoint {
  id: string;
  userId: string;
  /** Normalised (src/net/endpoint-url.ts checkEndpointUrl). */
  url: string;
  description: string | null;
  events: NotificationKind[];
  enabled: boolean;
  /**
   * Until when the secret replaced by the last rotation still signs deliveries (alongside the
   * current one); null when only the current secret signs.
   */
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewEndpoint {
  userId: string;
  /** In its normalised form (checkEndpointUrl); any other shape is validation_failed. */
  url: string;
  /** At most 200 characters. (Default: null) */
  description?: string | null;
  /** `whsec_<base64>`: the Standard Webhooks signing secret, sealed before it is stored. */
  secret: string;
  /** Duplicates are dropped. (Default: every kind, NOTIFICATION_KINDS) */
  events?: readonly NotificationKind[];
  /** (Default: true) */
  enabled?: boolean;
}

export interface CreateEndpointOptions {
  /** Refuse with endpoint_limit_reached when the owner already has this many. (Default: no limit) */
  maxPerUser?: number;
}

export interface EndpointChanges {
  url?: string;
  description?: string | null;
  events?: readonly NotificationKind[];
  enabled?: boolean;
}

export interface EndpointQuery {
  /** 1..100. (Default: 20) */
  limit?: number;
  /** `nextCursor` of the previous page (opaque). */
  cursor?: string;
}

/** Oldest first. */
export interface EndpointPage {
  items: NotificationEndpoint[];
  nextCursor: string | null;
}

export interface SecretRotation {
  /** The new `whsec_…` secret. */
  secret: string;
  /** Until when the current secret keeps signing; null (or not after `at`): it stops at once. */
  previousExpiresAt: Date | null;
}

/** One attempt to POST a message to an endpoint (the delivery log). */
export interface DeliveryAttempt {
  endpointId: string;
  userId: string;
  /** Null for test events. */
  notificationId: string | null;
  messageId: string;
  eventType: string;
  attempt: number;
  /** Null when no HTTP answer came. */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface DeliveryRecord extends DeliveryAttempt {
  createdAt: Date;
}

/** What the handler reads about a post to word a notification (never tokens or claim tokens). */
export interface PostSnapshot {
  id: string;
  userId: string;
  status: PostStatus;
  version: number;
  scheduledAt: Date;
  publishedAt: Date | null;
  errorCode: string | null;
  errorMessage: string | null;
  targets: TargetSnapshot[];
}

export interface TargetSnapshot {
  id: string;
  platform: Platform;
  status: TargetStatus;
  attempts: number;
  externalUrl: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  nextAttemptAt: Date | null;
}

export interface NotificationStore {
  /** The post with its targets, or null when it no longer exists. */
  getPostSnapshot(postId: string): Promise<PostSnapshot | null>;
  /**
   * Inserts unless a notification with the same eventKey exists (then returns that one). Title,
   * body and link are server-made: NUL and lone surrogates become U+FFFD (toStorableText, src/domain/storable-text.ts).
   */
  insertNotification(input: NewNotification): Promise<{ notification: Notification; created: boolean }>;
  getNotification(id: string, userId?: string): Promise<Notification | null>;
  /** The owner's notifications, newest first. */
  listNotifications(userId: string, query?: NotificationQuery): Promise<NotificationPage>;
  /** Sets readAt (keeps the first one when already read); null when not the owner's. */
  markNotificationRead(id: string, userId: string, at: Date): Promise<Notification | null>;

  /** Throws endpoint_limit_reached (options.maxPerUser) or validation_failed. */
  createEndpoint(input: NewEndpoint, options?: CreateEndpointOptions): Promise<NotificationEndpoint>;
  getEndpoint(id: string, userId?: string): Promise<NotificationEndpoint | null>;
  /** The owner's endpoints, oldest first, a page at a time; a foreign cursor is validation_failed. */
  listEndpoints(userId: string, query?: EndpointQuery): Promise<EndpointPage>;
  /** The owner's enabled endpoints subscribed to `kind`, oldest first. */
  listSubscribedEndpoints(userId: string, kind: NotificationKind): Promise<NotificationEndpoint[]>;
  updateEndpoint(id: string, userId: string, changes: EndpointChanges): Promise<NotificationEndpoint | null>;
  /**
   * Replaces the signing secret; the current one becomes the previous one until
   * `rotation.previousExpiresAt` (a secret older than that is dropped). Null when not the owner's.
   */
  rotateEndpointSecret(
    id: string,
    userId: string,
    rotation: SecretRotation,
    at: Date,
  ): Promise<NotificationEndpoint | null>;
  /**
   * The secrets a delivery at `at` is signed with: the current one, then the previous one while it
   * is still valid (an expired one is dropped for good). Null when the endpoint does not exist.
   */
  getSigningSecrets(id: string, at: Date): Promise<string[] | null>;
  deleteEndpoint(id: string, userId: string): Promise<boolean>;
  /**
   * Reserves one test send of `userId` at `at` when `limit` allows it (src/domain/test-send-limit.ts),
   * atomically: concurrent requests cannot overshoot. Deleting an endpoint does not give sends back.
   */
  takeTestSendSlot(
    userId: string,
    endpointId: string,
    at: Date,
    limit: TestSendLimit,
  ): Promise<TestSendDecision>;
  /** Seals the signing secrets still stored in clear (rows from before encryption); how many it sealed. */
  sealPlaintextSecrets(): Promise<number>;

  /** The error is cut to 1000 characters, the duration rounded to whole milliseconds (at least 0). */
  recordDelivery(attempt: DeliveryAttempt): Promise<void>;
  /** The endpoint's delivery log, newest first. (Default limit: 50) */
  listDeliveries(endpointId: string, limit?: number): Promise<DeliveryRecord[]>;

  close(): Promise<void>;
}

/** Longest delivery-log error kept, in characters. */
export const MAX_DELIVERY_ERROR_CHARS = 1000;

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(limit)));
}
