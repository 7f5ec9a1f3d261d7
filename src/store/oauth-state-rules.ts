/**
 * Rules both stores apply to pending OAuth states: the `state` is kept only as its SHA-256 (a leaked
 * row cannot be replayed at the callback), the PKCE verifier is encrypted with the token cipher under
 * a context naming that hash, and input is checked before it is stored.
 */
import { isPlatform } from '../domain/platform.ts';
import { checkDate, checkUserId } from './input-checks.ts';
import type { NewOAuthState } from './oauth-state-store.ts';
import { checkStorableText } from './storable-text-checks.ts';
import { storeError } from './store-errors.ts';

/** `state` values are 43 characters of base64url in practice; X allows at most 500. */
const STATE_PATTERN = /^[A-Za-z0-9._~-]{16,500}$/;

/**
 * Expired states each save also deletes: a small batch, so an API-only deployment stays tidy while a
 * save never waits on a big delete (the reconciler purges the rest).
 */
export const SAVE_SWEEP_LIMIT = 100;

export async function hashOAuthState(state: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(state));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function codeVerifierContext(stateHash: string): string {
  return `oauth_state:${stateHash}:code_verifier`;
}

/** True when `state` could have been issued by us (anything else cannot match a row). */
export function isWellFormedState(state: unknown): state is string {
  return typeof state === 'string' && STATE_PATTERN.test(state);
}

export function checkNewOAuthState(input: NewOAuthState): void {
  checkUserId(input.userId);
  checkDate(input.expiresAt, 'expiresAt');
  if (!isWellFormedState(input.state)) {
    throw storeError('validation_failed', 'state must be 16-500 URL-safe characters', { path: 'state' });
  }
  if (!isPlatform(input.platform)) {
    throw storeError('validation_failed', `unknown platform ${JSON.stringify(input.platform)}`, {
      path: 'platform',
    });
  }
  if (input.codeVerifier.length < 43 || input.codeVerifier.length > 128) {
    throw storeError('validation_failed', 'codeVerifier must be 43-128 characters (RFC 7636)', {
      path: 'codeVerifier',
    });
  }
  if (!/^https?:\/\//.test(input.redirectUri)) {
    throw storeError('validation_failed', 'redirectUri must be an http(s) URL', { path: 'redirectUri' });
  }
  checkStorableText(input.redirectUri, 'redirectUri');
}
