/**
 * The Postgres OAuthStateStore (oauth-state-store.ts): pending states in public.oauth_states. `consumeOAuthState` is one
 * `DELETE … RETURNING` with every condition in its WHERE clause, so of two concurrent callbacks with
 * the same state exactly one gets the row.
 */
import type postgres from 'postgres';
import { asKnownUser } from './store-errors.ts';
import type { Platform } from '../domain/platform.ts';
import { isUuid } from './input-checks.ts';
import type { ConsumeOAuthState, OAuthStateRecord, OAuthStateStore } from './oauth-state-store.ts';
import type { TokenCipher } from './token-cipher.ts';
import {
  checkNewOAuthState,
  codeVerifierContext,
  hashOAuthState,
  isWellFormedState,
  SAVE_SWEEP_LIMIT,
} from './oauth-state-rules.ts';
import { checkPurge } from './purge-batch.ts';

interface StateRow {
  state_hash: string;
  user_id: string;
  platform: Platform;
  code_verifier_ciphertext: string;
  redirect_uri: string;
  expires_at: Date;
  created_at: Date;
}

export function createPostgresOAuthStateStore(
  options: { sql: postgres.Sql; cipher: TokenCipher; now: () => Date },
): OAuthStateStore {
  const { sql, cipher, now } = options;

  /**
   * One bounded batch of expired states, soonest-expired first on oauth_states_expires_at_idx;
   * `skip locked` lets concurrent purges (two reconcilers, a save) pass each other, and leaves a row a
   * callback is taking.
   */
  async function purge(db: postgres.Sql | postgres.TransactionSql, at: Date, limit: number) {
    const deleted = await db`
      delete from public.oauth_states
      where state_hash in (
        select state_hash from public.oauth_states
        where expires_at <= ${at}
        order by expires_at
        limit ${limit}
        for update skip locked)`;
    return deleted.count;
  }

  /** The state matching every condition of `query`: deleted and returned, or (`consume` false) read. */
  async function take(query: ConsumeOAuthState, consume: boolean): Promise<OAuthStateRecord | null> {
    if (!isWellFormedState(query.state)) return null;
    if (query.userId !== undefined && !isUuid(query.userId)) return null;
    const hash = await hashOAuthState(query.state);
    const matches = sql`
      state_hash = ${hash} and platform = ${query.platform} and expires_at > ${query.now}
      ${query.userId === undefined ? sql`` : sql`and user_id = ${query.userId}`}`;
    const [row] = consume
      ? await sql<StateRow[]>`delete from public.oauth_states where ${matches} returning *`
      : await sql<StateRow[]>`select * from public.oauth_states where ${matches}`;
    if (!row) return null;
    return {
      userId: row.user_id,
      platform: row.platform,
      codeVerifier: await cipher.decrypt(row.code_verifier_ciphertext, codeVerifierContext(hash)),
      redirectUri: row.redirect_uri,
      expiresAt: row.expires_at,
      createdAt: row.created_at,
    };
  }

  return {
    async saveOAuthState(input) {
      checkNewOAuthState(input);
      const hash = await hashOAuthState(input.state);
      const ciphertext = await cipher.encrypt(input.codeVerifier, codeVerifierContext(hash));
      const createdAt = now();
      await asKnownUser(input.userId, () =>
        sql.begin(async (tx) => {
          // Abandoned connections (the creator never came back) are swept here, a few at a time.
          await purge(tx, createdAt, SAVE_SWEEP_LIMIT);
          await tx`
          insert into public.oauth_states
            (state_hash, user_id, platform, code_verifier_ciphertext, redirect_uri, expires_at, created_at)
          values (${hash}, ${input.userId}, ${input.platform}, ${ciphertext}, ${input.redirectUri},
                  ${input.expiresAt}, ${createdAt})`;
        }));
    },

    async consumeOAuthState(query): Promise<OAuthStateRecord | null> {
      return await take(query, true);
    },

    async findOAuthState(query): Promise<OAuthStateRecord | null> {
      return await take(query, false);
    },

    async purgeExpiredOAuthStates(at: Date, limit: number): Promise<number> {
      checkPurge(at, limit, 'now');
      return await purge(sql, at, limit);
    },
  };
}
