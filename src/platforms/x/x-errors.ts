/**
 * Turns every X answer that is not a success into one PublishError, from structured fields only: the
 * status, the problem `type`, the exact `detail` / `errors[].message` strings X documents (matched
 * whole, by table lookup), the OAuth `error` code, and the rate-limit headers. Anything else is
 * `unknown` with the status and a bounded excerpt of the body. Messages never contain tokens.
 */
import type { HttpResponse } from '../http-client.ts';
import type { PublishErrorCode, PublishErrorDetails } from '../publish-error.ts';
import { PublishError } from '../publish-error.ts';
import { readOAuthError, readProblem } from './x-api.ts';
import type { XProblem } from './x-api.ts';
import { xPostCreatedAt } from './x-snowflake.ts';

export type XOperation = 'publish' | 'media_upload' | 'token' | 'refresh' | 'lookup';

const PROBLEM_BASE = 'https://api.twitter.com/2/problems/';

/** Problem `type` (after the base URI) → code. */
const CODE_BY_PROBLEM_TYPE: Readonly<Record<string, PublishErrorCode>> = {
  'unsupported-authentication': 'permission_denied',
  'oauth1-permissions': 'permission_denied',
  'client-forbidden': 'permission_denied',
  'usage-capped': 'quota_exceeded',
  'invalid-request': 'content_invalid',
  'duplicate-rules': 'duplicate_content',
  'resource-not-found': 'content_invalid',
};

/** Exact `detail` or `errors[].message` texts X sends → code (docs/platform-apis.md §1.5). */
const CODE_BY_MESSAGE: Readonly<Record<string, PublishErrorCode>> = {
  'You are not allowed to create a Tweet with duplicate content.': 'duplicate_content',
  'Your media IDs are invalid.': 'media_invalid',
  'Your Tweet text is too long. For more information on how Twitter determines text length see https://github.com/twitter/twitter-text.':
    'content_invalid',
};

/**
 * X's answer to a reply whose post is gone: deleted, or hidden from this account (protected, blocked).
 * 403 with this `detail` [I]; the v1.1 era sent it as error 385. Permanent: the post will not return.
 */
export const X_REPLY_TARGET_MISSING_MESSAGE =
  'You attempted to reply to a Tweet that is deleted or not visible to you.';

/** The platformCode beside `post_missing` for it (X's own answer names no code). */
export const X_REPLY_TARGET_MISSING = 'reply_target_missing';

/**
 * X also answers X_REPLY_TARGET_MISSING_MESSAGE, now and then, for a reply sent right after the post it
 * answers: a thread's next part, a first comment (plhery/node-twitter-api-v2#366, where a 5 s pause
 * made it go away). While the replied-to post (its age read from its snowflake id) is younger than
 * this, the answer is retried with backoff instead of failing the thread for good. (60 s)
 */
export const X_REPLY_VISIBILITY_GRACE_MS = 60_000;

/** Status → code when nothing more specific matched. */
const CODE_BY_STATUS: Readonly<Record<number, PublishErrorCode>> = {
  400: 'content_invalid',
  401: 'auth_expired',
  403: 'permission_denied',
  429: 'rate_limited',
  500: 'platform_unavailable',
  502: 'platform_unavailable',
  503: 'platform_unavailable',
  504: 'platform_unavailable',
};

/** OAuth token-endpoint `error` → code (the refresh token or code is dead; the creator reconnects). */
const CODE_BY_OAUTH_ERROR: Readonly<Record<string, PublishErrorCode>> = {
  invalid_request: 'auth_expired',
  invalid_grant: 'auth_expired',
  invalid_token: 'auth_expired',
  unauthorized_client: 'permission_denied',
  invalid_client: 'permission_denied',
  invalid_scope: 'permission_denied',
  temporarily_unavailable: 'platform_unavailable',
  server_error: 'platform_unavailable',
};

const ACTIONS: Readonly<Partial<Record<PublishErrorCode, string>>> = {
  auth_expired: 'the X connection has expired or was revoked; reconnect the X account',
  auth_revoked: 'access to the X account was revoked; reconnect the X account',
  permission_denied: "the X app or token lacks a permission for this call (check the app's scopes and plan)",
  rate_limited: 'X rate limit reached; it will be retried after the reset time',
  quota_exceeded: "the X app's usage cap is reached; it will be retried after the reset time",
  content_invalid: "X rejected the post's content",
  media_invalid: 'X rejected the media (expired, not processed, or out of spec)',
  duplicate_content: 'X refuses the same text twice from one account; change the text',
  platform_unavailable: 'X is unavailable; it will be retried',
};

export interface ClassifyContext {
  operation: XOperation;
  now: Date;
  /** The post a reply answers (`reply.in_reply_to_tweet_id`), for a publish that was a reply. */
  replyTo?: string;
}

export function classifyXError(res: HttpResponse, ctx: ClassifyContext): PublishError {
  const problem = readProblem(res.json);
  const oauth = ctx.operation === 'token' || ctx.operation === 'refresh' ? readOAuthError(res.json) : null;
  const code = codeFor(res.status, problem, oauth?.error ?? null);
  const platformMessage = oauth
    ? [oauth.error, oauth.description].filter(Boolean).join(': ')
    : problem
    ? [problem.detail ?? problem.title, ...problem.messages].filter(Boolean).join(' | ')
    : res.bodyExcerpt || null;
  const platformCode = oauth?.error ?? (problem?.type ? problemName(problem.type) : null) ??
    problem?.reason ?? null;
  const details = {
    platform: 'x' as const,
    platformStatus: res.status,
    platformCode,
    platformMessage,
    retryAt: code === 'rate_limited' || code === 'quota_exceeded' ? retryAtFrom(res.headers, ctx.now) : null,
  };
  if (code === 'unknown') {
    return new PublishError(
      'unknown',
      `X answered ${ctx.operation} with HTTP ${res.status} and a body we do not understand: ${
        res.bodyExcerpt || '(empty)'
      }`,
      details,
    );
  }
  if (
    (res.status === 400 || res.status === 403) && problem &&
    hasMessage(problem, X_REPLY_TARGET_MISSING_MESSAGE)
  ) {
    return replyTargetMissing(res.status, ctx, { ...details, platformCode: X_REPLY_TARGET_MISSING });
  }
  const action = ACTIONS[code] ?? code;
  const said = platformMessage ? ` (X said: ${platformMessage})` : '';
  return new PublishError(code, `${action}; HTTP ${res.status}${said}`, details);
}

/**
 * The reply's post is gone for good, or, when it went live less than X_REPLY_VISIBILITY_GRACE_MS ago,
 * X does not show it to the reply check yet: the same code, retried with backoff until the grace ends.
 */
function replyTargetMissing(
  status: number,
  ctx: ClassifyContext,
  details: PublishErrorDetails,
): PublishError {
  const said = `(HTTP ${status}, X said: ${X_REPLY_TARGET_MISSING_MESSAGE})`;
  const parentAt = ctx.replyTo === undefined ? null : xPostCreatedAt(ctx.replyTo);
  const ageMs = parentAt === null ? null : ctx.now.getTime() - parentAt.getTime();
  if (ageMs !== null && ageMs < X_REPLY_VISIBILITY_GRACE_MS) {
    const seconds = Math.max(0, Math.round(ageMs / 1000));
    return new PublishError(
      'post_missing',
      `X does not show the post this reply answers yet (it went live ${seconds} s ago, and X lags right ` +
        'after a post), so the reply will be retried; if that post was deleted, the reply fails once it ' +
        `is ${X_REPLY_VISIBILITY_GRACE_MS / 1000} s old ${said}`,
      { ...details, kind: 'transient' },
    );
  }
  return new PublishError(
    'post_missing',
    "the X post this reply answers (the thread's previous part, or the post a first comment is on) was " +
      'deleted or is not visible to this account, so the reply cannot be posted; check that post on X, ' +
      `then publish this text as a new post or drop it ${said}`,
    details,
  );
}

function codeFor(status: number, problem: XProblem | null, oauthError: string | null): PublishErrorCode {
  if (oauthError !== null) {
    if (status >= 500) return 'platform_unavailable';
    return CODE_BY_OAUTH_ERROR[oauthError] ?? (status === 401 ? 'permission_denied' : 'unknown');
  }
  if (status === 401) return 'auth_expired';
  if (status === 429) {
    return problem?.type && problemName(problem.type) === 'usage-capped' ? 'quota_exceeded' : 'rate_limited';
  }
  if (status >= 500) return 'platform_unavailable';
  if (problem) {
    for (const message of [problem.detail, ...problem.messages]) {
      const byMessage = message ? CODE_BY_MESSAGE[message.trim()] : undefined;
      if (byMessage) return byMessage;
    }
    const byType = problem.type ? CODE_BY_PROBLEM_TYPE[problemName(problem.type)] : undefined;
    if (byType) return byType;
    return CODE_BY_STATUS[status] ?? 'unknown';
  }
  // No problem body: only statuses that mean the same whatever the body (a 400/403 HTML page is unknown).
  return status === 404 || status === 400 || status === 403 ? 'unknown' : CODE_BY_STATUS[status] ?? 'unknown';
}

/** True when X's `detail` or one of its `errors[].message` is exactly `message`. */
function hasMessage(problem: XProblem, message: string): boolean {
  return [problem.detail, ...problem.messages].some((m) => m?.trim() === message);
}

function problemName(type: string): string {
  return type.startsWith(PROBLEM_BASE) ? type.slice(PROBLEM_BASE.length) : type;
}

/**
 * When X lets us try again: the latest reset among the exhausted windows (`remaining: 0`): the
 * endpoint's 15-minute window, the user's and the app's 24-hour windows. Falls back to any reset
 * header, then `retry-after`, then 15 minutes.
 */
export function retryAtFrom(headers: Headers, now: Date): Date {
  const windows = ['x-rate-limit', 'x-user-limit-24hour', 'x-app-limit-24hour'];
  const resets: number[] = [];
  const exhausted: number[] = [];
  for (const prefix of windows) {
    const reset = Number(headers.get(`${prefix}-reset`));
    if (!headers.has(`${prefix}-reset`) || !Number.isFinite(reset) || reset <= 0) continue;
    resets.push(reset * 1000);
    if (headers.get(`${prefix}-remaining`) === '0') exhausted.push(reset * 1000);
  }
  const chosen = exhausted.length > 0
    ? Math.max(...exhausted)
    : resets.length > 0
    ? Math.max(...resets)
    : null;
  if (chosen !== null) return new Date(Math.max(chosen, now.getTime()));
  const retryAfter = Number(headers.get('retry-after'));
  if (headers.has('retry-after') && Number.isFinite(retryAfter)) {
    return new Date(now.getTime() + retryAfter * 1000);
  }
  return new Date(now.getTime() + 15 * 60_000);
}
