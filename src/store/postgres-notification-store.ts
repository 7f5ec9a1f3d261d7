/**
 * The Postgres NotificationStore (postgres.js). Runs as the table owner or service_role (RLS is for
 * the Data API; this adapter scopes by `userId` itself). Idempotency is the unique `event_key`:
 * `insert … on conflict do nothing`, then read the row that won.
 *
 * Connection ownership: `close()` ends `sql` only with `ownsConnection: true`.
 *
 * It lives in src/store (SQL stays in store/ and migrations, STYLE.md §9); the port it implements,
 * NotificationStore, belongs to its users in src/notify.
 */
import type postgres from 'postgres';
import type { Platform } from '../domain/platform.ts';
import type { PostStatus, TargetStatus } from '../domain/post.ts';
import type {
  DeliveryAttempt,
  DeliveryRecord,
  EndpointChanges,
  NewEndpoint,
  NewNotification,
  Notification,
  NotificationEndpoint,
  NotificationPage,
  NotificationQuery,
  NotificationStore,
  PostSnapshot,
} from './notification-store.ts';
import { pageSize } from './notification-store.ts';
import type { NotificationKind } from '../domain/notification-kinds.ts';

export interface PostgresNotificationStoreOptions {
  sql: postgres.Sql;
  /** End `sql` on `close()`. (Default: false) */
  ownsConnection?: boolean;
}

interface NotificationRow {
  id: string;
  user_id: string;
  post_id: string | null;
  target_id: string | null;
  kind: NotificationKind;
  title: string;
  body: string;
  link: string | null;
  event_key: string;
  read_at: Date | null;
  created_at: Date;
}

interface EndpointRow {
  id: string;
  user_id: string;
  url: string;
  description: string | null;
  secret: string;
  events: NotificationKind[];
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    userId: row.user_id,
    postId: row.post_id,
    targetId: row.target_id,
    kind: row.kind,
    title: row.title,
    body: row.body,
    link: row.link,
    eventKey: row.event_key,
    readAt: row.read_at,
    createdAt: row.created_at,
  };
}

function toEndpoint(row: EndpointRow): NotificationEndpoint {
  return {
    id: row.id,
    userId: row.user_id,
    url: row.url,
    description: row.description,
    secret: row.secret,
    events: [...row.events],
    enabled: row.enabled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const NOTIFICATION_COLUMNS =
  'id, user_id, post_id, target_id, kind, title, body, link, event_key, read_at, created_at';
const ENDPOINT_COLUMNS = 'id, user_id, url, description, secret, events, enabled, created_at, updated_at';

export function createPostgresNotificationStore(
  options: PostgresNotificationStoreOptions,
): NotificationStore {
  const { sql } = options;
  const notificationColumns = sql.unsafe(NOTIFICATION_COLUMNS);
  const endpointColumns = sql.unsafe(ENDPOINT_COLUMNS);

  return {
    async getPostSnapshot(postId: string): Promise<PostSnapshot | null> {
      if (!UUID.test(postId)) return null;
      const [post] = await sql<{
        id: string;
        user_id: string;
        status: PostStatus;
        version: number;
        scheduled_at: Date;
        published_at: Date | null;
        error_code: string | null;
        error_message: string | null;
      }[]>`
        select id, user_id, status, version, scheduled_at, published_at, error_code, error_message
        from public.posts where id = ${postId}`;
      if (!post) return null;
      const targets = await sql<{
        id: string;
        platform: Platform;
        status: TargetStatus;
        attempts: number;
        external_url: string | null;
        error_code: string | null;
        error_message: string | null;
        next_attempt_at: Date | null;
      }[]>`
        select id, platform, status, attempts, external_url, error_code, error_message, next_attempt_at
        from public.post_targets where post_id = ${postId} order by created_at, id`;
      return {
        id: post.id,
        userId: post.user_id,
        status: post.status,
        version: post.version,
        scheduledAt: post.scheduled_at,
        publishedAt: post.published_at,
        errorCode: post.error_code,
        errorMessage: post.error_message,
        targets: targets.map((t) => ({
          id: t.id,
          platform: t.platform,
          status: t.status,
          attempts: t.attempts,
          externalUrl: t.external_url,
          errorCode: t.error_code,
          errorMessage: t.error_message,
          nextAttemptAt: t.next_attempt_at,
        })),
      };
    },

    async insertNotification(input: NewNotification) {
      const inserted = await sql<NotificationRow[]>`
        insert into public.notifications (user_id, post_id, target_id, kind, title, body, link, event_key)
        values (${input.userId}, ${input.postId}, ${input.targetId}, ${input.kind}, ${input.title},
                ${input.body}, ${input.link}, ${input.eventKey})
        on conflict (event_key) do nothing
        returning ${notificationColumns}`;
      if (inserted[0]) return { notification: toNotification(inserted[0]), created: true };
      const [existing] = await sql<NotificationRow[]>`
        select ${notificationColumns} from public.notifications where event_key = ${input.eventKey}`;
      if (!existing) throw new Error(`notification ${input.eventKey} vanished between insert and read`);
      return { notification: toNotification(existing), created: false };
    },

    async getNotification(id: string, userId?: string) {
      if (!UUID.test(id)) return null;
      const [row] = userId === undefined
        ? await sql<
          NotificationRow[]
        >`select ${notificationColumns} from public.notifications where id = ${id}`
        : await sql<NotificationRow[]>`
          select ${notificationColumns} from public.notifications where id = ${id} and user_id = ${userId}`;
      return row ? toNotification(row) : null;
    },

    async listNotifications(userId: string, query: NotificationQuery = {}): Promise<NotificationPage> {
      const limit = pageSize(query.limit);
      if (query.cursor !== undefined && !UUID.test(query.cursor)) return { items: [], nextCursor: null };
      // The cursor is the last id of the previous page; comparing (created_at, id) in SQL keeps the
      // microseconds a JavaScript Date would drop.
      const after = query.cursor === undefined ? sql`` : sql`
        and (created_at, id) < (
          select c.created_at, c.id from public.notifications c
          where c.id = ${query.cursor} and c.user_id = ${userId}
        )`;
      const unread = query.unreadOnly ? sql`and read_at is null` : sql``;
      const rows = await sql<NotificationRow[]>`
        select ${notificationColumns} from public.notifications
        where user_id = ${userId} ${unread} ${after}
        order by created_at desc, id desc
        limit ${limit + 1}`;
      const items = rows.slice(0, limit).map(toNotification);
      return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
    },

    async markNotificationRead(id: string, userId: string, at: Date) {
      if (!UUID.test(id)) return null;
      const [row] = await sql<NotificationRow[]>`
        update public.notifications set read_at = coalesce(read_at, ${at})
        where id = ${id} and user_id = ${userId}
        returning ${notificationColumns}`;
      return row ? toNotification(row) : null;
    },

    async createEndpoint(input: NewEndpoint) {
      const [row] = await sql<EndpointRow[]>`
        insert into public.notification_endpoints (user_id, url, description, secret, events, enabled)
        values (${input.userId}, ${input.url}, ${input.description ?? null}, ${input.secret},
                ${sql.array(input.events)}::text[], ${input.enabled ?? true})
        returning ${endpointColumns}`;
      return toEndpoint(row!);
    },

    async getEndpoint(id: string, userId?: string) {
      if (!UUID.test(id)) return null;
      const [row] = userId === undefined
        ? await sql<EndpointRow[]>`
          select ${endpointColumns} from public.notification_endpoints where id = ${id}`
        : await sql<EndpointRow[]>`
          select ${endpointColumns} from public.notification_endpoints where id = ${id} and user_id = ${userId}`;
      return row ? toEndpoint(row) : null;
    },

    async listEndpoints(userId: string) {
      const rows = await sql<EndpointRow[]>`
        select ${endpointColumns} from public.notification_endpoints
        where user_id = ${userId} order by created_at, id`;
      return rows.map(toEndpoint);
    },

    async listSubscribedEndpoints(userId: string, kind: NotificationKind) {
      const rows = await sql<EndpointRow[]>`
        select ${endpointColumns} from public.notification_endpoints
        where user_id = ${userId} and enabled and ${kind} = any(events)
        order by created_at, id`;
      return rows.map(toEndpoint);
    },

    async updateEndpoint(id: string, userId: string, changes: EndpointChanges) {
      if (!UUID.test(id)) return null;
      const [row] = await sql<EndpointRow[]>`
        update public.notification_endpoints set
          url = coalesce(${changes.url ?? null}::text, url),
          description = case when ${changes.description !== undefined}::boolean
                             then ${changes.description ?? null}::text else description end,
          events = coalesce(${changes.events ? sql.array(changes.events) : null}::text[], events),
          enabled = coalesce(${changes.enabled ?? null}::boolean, enabled)
        where id = ${id} and user_id = ${userId}
        returning ${endpointColumns}`;
      return row ? toEndpoint(row) : null;
    },

    async deleteEndpoint(id: string, userId: string) {
      if (!UUID.test(id)) return false;
      const rows = await sql`
        delete from public.notification_endpoints where id = ${id} and user_id = ${userId} returning id`;
      return rows.length > 0;
    },

    async recordDelivery(attempt: DeliveryAttempt) {
      await sql`
        insert into public.notification_deliveries
          (endpoint_id, user_id, notification_id, message_id, event_type, attempt, status_code, error, duration_ms)
        values (${attempt.endpointId}, ${attempt.userId}, ${attempt.notificationId}, ${attempt.messageId},
                ${attempt.eventType}, ${attempt.attempt}, ${attempt.statusCode},
                ${attempt.error === null ? null : attempt.error.slice(0, 1000)},
                ${Math.max(0, Math.round(attempt.durationMs))})`;
    },

    async listDeliveries(endpointId: string, limit = 50): Promise<DeliveryRecord[]> {
      if (!UUID.test(endpointId)) return [];
      const rows = await sql<{
        endpoint_id: string;
        user_id: string;
        notification_id: string | null;
        message_id: string;
        event_type: string;
        attempt: number;
        status_code: number | null;
        error: string | null;
        duration_ms: number;
        created_at: Date;
      }[]>`
        select endpoint_id, user_id, notification_id, message_id, event_type, attempt, status_code, error,
               duration_ms, created_at
        from public.notification_deliveries where endpoint_id = ${endpointId}
        order by created_at desc, id desc limit ${limit}`;
      return rows.map((r) => ({
        endpointId: r.endpoint_id,
        userId: r.user_id,
        notificationId: r.notification_id,
        messageId: r.message_id,
        eventType: r.event_type,
        attempt: r.attempt,
        statusCode: r.status_code,
        error: r.error,
        durationMs: r.duration_ms,
        createdAt: r.created_at,
      }));
    },

    async close() {
      if (options.ownsConnection) await sql.end({ timeout: 5 });
    },
  };
}
