/**
 * The notification tables' rows (snake_case, as in supabase/migrations) and their mapping to the
 * NotificationStore types, plus the column lists every read selects.
 */
import type { NotificationKind } from '../domain/notification-kinds.ts';
import type { Notification, NotificationEndpoint } from './notification-store.ts';

export interface NotificationRow {
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

export interface EndpointRow {
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

export function toNotification(row: NotificationRow): Notification {
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

export function toEndpoint(row: EndpointRow): NotificationEndpoint {
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

export const NOTIFICATION_COLUMNS =
  'id, user_id, post_id, target_id, kind, title, body, link, event_key, read_at, created_at';
export const ENDPOINT_COLUMNS =
  'id, user_id, url, description, secret, events, enabled, created_at, updated_at';
