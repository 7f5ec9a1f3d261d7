/**
 * State and answers shared by the X sandbox routes: users, posts, media, auth codes, the bearer
 * check, rate-limit headers and X's error envelopes (docs/platform-apis.md §1.5, §1.6).
 */
import type { Context } from 'hono';
import type { SandboxKnobs } from '../sandbox-knobs.ts';
import type { TokenRecord } from '../sandbox-tokens.ts';
import type { XServedMedia, XServedText } from './x-sandbox-text.ts';

export interface XSandboxUser {
  id: string;
  username: string;
  name: string;
}

export interface XSandboxPost {
  id: string;
  authorId: string;
  /** The text as the creator sent it (NFC). */
  text: string;
  /** The normalised text used for duplicate detection. */
  normalized: string;
  mediaIds: string[];
  /** Media keys and types, in `media_ids` order. */
  media: XServedMedia[];
  /** What X answers with: URLs as t.co links, plus one for the media (see x-sandbox-text.ts). */
  served: XServedText;
  createdAt: Date;
  /** The post this one replies to (`reply.in_reply_to_tweet_id`), or null when it starts a conversation. */
  inReplyToId: string | null;
  /** The author of that post (`in_reply_to_user_id`), or null. */
  inReplyToUserId: string | null;
  /** The id of the conversation's first post (`conversation_id`): its own id unless it is a reply. */
  conversationId: string;
}

export interface XSandboxMedia {
  id: string;
  ownerId: string;
  category: string;
  mediaType: string;
  totalBytes: number;
  segments: Map<number, number>;
  state: 'uploading' | 'pending' | 'in_progress' | 'succeeded' | 'failed';
  pollsLeft: number;
  createdAt: Date;
  expiresAt: Date;
  width: number;
  height: number;
}

export interface XAuthCode {
  code: string;
  clientId: string;
  redirectUri: string;
  challenge: string;
  method: 'S256' | 'plain';
  scopes: string[];
  userId: string;
  expiresAt: Date;
  used: boolean;
}

export interface XSandboxState {
  knobs: SandboxKnobs;
  users: Map<string, XSandboxUser>;
  posts: XSandboxPost[];
  media: Map<string, XSandboxMedia>;
  codes: Map<string, XAuthCode>;
  /** The last snowflake handed out per kind, so ids increase within one millisecond and across resets. */
  lastSnowflake: Map<string, bigint>;
}

export function createXSandboxState(knobs: SandboxKnobs): XSandboxState {
  return {
    knobs,
    users: new Map(),
    posts: [],
    media: new Map(),
    codes: new Map(),
    lastSnowflake: new Map(),
  };
}

const X_EPOCH_MS = 1288834974657n;

/**
 * Ids as X makes them: posts (and media) are snowflakes, the creation time in milliseconds since X's
 * epoch above bit 22 and a sequence below, so an id tells its post's age as X's do; users keep plain
 * 19-digit counters. Increasing per kind, also within one millisecond.
 */
export function nextXId(
  state: XSandboxState,
  kind: 'post' | 'media' | 'user',
  at = state.knobs.now(),
): string {
  const sequence = BigInt(state.knobs.nextId(`x.${kind}`));
  if (kind === 'user') return String(1_000_000_000_000_000_000n + sequence);
  const stamp = (BigInt(at.getTime()) - X_EPOCH_MS) << 22n;
  const candidate = stamp | (sequence & 0x3fffffn);
  const last = state.lastSnowflake.get(kind) ?? 0n;
  const id = candidate > last ? candidate : last + 1n;
  state.lastSnowflake.set(kind, id);
  return String(id);
}

export const X_SETTINGS = {
  accessTtlSeconds: ['x.accessTtlSeconds', 7200],
  /** The refresh-token lifetime is unpublished [U]; null = no expiry. */
  refreshTtlSeconds: ['x.refreshTtlSeconds', null as number | null],
  revokeFamilyOnReuse: ['x.revokeFamilyOnReuse', true],
  /** The duplicate window is unpublished [U]. */
  duplicateWindowMs: ['x.duplicateWindowMs', 24 * 3_600_000],
  maxWeightedLength: ['x.maxWeightedLength', 280],
  videoCheckAfterSecs: ['x.videoCheckAfterSecs', 1],
  videoProcessingPolls: ['x.videoProcessingPolls', 1],
  videoProcessingOutcome: ['x.videoProcessingOutcome', 'succeeded' as 'succeeded' | 'failed'],
  mediaExpiresAfterSecs: ['x.mediaExpiresAfterSecs', 86_400],
  demoUsername: ['x.demoUsername', 'sandbox_creator'],
  /**
   * A reply to a post younger than this is refused with the 403 for a deleted post, as X does now and
   * then right after a post (plhery/node-twitter-api-v2#366). (Default: 0, never)
   */
  replyVisibilityLagMs: ['x.replyVisibilityLagMs', 0],
} as const;

export function xSetting<K extends keyof typeof X_SETTINGS>(
  state: XSandboxState,
  key: K,
): (typeof X_SETTINGS)[K][1] {
  const [name, fallback] = X_SETTINGS[key];
  return state.knobs.setting(name, fallback);
}

/** Per-endpoint limits (pay-per-use table, docs/platform-apis.md §1.6). Override with knobs.setQuota(name, n). */
export const X_QUOTAS = {
  tweets15m: { name: 'x.tweets.user15m', limit: 100, windowMs: 15 * 60_000 },
  tweetsUser24h: { name: 'x.tweets.user24h', limit: 10_000, windowMs: 24 * 3_600_000 },
  tweetsApp24h: { name: 'x.tweets.app24h', limit: 10_000, windowMs: 24 * 3_600_000 },
  mediaUpload: { name: 'x.media.upload15m', limit: 500, windowMs: 15 * 60_000 },
  mediaChunked: { name: 'x.media.chunked15m', limit: 1875, windowMs: 15 * 60_000 },
  mediaStatus: { name: 'x.media.status15m', limit: 1000, windowMs: 15 * 60_000 },
  users: { name: 'x.users.15m', limit: 900, windowMs: 15 * 60_000 },
  tweetLookup: { name: 'x.tweets.lookup15m', limit: 900, windowMs: 15 * 60_000 },
} as const;

export type XQuota = (typeof X_QUOTAS)[keyof typeof X_QUOTAS];

const PROBLEM = 'application/problem+json';

export function problem(
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
): Response {
  return new Response(JSON.stringify({ title, type: 'about:blank', status, detail, ...extra }), {
    status,
    headers: { 'content-type': PROBLEM },
  });
}

export function unauthorized(): Response {
  return problem(401, 'Unauthorized', 'Unauthorized');
}

export function forbidden(): Response {
  return problem(403, 'Forbidden', 'Forbidden');
}

export function tooManyRequests(): Response {
  return problem(429, 'Too Many Requests', 'Too Many Requests');
}

export function serverError(status: number): Response {
  const titles: Record<number, string> = {
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  const title = titles[status] ?? 'Server Error';
  return problem(status, title, title);
}

/** The documented invalid-request envelope (§1.5). */
export function invalidRequest(messages: string[]): Response {
  return new Response(
    JSON.stringify({
      errors: messages.map((message) => ({ message })),
      title: 'Invalid Request',
      detail: 'One or more parameters to your request was invalid.',
      type: 'https://api.twitter.com/2/problems/invalid-request',
    }),
    { status: 400, headers: { 'content-type': PROBLEM } },
  );
}

export function oauthError(status: number, error: string, description: string): Response {
  return Response.json({ error, error_description: description }, { status });
}

export type AuthResult = { ok: true; token: TokenRecord; user: XSandboxUser } | {
  ok: false;
  response: Response;
};

/**
 * The bearer check: no, unknown, expired or revoked token → 401; app-only token (subject '') → 403
 * unsupported-authentication; missing scope → 403 Forbidden.
 */
export function authenticate(
  state: XSandboxState,
  c: Context,
  requiredScopes: readonly string[],
): AuthResult {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer (\S+)$/.exec(header);
  if (!match) return { ok: false, response: unauthorized() };
  const check = state.knobs.tokens.checkAccess('x', match[1]!);
  if (check.status !== 'valid') return { ok: false, response: unauthorized() };
  if (check.record.subject === '') {
    return {
      ok: false,
      response: new Response(
        JSON.stringify({
          title: 'Unsupported Authentication',
          detail:
            'Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].',
          type: 'https://api.twitter.com/2/problems/unsupported-authentication',
          status: 403,
        }),
        { status: 403, headers: { 'content-type': PROBLEM } },
      ),
    };
  }
  if (!requiredScopes.every((s) => check.record.scopes.includes(s))) {
    return { ok: false, response: forbidden() };
  }
  const user = ensureUser(state, check.record.subject);
  return { ok: true, token: check.record, user };
}

export function ensureUser(state: XSandboxState, id: string, username?: string, name?: string): XSandboxUser {
  let user = state.users.get(id);
  if (!user) {
    const handle = username ?? `user_${id.slice(-6)}`;
    user = { id, username: handle, name: name ?? handle };
    state.users.set(id, user);
  }
  return user;
}

/**
 * Counts a call against `quota` for `key` and returns the x-rate-limit-* headers. `exceeded` means
 * the call must be refused with 429 (the headers still go out).
 */
export function rateLimit(
  state: XSandboxState,
  quota: XQuota,
  key: string,
): { headers: Headers; exceeded: boolean } {
  const check = state.knobs.consumeQuota(quota.name, key, quota);
  const headers = new Headers();
  headers.set('x-rate-limit-limit', String(check.limit));
  headers.set('x-rate-limit-remaining', String(check.remaining));
  headers.set('x-rate-limit-reset', String(Math.floor(check.resetAt.getTime() / 1000)));
  return { headers, exceeded: check.exceeded };
}

export function withHeaders(response: Response, headers: Headers): Response {
  for (const [name, value] of headers) response.headers.set(name, value);
  return response;
}
