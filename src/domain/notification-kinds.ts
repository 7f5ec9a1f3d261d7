/**
 * What a creator is told about, as event types: the `kind` of a notification, the `type` of a
 * Standard Webhooks message, and what an endpoint subscribes to. The migration's check constraints
 * list the same strings (add, never rename).
 *
 * - `post.*`: a post reached a final status (published, partially_published, failed, cancelled).
 * - `target.*`: one platform's target failed for good, or was sent without an answer (unconfirmed).
 */
import type { PostStatus, TargetStatus } from './post.ts';

export const NOTIFICATION_KINDS = [
  'post.published',
  'post.partially_published',
  'post.failed',
  'post.cancelled',
  'target.failed',
  'target.unconfirmed',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** The Standard Webhooks `type` of the message POST /notification-endpoints/:id/test sends. */
export const TEST_EVENT_TYPE = 'endpoint.test';

const POST_KINDS: Readonly<Partial<Record<PostStatus, NotificationKind>>> = {
  published: 'post.published',
  partially_published: 'post.partially_published',
  failed: 'post.failed',
  cancelled: 'post.cancelled',
};

const TARGET_KINDS: Readonly<Partial<Record<TargetStatus, NotificationKind>>> = {
  failed: 'target.failed',
  unconfirmed: 'target.unconfirmed',
};

/** The kind a post reaching `status` is notified as, or null when that status is not notified. */
export function postKindOf(status: string): NotificationKind | null {
  return POST_KINDS[status as PostStatus] ?? null;
}

/** The kind a target reaching `status` is notified as, or null when that status is not notified. */
export function targetKindOf(status: string): NotificationKind | null {
  return TARGET_KINDS[status as TargetStatus] ?? null;
}
