/**
 * Connecting a LinkedIn member and keeping the token alive (docs/platform-apis.md §3.2): the authorize URL
 * and the token endpoint (`/oauth/v2/accessToken`) on the OAuth host, and the member's id from
 * `/v2/userinfo` (`sub` → `urn:li:person:{sub}`).
 *
 * Refresh tokens are granted only to approved partner apps. Without one, the access token lives 60 days
 * and the creator must reconnect; `refresh` then fails with auth_expired so the account is marked
 * needs_reconnect before a publish meets an expired token.
 */
import type { AccountTokens } from '../../domain/post.ts';
import { type HttpClient, type HttpResponse, isRecord } from '../http-client.ts';
import type { ConnectedAccount, OAuthStart } from '../publisher.ts';
import { PublishError } from '../publish-error.ts';
import type { LinkedInApi } from './linkedin-api.ts';
import { rateLimitResetAt } from './linkedin-errors.ts';

export const LINKEDIN_SCOPES = ['openid', 'profile', 'w_member_social'] as const;

export interface LinkedInOAuthOptions {
  http: HttpClient;
  api: LinkedInApi;
  baseUrl: string;
  oauthBaseUrl: string;
  clientId: string | null;
  clientSecret: string | null;
  scopes: readonly string[];
  now: () => Date;
}

export function linkedInAuthorizationUrl(options: LinkedInOAuthOptions, start: OAuthStart): string {
  const url = new URL(`${options.oauthBaseUrl}/oauth/v2/authorization`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', requireClient(options.clientId, 'LINKEDIN_CLIENT_ID'));
  url.searchParams.set('redirect_uri', start.redirectUri);
  url.searchParams.set('state', start.state);
  url.searchParams.set('scope', options.scopes.join(' '));
  return url.toString();
}

export async function exchangeLinkedInCode(
  options: LinkedInOAuthOptions,
  params: { code: string; redirectUri: string },
  signal: AbortSignal,
): Promise<ConnectedAccount> {
  const grant = await tokenRequest(
    options,
    {
      grant_type: 'authorization_code',
      code: params.code,
      redirect_uri: params.redirectUri,
    },
    signal,
    'exchanging the authorization code',
  );
  const res = await options.http.request({
    method: 'GET',
    url: `${options.baseUrl}/v2/userinfo`,
    headers: { authorization: `Bearer ${grant.tokens.accessToken}` },
    signal,
  });
  if (!res.ok) options.api.fail(res, 'reading the member profile');
  const body = isRecord(res.json) ? res.json : {};
  if (typeof body.sub !== 'string' || body.sub === '') {
    throw new PublishError('unknown', 'LinkedIn did not name the member (no sub in /v2/userinfo)', {
      platform: 'linkedin',
      platformStatus: res.status,
      platformMessage: res.bodyExcerpt,
    });
  }
  return {
    externalId: `urn:li:person:${body.sub}`,
    displayName: typeof body.name === 'string' ? body.name : null,
    scopes: grant.scopes,
    tokens: grant.tokens,
  };
}

export async function refreshLinkedInTokens(
  options: LinkedInOAuthOptions,
  tokens: AccountTokens,
  signal: AbortSignal,
): Promise<AccountTokens> {
  if (!tokens.refreshToken) {
    const when = tokens.expiresAt ? ` on ${tokens.expiresAt.toISOString()}` : '';
    throw new PublishError(
      'auth_expired',
      `The LinkedIn token expires${when} and LinkedIn granted no refresh token (only approved partner apps get one); ` +
        'reconnect the account',
      { platform: 'linkedin' },
    );
  }
  const grant = await tokenRequest(
    options,
    {
      grant_type: 'refresh_token',
      refresh_token: tokens.refreshToken,
    },
    signal,
    'refreshing the access token',
  );
  return { ...grant.tokens, refreshToken: grant.tokens.refreshToken ?? tokens.refreshToken };
}

async function tokenRequest(
  options: LinkedInOAuthOptions,
  form: Record<string, string>,
  signal: AbortSignal,
  action: string,
): Promise<{ tokens: AccountTokens; scopes: string[] }> {
  const res = await options.http.request({
    method: 'POST',
    url: `${options.oauthBaseUrl}/oauth/v2/accessToken`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      ...form,
      client_id: requireClient(options.clientId, 'LINKEDIN_CLIENT_ID'),
      client_secret: requireClient(options.clientSecret, 'LINKEDIN_CLIENT_SECRET'),
    }).toString(),
    signal,
    // LinkedIn refresh tokens do not rotate and a code is single-use: a repeat creates nothing.
    idempotent: true,
  });
  const body = isRecord(res.json) ? res.json : {};
  if (!res.ok || typeof body.access_token !== 'string') throw oauthError(res, body, action, options.now());
  const now = options.now().getTime();
  return {
    tokens: {
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : null,
      expiresAt: typeof body.expires_in === 'number' ? new Date(now + body.expires_in * 1000) : null,
    },
    scopes: typeof body.scope === 'string' ? body.scope.split(/[ ,]+/).filter((s) => s !== '') : [],
  };
}

/** OAuth answers use `{error, error_description}` (RFC 6749), not the REST envelope. */
function oauthError(
  res: HttpResponse,
  body: Record<string, unknown>,
  action: string,
  now: Date,
): PublishError {
  const error = typeof body.error === 'string' ? body.error : null;
  const details = {
    platform: 'linkedin' as const,
    platformStatus: res.status,
    platformCode: error,
    platformMessage: typeof body.error_description === 'string' ? body.error_description : res.bodyExcerpt,
  };
  if (res.status === 429) {
    return new PublishError('rate_limited', `LinkedIn rate limit reached while ${action}`, {
      ...details,
      retryAt: rateLimitResetAt(res.headers, now),
    });
  }
  if (res.status >= 500) {
    return new PublishError(
      'platform_unavailable',
      `LinkedIn answered ${res.status} while ${action}`,
      details,
    );
  }
  if (error === 'invalid_client' || res.status === 401) {
    return new PublishError(
      'permission_denied',
      `LinkedIn refused the app's credentials while ${action}; check LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET`,
      details,
    );
  }
  if (res.ok) {
    return new PublishError(
      'unknown',
      `LinkedIn answered ${res.status} without an access token while ${action}`,
      details,
    );
  }
  return new PublishError(
    'auth_expired',
    `LinkedIn refused the grant while ${action} (expired, revoked or already used); reconnect the account`,
    details,
  );
}

function requireClient(value: string | null, name: string): string {
  if (value) return value;
  throw new PublishError(
    'permission_denied',
    `${name} is not set; the LinkedIn OAuth app is not configured`,
    {
      platform: 'linkedin',
    },
  );
}
