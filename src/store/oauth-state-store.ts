/**
 * The OAuth-state port: pending connections between `POST /accounts/:platform/connect` and the
 * platform's redirect to the callback. Adapters: postgres-oauth-states.ts and memory-oauth-states.ts;
 * contract: tests/contract/oauth-states.contract.ts.
 */
import type { Platform } from '../domain/platform.ts';

/**
 * A pending OAuth connection, made by `POST /accounts/:platform/connect` and taken exactly once by
 * the platform's redirect to the callback. Stores keep only the SHA-256 of `state` and encrypt the
 * PKCE verifier (see oauth-state-rules.ts).
 */
export interface NewOAuthState {
  /** The random `state` sent to the platform. */
  state: string;
  userId: string;
  platform: Platform;
  /** The PKCE code verifier (RFC 7636) the code exchange needs. */
  codeVerifier: string;
  /** The redirect URI sent to the platform; the exchange must repeat it exactly. */
  redirectUri: string;
  expiresAt: Date;
}

export interface OAuthStateRecord {
  userId: string;
  platform: Platform;
  codeVerifier: string;
  redirectUri: string;
  expiresAt: Date;
  createdAt: Date;
}

export interface ConsumeOAuthState {
  state: string;
  platform: Platform;
  now: Date;
  /** When the caller is signed in: the state must be theirs. */
  userId?: string;
}

export interface OAuthStateStore {
  /**
   * Remembers a pending OAuth connection, and forgets up to SAVE_SWEEP_LIMIT states that expired
   * before `input`'s start (oauth-state-rules.ts).
   */
  saveOAuthState(input: NewOAuthState): Promise<void>;
  /**
   * Takes a pending OAuth state exactly once: atomically deletes and returns it when it exists, is for
   * `platform`, has not expired at `now` and (with `userId`) belongs to that user. Null otherwise; a
   * state that does not match is left for its owner.
   */
  consumeOAuthState(query: ConsumeOAuthState): Promise<OAuthStateRecord | null>;
  /**
   * The pending state `consumeOAuthState` would take, under the same conditions, left in place: a
   * completion reads it first, so a request that is then refused (the creator declined, the platform
   * refused the code) spends nothing and changes nothing.
   */
  findOAuthState(query: ConsumeOAuthState): Promise<OAuthStateRecord | null>;
  /**
   * Deletes at most `limit` states that expired at or before `now`, soonest-expired first, and
   * returns how many it deleted: one bounded batch (the reconciler calls it every pass), so abandoned
   * connections do not pile up and no single statement holds its locks for long.
   */
  purgeExpiredOAuthStates(now: Date, limit: number): Promise<number>;
}
