/**
 * The Postgres OAuthStateStore (oauth-state-store.ts): pending states in public.oauth_states. `consumeOAuthState` is one
 * `DELETE … RETURNING` with every condition in its WHERE clause, so of two concurrent callbacks with
 * the same state exactly one gets the row.
 */
import type postgres from 'postgres';
import type { Platform } from '../domain/platform.ts';
import { isUuid } from './input-checks.ts';
import type { OAuthStateRecord, OAuthStateStore } from './oauth-state-store.ts';
import type { TokenCipher } from './token-cipher.ts';
import {
  checkNewOAuthState,
  codeVerifierContext,
  hashOAuthState,
  isWellFormedState,
} from './oauth-state-rules.ts';

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
  return {
    async saveOAuthState(input) {
      checkNewOAuthState(input);
      const hash = await hashOAuthState(input.state);
      const ciphertext = await cipher.encrypt(input.codeVerifier, codeVerifierContext(hash));
      const createdAt = now();
      await sql.begin(async (tx) => {
        // Abandoned connections (the creator never came back) are swept here; the index keeps it cheap.
        await tx`delete from public.oauth_states where expires_at <= ${createdAt}`;
        await tx`
          insert into public.oauth_states
            (state_hash, user_id, platform, code_verifier_ciphertext, redirect_uri, expires_at, created_at)
          values (${hash}, ${input.userId}, ${input.platform}, ${ciphertext}, ${input.redirectUri},
                  ${input.expiresAt}, ${createdAt})`;
      });
    },

    async consumeOAuthState(query): Promise<OAuthStateRecord | null> {
      if (!isWellFormedState(query.state)) return null;
      if (query.userId !== undefined && !isUuid(query.userId)) return null;
      const hash = await hashOAuthState(query.state);
      const [row] = await sql<StateRow[]>`
        delete from public.oauth_states
        where state_hash = ${hash} and platform = ${query.platform} and expires_at > ${query.now}
          ${query.userId === undefined ? sql`` : sql`and user_id = ${query.userId}`}
        returning *`;
      if (!row) return null;
      return {
        userId: row.user_id,
        platform: row.platform,
        codeVerifier: await cipher.decrypt(row.code_verifier_ciphertext, codeVerifierContext(hash)),
        redirectUri: row.redirect_uri,
        expiresAt: row.expires_at,
        createdAt: row.created_at,
      };
    },
  };
}
