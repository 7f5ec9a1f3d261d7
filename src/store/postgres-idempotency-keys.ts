/**
 * The Postgres IdempotencyKeyStore (idempotency-key-store.ts): records (public.idempotency_keys): the primary key (user_id, key)
 * decides between concurrent requests; an expired row is taken over in the same statement.
 */
import type postgres from 'postgres';
import { asKnownUser } from './store-errors.ts';
import type {
  IdempotencyKeyStore,
  IdempotencyRecord,
  IdempotencyReservation,
} from './idempotency-key-store.ts';
import { storableTextProblem } from '../domain/storable-text.ts';
import { checkReservation } from './idempotency-key-rules.ts';
import { isUuid } from './input-checks.ts';
import { checkPurge } from './purge-batch.ts';

export function createPostgresIdempotencyKeyStore(
  options: { sql: postgres.Sql; now: () => Date },
): IdempotencyKeyStore {
  const { sql, now } = options;
  return {
    async reserveIdempotencyKey(
      userId: string,
      key: string,
      requestHash: string,
      expiredBefore: Date,
    ): Promise<IdempotencyReservation> {
      checkReservation(userId, key, requestHash, expiredBefore);
      // The primary key (user_id, key) decides between concurrent callers; an expired row is taken over.
      // Loops only if the row it lost to is released between the two statements.
      for (;;) {
        const reserved = await asKnownUser(userId, () =>
          sql`
          insert into public.idempotency_keys (user_id, key, request_hash, created_at)
          values (${userId}, ${key}, ${requestHash}, ${now()})
          on conflict (user_id, key) do update
            set request_hash = excluded.request_hash, response_status = null, response_body = null,
                created_at = excluded.created_at
            where public.idempotency_keys.created_at < ${expiredBefore}
          returning user_id`);
        if (reserved.length === 1) return { outcome: 'reserved' };
        const [row] = await sql<IdempotencyRow[]>`
          select user_id, key, request_hash, response_status, response_body, created_at
          from public.idempotency_keys where user_id = ${userId} and key = ${key}`;
        if (row) return { outcome: 'existing', record: toIdempotencyRecord(row) };
      }
    },

    async completeIdempotencyKey(userId: string, key: string, response: { status: number; body: unknown }) {
      if (!isUuid(userId) || storableTextProblem(key) !== null) return; // no row can have it
      await sql`
        update public.idempotency_keys
        set response_status = ${response.status}, response_body = ${
        sql.json((response.body ?? null) as postgres.JSONValue)
      }
        where user_id = ${userId} and key = ${key}`;
    },

    async releaseIdempotencyKey(userId: string, key: string) {
      if (!isUuid(userId) || storableTextProblem(key) !== null) return; // no row can have it
      await sql`
        delete from public.idempotency_keys
        where user_id = ${userId} and key = ${key} and response_status is null`;
    },

    async purgeIdempotencyKeys(createdBefore: Date, limit: number): Promise<number> {
      checkPurge(createdBefore, limit, 'createdBefore');
      // One bounded batch, oldest first on idempotency_keys_created_at_idx; `skip locked` lets two
      // reconcilers purge side by side, and leaves a row a request is completing for the next pass.
      const deleted = await sql`
        delete from public.idempotency_keys
        where (user_id, key) in (
          select user_id, key from public.idempotency_keys
          where created_at < ${createdBefore}
          order by created_at
          limit ${limit}
          for update skip locked)`;
      return deleted.count;
    },
  };
}

interface IdempotencyRow {
  user_id: string;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: unknown;
  created_at: Date;
}

function toIdempotencyRecord(row: IdempotencyRow): IdempotencyRecord {
  return {
    userId: row.user_id,
    key: row.key,
    requestHash: row.request_hash,
    response: row.response_status === null ? null : { status: row.response_status, body: row.response_body },
    createdAt: row.created_at,
  };
}
