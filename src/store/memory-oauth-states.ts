/**
 * The in-memory OAuthStateStore (oauth-state-store.ts; see postgres-oauth-states.ts). The check and the
 * delete in `consumeOAuthState` run with no `await` between them, so a state is taken exactly once.
 */
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

interface StateRow extends Omit<OAuthStateRecord, 'codeVerifier'> {
  codeVerifierCiphertext: string;
}

export function createMemoryOAuthStateStore(
  options: { cipher: TokenCipher; now: () => Date },
): OAuthStateStore {
  const { cipher, now } = options;
  const states = new Map<string, StateRow>();

  /** Deletes up to `limit` states expired at `now`, soonest-expired first (as the SQL orders them). */
  function purge(now: Date, limit: number): number {
    const expired = [...states]
      .filter(([, row]) => row.expiresAt <= now)
      .sort(([, a], [, b]) => a.expiresAt.getTime() - b.expiresAt.getTime())
      .slice(0, limit);
    for (const [hash] of expired) states.delete(hash);
    return expired.length;
  }

  /** As postgres-oauth-states.ts: the check and the delete run with no `await` between them. */
  async function take(query: ConsumeOAuthState, consume: boolean): Promise<OAuthStateRecord | null> {
    if (!isWellFormedState(query.state)) return null;
    const hash = await hashOAuthState(query.state);
    const row = states.get(hash);
    if (
      !row || row.platform !== query.platform || row.expiresAt <= query.now ||
      (query.userId !== undefined && row.userId !== query.userId)
    ) {
      return null;
    }
    if (consume) states.delete(hash);
    const { codeVerifierCiphertext, ...record } = row;
    return {
      ...record,
      codeVerifier: await cipher.decrypt(codeVerifierCiphertext, codeVerifierContext(hash)),
    };
  }

  return {
    async saveOAuthState(input) {
      checkNewOAuthState(input);
      const hash = await hashOAuthState(input.state);
      const codeVerifierCiphertext = await cipher.encrypt(input.codeVerifier, codeVerifierContext(hash));
      const createdAt = now();
      purge(createdAt, SAVE_SWEEP_LIMIT);
      states.set(hash, {
        userId: input.userId,
        platform: input.platform,
        codeVerifierCiphertext,
        redirectUri: input.redirectUri,
        expiresAt: new Date(input.expiresAt),
        createdAt,
      });
    },

    consumeOAuthState: (query) => take(query, true),
    findOAuthState: (query) => take(query, false),

    purgeExpiredOAuthStates(now, limit) {
      // A failed check rejects, as every other method's does, instead of throwing synchronously.
      return Promise.resolve().then(() => {
        checkPurge(now, limit, 'now');
        return purge(now, limit);
      });
    },
  };
}
