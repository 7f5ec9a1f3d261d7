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

/** An endpoint as every read selects it: never a secret (getSigningSecrets reads those alone). */
export interface EndpointRow {
  id: string;
  user_id: string;
  url: string;
  description: string | null;
  events: NotificationKind[];
  enabled: boolean;
  previous_secret_expires_at: Date | null;
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
    events: [...row.events],
    enabled: row.enabled,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export const NOTIFICATION_COLUMNS =
  'id, user_id, post_id, target_id, kind, title, body, link, event_key, read_at, created_at';
export const ENDPOINT_COLUMNS =
  'id, user_id, url, description, events, enabled, previous_secret_expires_at, created_at, updated_at';

/**
 * `values` as a Postgres text[] literal, for `${textArray(xs)}::text[]`. postgres.js's `sql.array`
 * needs the array type oids it fetches on a connection's first query, so the first array written on
 * a fresh connection went out as `a,b,c` and failed with "malformed array literal" (a 500 on
 * POST /notification-endpoints).
 */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}
