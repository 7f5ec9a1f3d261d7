/**
 * The Instagram Graph endpoints the adapter calls (Instagram API with Instagram Login,
 * graph.instagram.com; docs/platform-apis.md §2), each one request with its answer checked and every
 * failure classified once. The token goes in `Authorization: Bearer` (never the query string) except
 * on the two token endpoints, which the reference documents with `access_token` in the query.
 *
 * Ids of Instagram users, containers and media exceed 2^53, so ids are read from the raw body text,
 * never from JSON numbers.
 */
import { type HttpClient, type HttpResponse, isRecord } from '../http-client.ts';
import { PublishError } from '../publish-error.ts';
import { classifyInstagramError } from './instagram-errors.ts';

export type ContainerStatusCode = 'IN_PROGRESS' | 'FINISHED' | 'ERROR' | 'EXPIRED' | 'PUBLISHED';
const STATUS_CODES: readonly string[] = ['IN_PROGRESS', 'FINISHED', 'ERROR', 'EXPIRED', 'PUBLISHED'];

export interface ContainerStatus {
  statusCode: ContainerStatusCode;
  /** e.g. "Error: Media upload has failed with error code 2207026" for ERROR. */
  status: string | null;
}

export interface RecentMedia {
  id: string;
  caption: string;
  mediaType: string | null;
  timestamp: Date | null;
  permalink: string | null;
}

export interface PublishingLimit {
  quotaUsage: number;
  quotaTotal: number;
  quotaDurationSeconds: number;
}

export interface LongLivedToken {
  accessToken: string;
  expiresInSeconds: number | null;
}

export interface InstagramApiOptions {
  http: HttpClient;
  /** e.g. https://graph.instagram.com (no version). */
  baseUrl: string;
  /** e.g. v25.0; '' sends unversioned paths. */
  graphVersion: string;
  now: () => Date;
}

export type ContainerParams = Record<string, string>;

export interface InstagramApi {
  createContainer(
    userId: string,
    params: ContainerParams,
    token: string,
    signal: AbortSignal,
  ): Promise<string>;
  containerStatus(containerId: string, token: string, signal: AbortSignal): Promise<ContainerStatus>;
  publishContainer(userId: string, containerId: string, token: string, signal: AbortSignal): Promise<string>;
  permalink(mediaId: string, token: string, signal: AbortSignal): Promise<string | null>;
  publishingLimit(userId: string, token: string, signal: AbortSignal): Promise<PublishingLimit | null>;
  /** One page of the account's published media, newest first, and the cursor of the next page. */
  recentMedia(
    userId: string,
    token: string,
    signal: AbortSignal,
    after?: string,
  ): Promise<{ media: RecentMedia[]; next: string | null }>;
  refreshToken(token: string, signal: AbortSignal): Promise<LongLivedToken>;
  exchangeForLongLived(
    shortToken: string,
    clientSecret: string,
    signal: AbortSignal,
  ): Promise<LongLivedToken>;
  me(token: string, signal: AbortSignal): Promise<{ userId: string | null; username: string | null }>;
}

export function createInstagramApi(options: InstagramApiOptions): InstagramApi {
  const { http, now } = options;
  const versioned = (path: string) =>
    new URL(`${options.baseUrl}${options.graphVersion ? `/${options.graphVersion}` : ''}${path}`);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  function fail(res: HttpResponse, action: string): never {
    throw classifyInstagramError({ ...res, action, now: now() });
  }

  function unexpected(res: HttpResponse, action: string): never {
    throw new PublishError(
      'unknown',
      `Instagram answered ${res.status} without the expected fields while ${action}; see the attempt log`,
      { platform: 'instagram', platformStatus: res.status, platformMessage: res.bodyExcerpt },
    );
  }

  async function post(
    url: URL,
    form: Record<string, string>,
    token: string,
    signal: AbortSignal,
    idempotent: boolean,
  ): Promise<HttpResponse> {
    return await http.request({
      method: 'POST',
      url,
      headers: { ...bearer(token), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      signal,
      idempotent,
    });
  }

  return {
    async createContainer(userId, params, token, signal) {
      const action = 'creating the media container';
      // Creating a container publishes nothing: an orphan expires after 24 h, so a retry is harmless.
      const res = await post(versioned(`/${encodeURIComponent(userId)}/media`), params, token, signal, true);
      if (!res.ok) fail(res, action);
      return rawId(res) ?? unexpected(res, action);
    },

    async containerStatus(containerId, token, signal) {
      const action = 'checking the media container';
      const url = versioned(`/${encodeURIComponent(containerId)}`);
      url.searchParams.set('fields', 'status_code,status');
      const res = await http.request({ method: 'GET', url, headers: bearer(token), signal });
      if (!res.ok) fail(res, action);
      const body = isRecord(res.json) ? res.json : {};
      const code = body.status_code;
      if (typeof code !== 'string' || !STATUS_CODES.includes(code)) unexpected(res, action);
      return {
        statusCode: code as ContainerStatusCode,
        status: typeof body.status === 'string' ? body.status : null,
      };
    },

    async publishContainer(userId, containerId, token, signal) {
      const action = 'publishing the media container';
      const url = versioned(`/${encodeURIComponent(userId)}/media_publish`);
      const res = await post(url, { creation_id: containerId }, token, signal, false);
      if (!res.ok) fail(res, action);
      const id = rawId(res);
      if (!id) {
        // 2xx without an id: it may be live, and we cannot name it.
        throw new PublishError('outcome_unknown', 'Instagram accepted the publish but returned no media id', {
          platform: 'instagram',
          platformStatus: res.status,
          platformMessage: res.bodyExcerpt,
        });
      }
      return id;
    },

    async permalink(mediaId, token, signal) {
      const url = versioned(`/${encodeURIComponent(mediaId)}`);
      url.searchParams.set('fields', 'permalink');
      const res = await http.request({ method: 'GET', url, headers: bearer(token), signal });
      if (!res.ok) fail(res, 'looking up the permalink');
      const body = isRecord(res.json) ? res.json : {};
      return typeof body.permalink === 'string' ? body.permalink : null;
    },

    async publishingLimit(userId, token, signal) {
      const url = versioned(`/${encodeURIComponent(userId)}/content_publishing_limit`);
      url.searchParams.set('fields', 'quota_usage,config');
      const res = await http.request({ method: 'GET', url, headers: bearer(token), signal });
      if (!res.ok) fail(res, 'reading the publishing limit');
      const row = isRecord(res.json) && Array.isArray(res.json.data) ? res.json.data[0] : undefined;
      if (!isRecord(row) || typeof row.quota_usage !== 'number' || !isRecord(row.config)) return null;
      const total = row.config.quota_total;
      const duration = row.config.quota_duration;
      if (typeof total !== 'number') return null;
      return {
        quotaUsage: row.quota_usage,
        quotaTotal: total,
        quotaDurationSeconds: typeof duration === 'number' ? duration : 86_400,
      };
    },

    async recentMedia(userId, token, signal, after) {
      const action = 'listing recent media';
      const url = versioned(`/${encodeURIComponent(userId)}/media`);
      url.searchParams.set('fields', 'id,caption,media_type,timestamp,permalink');
      url.searchParams.set('limit', '25');
      if (after) url.searchParams.set('after', after);
      const res = await http.request({ method: 'GET', url, headers: bearer(token), signal });
      if (!res.ok) fail(res, action);
      const body = isRecord(res.json) ? res.json : null;
      if (!body || !Array.isArray(body.data)) unexpected(res, action);
      const ids = rawIds(res.text);
      const media = body.data.filter(isRecord).map((item, index): RecentMedia => ({
        id: ids[index] ?? String(item.id),
        caption: typeof item.caption === 'string' ? item.caption : '',
        mediaType: typeof item.media_type === 'string' ? item.media_type : null,
        timestamp: typeof item.timestamp === 'string' ? parseGraphTime(item.timestamp) : null,
        permalink: typeof item.permalink === 'string' ? item.permalink : null,
      }));
      const paging = isRecord(body.paging) ? body.paging : {};
      const cursors = isRecord(paging.cursors) ? paging.cursors : {};
      const next = typeof paging.next === 'string' && typeof cursors.after === 'string'
        ? cursors.after
        : null;
      return { media, next };
    },

    async refreshToken(token, signal) {
      const url = new URL(`${options.baseUrl}/refresh_access_token`);
      url.searchParams.set('grant_type', 'ig_refresh_token');
      url.searchParams.set('access_token', token);
      const res = await http.request({ method: 'GET', url, signal });
      return readLongLived(res, 'refreshing the access token');
    },

    async exchangeForLongLived(shortToken, clientSecret, signal) {
      const url = new URL(`${options.baseUrl}/access_token`);
      url.searchParams.set('grant_type', 'ig_exchange_token');
      url.searchParams.set('client_secret', clientSecret);
      url.searchParams.set('access_token', shortToken);
      const res = await http.request({ method: 'GET', url, signal });
      return readLongLived(res, 'exchanging for a long-lived token');
    },

    async me(token, signal) {
      const url = versioned('/me');
      url.searchParams.set('fields', 'user_id,username');
      const res = await http.request({ method: 'GET', url, headers: bearer(token), signal });
      if (!res.ok) fail(res, 'reading the connected account');
      const body = isRecord(res.json) ? res.json : {};
      return {
        userId: rawField(res.text, 'user_id'),
        username: typeof body.username === 'string' ? body.username : null,
      };
    },
  };

  function readLongLived(res: HttpResponse, action: string): LongLivedToken {
    if (!res.ok) fail(res, action);
    const body = isRecord(res.json) ? res.json : {};
    if (typeof body.access_token !== 'string' || body.access_token === '') unexpected(res, action);
    return {
      accessToken: body.access_token,
      expiresInSeconds: typeof body.expires_in === 'number' ? body.expires_in : null,
    };
  }
}

/** `"id":"123"` or `"id":123` from the raw body, exact even beyond 2^53. */
function rawId(res: HttpResponse): string | null {
  return rawField(res.text, 'id');
}

/** The first `"<name>": <digits or "digits">` in a JSON text. */
export function rawField(text: string, name: string): string | null {
  const match = text.match(new RegExp(`"${name}"\\s*:\\s*"?([0-9]+)"?`));
  return match ? match[1]! : null;
}

/** Every `"id"` in document order (the listing's ids, exact). */
function rawIds(text: string): string[] {
  return [...text.matchAll(/"id"\s*:\s*"?([0-9]+)"?/g)].map((m) => m[1]!);
}

/** Graph timestamps look like 2026-11-28T12:00:00+0000. */
export function parseGraphTime(value: string): Date | null {
  const iso = value.replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms) : null;
}
