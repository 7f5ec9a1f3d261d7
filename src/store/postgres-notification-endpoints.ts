/**
 * Creators' webhook endpoints in public.notification_endpoints, each scoped by `userId`; an endpoint
 * is subscribed to a kind when it is enabled and the kind is in its `events`.
 */
import type postgres from 'postgres';
import type { NotificationKind } from '../domain/notification-kinds.ts';
import { isUuid } from './input-checks.ts';
import type { EndpointChanges, NewEndpoint, NotificationStore } from './notification-store.ts';
import type { EndpointRow } from './postgres-notification-rows.ts';
import { ENDPOINT_COLUMNS, toEndpoint } from './postgres-notification-rows.ts';

export function createPostgresNotificationEndpoints(
  options: { sql: postgres.Sql },
): Pick<
  NotificationStore,
  | 'createEndpoint'
  | 'getEndpoint'
  | 'listEndpoints'
  | 'listSubscribedEndpoints'
  | 'updateEndpoint'
  | 'deleteEndpoint'
> {
  const { sql } = options;
  const endpointColumns = sql.unsafe(ENDPOINT_COLUMNS);
  return {
    async createEndpoint(input: NewEndpoint) {
      const [row] = await sql<EndpointRow[]>`
        insert into public.notification_endpoints (user_id, url, description, secret, events, enabled)
        values (${input.userId}, ${input.url}, ${input.description ?? null}, ${input.secret},
                ${sql.array(input.events)}::text[], ${input.enabled ?? true})
        returning ${endpointColumns}`;
      return toEndpoint(row!);
    },

    async getEndpoint(id: string, userId?: string) {
      if (!isUuid(id)) return null;
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
      if (!isUuid(id)) return null;
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
      if (!isUuid(id)) return false;
      const rows = await sql`
        delete from public.notification_endpoints where id = ${id} and user_id = ${userId} returning id`;
      return rows.length > 0;
    },
  };
}
