/**
 * The notifications half of the Postgres NotificationStore: rows in public.notifications, one per
 * unique `event_key` (`insert … on conflict do nothing`, then read the row that won), read newest first.
 */
import type postgres from 'postgres';
import { isUuid } from './input-checks.ts';
import type {
  NewNotification,
  NotificationPage,
  NotificationQuery,
  NotificationStore,
} from './notification-store.ts';
import { pageSize } from './notification-store.ts';
import { checkNewNotification } from './notification-rules.ts';
import type { NotificationRow } from './postgres-notification-rows.ts';
import { NOTIFICATION_COLUMNS, toNotification } from './postgres-notification-rows.ts';

export function createPostgresNotifications(
  options: { sql: postgres.Sql },
): Pick<
  NotificationStore,
  'insertNotification' | 'getNotification' | 'listNotifications' | 'markNotificationRead'
> {
  const { sql } = options;
  const notificationColumns = sql.unsafe(NOTIFICATION_COLUMNS);
  return {
    async insertNotification(unchecked: NewNotification) {
      const input = checkNewNotification(unchecked);
      const inserted = await sql<NotificationRow[]>`
        insert into public.notifications (user_id, post_id, target_id, kind, title, body, link, event_key)
        values (${input.userId}, ${input.postId}, ${input.targetId}, ${input.kind},
                ${input.title}, ${input.body}, ${input.link}, ${input.eventKey})
        on conflict (event_key) do nothing
        returning ${notificationColumns}`;
      if (inserted[0]) return { notification: toNotification(inserted[0]), created: true };
      const [existing] = await sql<NotificationRow[]>`
        select ${notificationColumns} from public.notifications where event_key = ${input.eventKey}`;
      if (!existing) throw new Error(`notification ${input.eventKey} vanished between insert and read`);
      return { notification: toNotification(existing), created: false };
    },

    async getNotification(id: string, userId?: string) {
      if (!isUuid(id)) return null;
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
      if (query.cursor !== undefined && !isUuid(query.cursor)) return { items: [], nextCursor: null };
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
      if (!isUuid(id)) return null;
      const [row] = await sql<NotificationRow[]>`
        update public.notifications set read_at = coalesce(read_at, ${at})
        where id = ${id} and user_id = ${userId}
        returning ${notificationColumns}`;
      return row ? toNotification(row) : null;
    },
  };
}
