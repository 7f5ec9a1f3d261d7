/**
 * The notification port: what the post-status-webhook handler, the delivery worker and the
 * notifications API need from storage. Kept apart from PostStore (which is about publishing) so the
 * webhook function needs neither tokens nor the token key. Two adapters: postgres
 * (src/store/postgres-notification-store.ts: SQL lives in src/store) and memory
 * (memory-notification-store.ts).
 *
 * Rules every adapter keeps:
 * - `insertNotification` is idempotent on `eventKey`: the same event delivered twice yields one row,
 *   and the second call returns the first row with `created: false`.
 * - Methods taking `userId` scope to that owner: another user's row is "not found".
 * - Endpoint secrets leave the store only through `getEndpoint`/`createEndpoint` (signing, and the
 *   one-time display on create); list results carry them too, and the API strips them.
 */
import type { Platform } from '../domain/platform.ts';
import type { PostStatus, TargetStatus } from '../domain/post.ts';
import type { NotificationKind } from '../domain/notification-kinds.ts';

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
  url: string;
  description: string | null;
  /** `whsec_<base64>`: the Standard Webhooks signing secret. */
  secret: string;
  events: NotificationKind[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewEndpoint {
  userId: string;
  url: string;
  description?: string | null;
  secret: string;
  events: NotificationKind[];
  enabled?: boolean;
}

export interface EndpointChanges {
  url?: string;
  description?: string | null;
  events?: NotificationKind[];
  enabled?: boolean;
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
  /** Inserts unless a notification with the same eventKey exists (then returns that one). */
  insertNotification(input: NewNotification): Promise<{ notification: Notification; created: boolean }>;
  getNotification(id: string, userId?: string): Promise<Notification | null>;
  /** The owner's notifications, newest first. */
  listNotifications(userId: string, query?: NotificationQuery): Promise<NotificationPage>;
  /** Sets readAt (keeps the first one when already read); null when not the owner's. */
  markNotificationRead(id: string, userId: string, at: Date): Promise<Notification | null>;

  createEndpoint(input: NewEndpoint): Promise<NotificationEndpoint>;
  getEndpoint(id: string, userId?: string): Promise<NotificationEndpoint | null>;
  listEndpoints(userId: string): Promise<NotificationEndpoint[]>;
  /** The owner's enabled endpoints subscribed to `kind`. */
  listSubscribedEndpoints(userId: string, kind: NotificationKind): Promise<NotificationEndpoint[]>;
  updateEndpoint(id: string, userId: string, changes: EndpointChanges): Promise<NotificationEndpoint | null>;
  deleteEndpoint(id: string, userId: string): Promise<boolean>;

  recordDelivery(attempt: DeliveryAttempt): Promise<void>;
  /** The endpoint's delivery log, newest first. */
  listDeliveries(endpointId: string, limit?: number): Promise<DeliveryRecord[]>;

  close(): Promise<void>;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(limit)));
}
