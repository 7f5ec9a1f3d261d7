/**
 * The Postgres PostStore (postgres.js), the source of truth in production (Supabase): one adapter per
 * port on one connection — postgres-posts.ts, postgres-accounts.ts, postgres-idempotency-keys.ts and
 * postgres-oauth-states.ts — plus the connection's lifecycle.
 *
 * Connection ownership: a store built from a `sql` the caller passes in does not end it on `close()`
 * (the caller owns it) unless `ownsConnection: true`; `createPostStore` passes true for the
 * connection it opens with `connectPostgres` (connect-postgres.ts).
 */
import type postgres from 'postgres';
import type { PostStore } from './post-store.ts';
import { createPostgresAccountStore } from './postgres-accounts.ts';
import { createPostgresIdempotencyKeyStore } from './postgres-idempotency-keys.ts';
import { createPostgresOAuthStateStore } from './postgres-oauth-states.ts';
import { createPostgresPostsAndTargets } from './postgres-posts.ts';
import type { TokenCipher } from './token-cipher.ts';

export interface PostgresPostStoreOptions {
  sql: postgres.Sql;
  cipher: TokenCipher;
  /** The clock for refresh and Idempotency-Key times. (Default: () => new Date()) */
  now?: () => Date;
  /** End `sql` on `close()`. (Default: false — whoever created the connection ends it) */
  ownsConnection?: boolean;
}

export function createPostgresPostStore(options: PostgresPostStoreOptions): PostStore {
  const { sql, cipher } = options;
  const now = options.now ?? (() => new Date());
  return {
    ...createPostgresPostsAndTargets({ sql }),
    ...createPostgresAccountStore({ sql, cipher, now }),
    ...createPostgresIdempotencyKeyStore({ sql, now }),
    ...createPostgresOAuthStateStore({ sql, cipher, now }),

    async ping() {
      await sql`select 1`;
    },

    async close() {
      if (options.ownsConnection) await sql.end({ timeout: 5 });
    },
  };
}
