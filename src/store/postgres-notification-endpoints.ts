/**
 * Creators' webhook endpoints in public.notification_endpoints, each scoped by `userId`; an endpoint
 * is subscribed to a kind when it is enabled and the kind is in its `events`.
 *
 * - Inputs are checked and defaulted by endpoint-rules.ts before any SQL, as the memory adapter does.
 * - The per-owner limit holds under concurrency: count and insert run in one transaction under an
 *   advisory lock on the owner.
 * - The endpoint id is made here, so the signing secret is sealed before the INSERT with its
 *   endpoint bound in (`<id>:webhook_secret`); no read but getSigningSecrets touches a secret
 *   (postgres-signing-secrets.ts).
 */
import type postgres from 'postgres';
import { asKnownUser } from './store-errors.ts';
import type { NotificationKind } from '../domain/notification-kinds.ts';
import { encodeEndpointCursor, normalizeEndpointQuery } from './endpoint-page.ts';
import {
  checkEndpointChanges,
  checkNewEndpoint,
  endpointLimitReached,
  storedUrlInvalid,
} from './endpoint-rules.ts';
import { isUuid } from './input-checks.ts';
import type {
  CreateEndpointOptions,
  EndpointChanges,
  EndpointQuery,
  NewEndpoint,
  NotificationStore,
} from './notification-store.ts';
import type { EndpointRow } from './postgres-notification-rows.ts';
import { ENDPOINT_COLUMNS, textArray, toEndpoint } from './postgres-notification-rows.ts';
import { sealSigningSecret } from './signing-secret-cipher.ts';
import type { TokenCipher } from './token-cipher.ts';

/** The check constraint a URL saved before the URL rules can break on any update of its row. */
const STORED_URL_CONSTRAINT = 'notification_endpoints_url_stored';

export function createPostgresNotificationEndpoints(
  options: { sql: postgres.Sql; cipher: TokenCipher },
): Pick<
  NotificationStore,
  | 'createEndpoint'
  | 'getEndpoint'
  | 'listEndpoints'
  | 'listSubscribedEndpoints'
  | 'updateEndpoint'
  | 'deleteEndpoint'
> {
  const { sql, cipher } = options;
  const endpointColumns = sql.unsafe(ENDPOINT_COLUMNS);
  return {
    async createEndpoint(input: NewEndpoint, create: CreateEndpointOptions = {}) {
      const checked = checkNewEndpoint(input);
      const id = crypto.randomUUID();
      const sealed = await sealSigningSecret(cipher, checked.secret, id);
      return await asKnownUser(checked.userId, () =>
        sql.begin(async (tx) => {
          if (create.maxPerUser !== undefined) {
            // Two creations at once must not both see room for one more.
            await tx`select pg_advisory_xact_lock(hashtextextended(${`notification_endpoints:${checked.userId}`}, 0))`;
            const [count] = await tx<{ n: number }[]>`
            select count(*)::int as n from public.notification_endpoints where user_id = ${checked.userId}`;
            if (count!.n >= create.maxPerUser) throw endpointLimitReached(create.maxPerUser);
          }
          const [row] = await tx<EndpointRow[]>`
          insert into public.notification_endpoints
            (id, user_id, url, description, secret_ciphertext, events, enabled)
          values (${id}, ${checked.userId}, ${checked.url}, ${checked.description}, ${sealed},
                  ${textArray(checked.events)}::text[], ${checked.enabled})
          returning ${endpointColumns}`;
          return toEndpoint(row!);
        }));
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

    async listEndpoints(userId: string, query?: EndpointQuery) {
      const { limit, after } = normalizeEndpointQuery(query);
      // One row more than the page tells whether another page exists; cursor_at keeps microseconds.
      const rows = await sql<(EndpointRow & { cursor_at: string })[]>`
        select ${endpointColumns},
               to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
        from public.notification_endpoints
        where user_id = ${userId}
          ${
        after === null
          ? sql``
          // ::text first: a parameter typed timestamptz goes through postgres.js's Date serialiser,
          // which drops the microseconds the cursor keeps (and the page would repeat its last row).
          : sql`and (created_at, id) > (${after.createdAt}::text::timestamptz, ${after.id}::uuid)`
      }
        order by created_at, id
        limit ${limit + 1}`;
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(({ cursor_at: _, ...row }) => toEndpoint(row)),
        nextCursor: rows.length > limit && last
          ? encodeEndpointCursor({ createdAt: last.cursor_at, id: last.id })
          : null,
      };
    },

    async listSubscribedEndpoints(userId: string, kind: NotificationKind) {
      const rows = await sql<EndpointRow[]>`
        select ${endpointColumns} from public.notification_endpoints
        where user_id = ${userId} and enabled and ${kind} = any(events)
        order by created_at, id`;
      return rows.map(toEndpoint);
    },

    async updateEndpoint(id: string, userId: string, changes: EndpointChanges) {
      const checked = checkEndpointChanges(changes);
      if (!isUuid(id)) return null;
      try {
        const [row] = await sql<EndpointRow[]>`
          update public.notification_endpoints set
            url = coalesce(${checked.url ?? null}::text, url),
            description = case when ${checked.description !== undefined}::boolean
                               then ${checked.description ?? null}::text else description end,
            events = coalesce(${checked.events ? textArray(checked.events) : null}::text[], events),
            enabled = coalesce(${checked.enabled ?? null}::boolean, enabled)
          where id = ${id} and user_id = ${userId}
          returning ${endpointColumns}`;
        return row ? toEndpoint(row) : null;
      } catch (err) {
        if (isCheckViolation(err, STORED_URL_CONSTRAINT)) throw storedUrlInvalid(id);
        throw err;
      }
    },

    async deleteEndpoint(id: string, userId: string) {
      if (!isUuid(id)) return false;
      const rows = await sql`
        delete from public.notification_endpoints where id = ${id} and user_id = ${userId} returning id`;
      return rows.length > 0;
    },
  };
}

function isCheckViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: unknown; constraint_name?: unknown };
  return e?.code === '23514' && e.constraint_name === constraint;
}
