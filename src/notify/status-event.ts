/**
 * The database-webhook payload the trigger public.post_status_webhook() sends, validated with zod,
 * and the status event it stands for. Two shapes arrive and both pass the same schema:
 * - through pg_net, Supabase's `{ type, table, schema, record, old_record }` with whole rows;
 * - through pg_notify, the same with compact rows (ids, statuses, version, attempts, updated_at),
 *   because NOTIFY payloads must stay under 8000 bytes.
 * Only what the handler relies on is checked; other row fields pass through untouched.
 *
 * The event key makes deliveries idempotent: a post's final status is unique per version (a retry
 * bumps it), a target's status change per updated_at (normalised to an ISO instant, so the session
 * time zone that wrote the JSON does not matter).
 */
import { z } from 'zod';
import { PLATFORMS } from '../domain/platform.ts';
import { POST_STATUSES, TARGET_STATUSES } from '../domain/post.ts';
import type { Platform } from '../domain/platform.ts';
import { postKindOf, targetKindOf } from '../domain/notification-kinds.ts';
import type { NotificationKind } from '../domain/notification-kinds.ts';

const uuid = z.string().regex(
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  {
    error: 'must be a uuid',
  },
);
const instant = z.string().refine((v) => !Number.isNaN(Date.parse(v)), { error: 'must be a timestamp' });

const postRecord = z.looseObject({
  id: uuid,
  user_id: uuid,
  status: z.enum(POST_STATUSES),
  version: z.number().int().positive(),
  updated_at: instant,
});
const postOldRecord = z.looseObject({ id: uuid, status: z.enum(POST_STATUSES) });

const targetRecord = z.looseObject({
  id: uuid,
  post_id: uuid,
  user_id: uuid,
  platform: z.enum(PLATFORMS),
  status: z.enum(TARGET_STATUSES),
  updated_at: instant,
});
const targetOldRecord = z.looseObject({ id: uuid, status: z.enum(TARGET_STATUSES) });

export const statusWebhookPayloadSchema = z.discriminatedUnion('table', [
  z.object({
    type: z.literal('UPDATE'),
    table: z.literal('posts'),
    schema: z.literal('public'),
    record: postRecord,
    old_record: postOldRecord,
  }),
  z.object({
    type: z.literal('UPDATE'),
    table: z.literal('post_targets'),
    schema: z.literal('public'),
    record: targetRecord,
    old_record: targetOldRecord,
  }),
], { error: 'table must be "posts" or "post_targets"' });

export type StatusWebhookPayload = z.infer<typeof statusWebhookPayloadSchema>;

export interface StatusEvent {
  kind: NotificationKind;
  table: 'posts' | 'post_targets';
  postId: string;
  /** Set for target events. */
  targetId: string | null;
  platform: Platform | null;
  /** The owner named by the row (the handler trusts the post it reads, not this). */
  userId: string;
  status: string;
  eventKey: string;
  /** The row as sent (whole or compact). */
  record: Readonly<Record<string, unknown>>;
}

export type StatusEventResult =
  | { ok: true; event: StatusEvent }
  | { ok: true; event: null; reason: string }
  | { ok: false; errors: { path: string; message: string }[] };

/** Validates a payload and turns it into the event to notify (null: valid but nothing to say). */
export function parseStatusEvent(payload: unknown): StatusEventResult {
  const parsed = statusWebhookPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.') || '(payload)',
        message: issue.message,
      })),
    };
  }
  const p = parsed.data;
  if (p.record.id !== p.old_record.id) {
    return { ok: false, errors: [{ path: 'old_record.id', message: 'must be the id of record' }] };
  }
  if (p.record.status === p.old_record.status) {
    return { ok: true, event: null, reason: `status did not change (${p.record.status})` };
  }
  const updatedAt = new Date(p.record.updated_at).toISOString();
  if (p.table === 'posts') {
    const kind = postKindOf(p.record.status);
    if (!kind) return { ok: true, event: null, reason: `post status ${p.record.status} is not notified` };
    return {
      ok: true,
      event: {
        kind,
        table: 'posts',
        postId: p.record.id,
        targetId: null,
        platform: null,
        userId: p.record.user_id,
        status: p.record.status,
        eventKey: `posts:${p.record.id}:${p.record.status}:v${p.record.version}`,
        record: p.record,
      },
    };
  }
  const kind = targetKindOf(p.record.status);
  if (!kind) return { ok: true, event: null, reason: `target status ${p.record.status} is not notified` };
  return {
    ok: true,
    event: {
      kind,
      table: 'post_targets',
      postId: p.record.post_id,
      targetId: p.record.id,
      platform: p.record.platform,
      userId: p.record.user_id,
      status: p.record.status,
      eventKey: `post_targets:${p.record.id}:${p.record.status}:${updatedAt}`,
      record: p.record,
    },
  };
}
