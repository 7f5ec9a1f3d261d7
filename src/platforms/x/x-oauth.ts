/**
 * OAuth 2.0 Authorization Code with PKCE for X (docs/platform-apis.md §1.2). The token endpoint is
 * form-encoded; a confidential client (one with a secret) authenticates with HTTP Basic, a public
 * client sends `client_id` in the form. Refresh tokens rotate: every refresh spends the old one.
 */
import type { AccountTokens } from '../../domain/post.ts';
import type { HttpClient } from '../http-client.ts';
import { PublishError } from '../publish-error.ts';
import { readTokenResponse } from './x-api.ts';
import type { XTokenResponse } from './x-api.ts';
import { classifyXError } from './x-errors.ts';

/** What we ask for: posting, media, reading the user id, and a refresh token. */
export const X_DEFAULT_SCOPES = ['tweet.read', 'tweet.write', 'users.read', 'media.write', 'offline.access'];
export const X_AUTHORIZE_URL = 'https://x.com/i/oauth2/authorize';

export interface XClientCredentials {
  clientId: string;
  clientSecret: string | null;
}

export function buildXAuthorizationUrl(
  authorizeUrl: string,
  client: XClientCredentials,
  params: { state: string; redirectUri: string; codeChallenge?: string; scopes: readonly string[] },
): string {
  if (!params.codeChallenge) {
    throw new TypeError(
      'X needs a PKCE code challenge: pass OAuthStart.codeChallenge (S256 of the verifier)',
    );
  }
  if (params.state.length > 500) throw new TypeError('X allows a state of at most 500 characters');
  const url = new URL(authorizeUrl);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.clientId);
  url.searchParams.set('redirect_uri', params.redirectUri);
  url.searchParams.set('scope', params.scopes.join(' '));
  url.searchParams.set('state', params.state);
  url.searchParams.set('code_challenge', params.codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

/** A random PKCE verifier (43 characters of base64url, RFC 7636). */
export function createPkceVerifier(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** S256 challenge of a verifier. */
export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * POSTs a grant to the token endpoint. A refresh whose answer is lost has probably spent the refresh
 * token, but nothing was published, so transport failures stay `network` (the caller retries; if the
 * token was spent, the retry gets the platform's "invalid" answer and the account needs reconnecting).
 */
export async function requestXToken(
  http: HttpClient,
  tokenUrl: string,
  client: XClientCredentials,
  grant: Record<string, string>,
  context: { operation: 'token' | 'refresh'; now: Date; signal: AbortSignal },
): Promise<XTokenResponse> {
  const form = new URLSearchParams(grant);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client.clientSecret) {
    headers.authorization = `Basic ${btoa(`${client.clientId}:${client.clientSecret}`)}`;
  } else {
    form.set('client_id', client.clientId);
  }
  const res = await http.request({
    method: 'POST',
    url: tokenUrl,
    headers,
    body: form.toString(),
    signal: context.signal,
    idempotent: true,
  });
  if (res.status !== 200) throw classifyXError(res, { operation: context.operation, now: context.now });
  const token = readTokenResponse(res.json);
  if (!token) {
    throw new PublishError('unknown', `X's token endpoint answered 200 without an access token`, {
      platform: 'x',
      platformStatus: res.status,
      // The body holds tokens when it is partly valid: never keep it.
      platformMessage: null,
    });
  }
  return token;
}

export function toAccountTokens(
  token: XTokenResponse,
  now: Date,
  previousRefreshToken: string | null,
): AccountTokens {
  return {
    accessToken: token.accessToken,
    // X always rotates; keep the old one only if a (non-X) server answers without a new one.
    refreshToken: token.refreshToken ?? previousRefreshToken,
    expiresAt: token.expiresInSeconds === null
      ? null
      : new Date(now.getTime() + token.expiresInSeconds * 1000),
  };
}
