/**
 * The in-memory OAuthStateStore (oauth-state-store.ts; see postgres-oauth-states.ts). The check and the
 * delete in `consumeOAuthState` run with no `await` between them, so a state is taken exactly once.
 */
import type { OAuthStateRecord, OAuthStateStore } from './oauth-state-store.ts';
import type { TokenCipher } from './token-cipher.ts';
import {
  checkNewOAuthState,
  codeVerifierContext,
  hashOAuthState,
  isWellFormedState,
} from './oauth-state-rules.ts';

interface StateRow extends Omit<OAuthStateRecord, 'codeVerifier'> {
  codeVerifierCiphertext: string;
}

export function createMemoryOAuthStateStore(
  options: { cipher: TokenCipher; now: () => Date },
): OAuthStateStore {
  const { cipher, now } = options;
  const states = new Map<string, StateRow>();
  return {
    async saveOAuthState(input) {
      checkNewOAuthState(input);
      const hash = await hashOAuthState(input.state);
      const codeVerifierCiphertext = await cipher.encrypt(input.codeVerifier, codeVerifierContext(hash));
      const createdAt = now();
      for (const [key, row] of states) if (row.expiresAt <= createdAt) states.delete(key);
      states.set(hash, {
        userId: input.userId,
        platform: input.platform,
        codeVerifierCiphertext,
        redirectUri: input.redirectUri,
        expiresAt: new Date(input.expiresAt),
        createdAt,
      });
    },

    async consumeOAuthState(query) {
      if (!isWellFormedState(query.state)) return null;
      const hash = await hashOAuthState(query.state);
      const row = states.get(hash);
      if (
        !row || row.platform !== query.platform || row.expiresAt <= query.now ||
        (query.userId !== undefined && row.userId !== query.userId)
      ) {
        return null;
      }
      states.delete(hash);
      const { codeVerifierCiphertext, ...record } = row;
      return {
        ...record,
        codeVerifier: await cipher.decrypt(codeVerifierCiphertext, codeVerifierContext(hash)),
      };
    },
  };
}
