/**
 * Connecting an Instagram professional account (Instagram API with Instagram Login, docs/platform-apis.md
 * §2.2): the authorize URL, the code → short-lived token exchange on api.instagram.com, the
 * short-lived → long-lived (60 days) exchange on graph.instagram.com, and the account's user id and
 * username. There is no refresh token; the long-lived token itself is refreshed.
 */
import type { AccountTokens } from '../../domain/post.ts';
import { type HttpClient, isRecord } from '../http-client.ts';
import type { ConnectedAccount, OAuthStart } from '../publisher.ts';
import { PublishError } from '../publish-error.ts';
import { type InstagramApi, rawField } from './instagram-api.ts';

/** Publishing, and the first comment (`instagram_business_manage_comments`, docs/platform-apis.md §2.9). */
export const INSTAGRAM_SCOPES = [
  'instagram_business_basic',
  'instagram_business_content_publish',
  'instagram_business_manage_comments',
] as const;

export interface InstagramOAuthOptions {
  http: HttpClient;
  api: InstagramApi;
  /** https://api.instagram.com (code exchange). */
  oauthBaseUrl: string;
  /** https://www.instagram.com (the page the creator approves on). */
  authorizeBaseUrl: string;
  clientId: string | null;
  clientSecret: string | null;
  scopes: readonly string[];
  now: () => Date;
}

export function instagramAuthorizationUrl(options: InstagramOAuthOptions, start: OAuthStart): string {
  const clientId = requireClient(options.clientId, 'INSTAGRAM_CLIENT_ID');
  const url = new URL(`${options.authorizeBaseUrl}/oauth/authorize`);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('redirect_uri', start.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', options.scopes.join(','));
  url.searchParams.set('state', start.state);
  return url.toString();
}

export async function exchangeInstagramCode(
  options: InstagramOAuthOptions,
  params: { code: string; redirectUri: string },
  signal: AbortSignal,
): Promise<ConnectedAccount> {
  const clientId = requireClient(options.clientId, 'INSTAGRAM_CLIENT_ID');
  const clientSecret = requireClient(options.clientSecret, 'INSTAGRAM_CLIENT_SECRET');
  const res = await options.http.request({
    method: 'POST',
    url: `${options.oauthBaseUrl}/oauth/access_token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: clientId,
      client_secret: clientSecret,
      grant_type: 'authorization_code',
      redirect_uri: params.redirectUri,
      code: params.code,
    }).toString(),
    signal,
    idempotent: true, // a code is single-use: sending twice cannot create anything twice
  });
  const body = isRecord(res.json) ? res.json : {};
  if (!res.ok || typeof body.access_token !== 'string') {
    throw new PublishError(
      res.status >= 500 ? 'platform_unavailable' : 'auth_expired',
      res.status >= 500
        ? `Instagram answered ${res.status} while exchanging the authorization code`
        : 'Instagram refused the authorization code (expired, already used, or a different redirect URI); connect again',
      {
        platform: 'instagram',
        platformStatus: res.status,
        platformCode: typeof body.error_type === 'string' ? body.error_type : null,
        platformMessage: typeof body.error_message === 'string' ? body.error_message : res.bodyExcerpt,
      },
    );
  }
  const shortUserId = rawField(res.text, 'user_id');
  const longLived = await options.api.exchangeForLongLived(body.access_token, clientSecret, signal);
  const me = await options.api.me(longLived.accessToken, signal);
  const externalId = me.userId ?? shortUserId;
  if (!externalId) {
    throw new PublishError('unknown', 'Instagram did not name the connected account (no user_id)', {
      platform: 'instagram',
      platformStatus: res.status,
    });
  }
  const tokens: AccountTokens = {
    accessToken: longLived.accessToken,
    refreshToken: null,
    expiresAt: expiryFrom(options.now(), longLived.expiresInSeconds),
  };
  return { externalId, displayName: me.username, scopes: readPermissions(body.permissions), tokens };
}

export function expiryFrom(now: Date, expiresInSeconds: number | null): Date | null {
  return expiresInSeconds === null ? null : new Date(now.getTime() + expiresInSeconds * 1000);
}

/** `permissions` comes as an array or a comma-separated string. */
function readPermissions(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((p): p is string => typeof p === 'string');
  if (typeof value === 'string') return value.split(',').map((p) => p.trim()).filter((p) => p !== '');
  return [];
}

export function requireClient(value: string | null, name: string): string {
  if (value) return value;
  throw new PublishError(
    'permission_denied',
    `${name} is not set; the Instagram OAuth app is not configured`,
    {
      platform: 'instagram',
    },
  );
}
