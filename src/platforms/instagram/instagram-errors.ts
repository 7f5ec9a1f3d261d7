/**
 * Classifies an Instagram Graph answer into one PublishError (docs/platform-apis.md §2.6), from the error
 * envelope's structured fields — `error.code`, `error.error_subcode`, `error.is_transient` — and the
 * usage headers (`x-business-use-case-usage`, `x-app-usage`), never from the message text:
 *
 *   {"error":{"message":"…","type":"OAuthException","code":190,"error_subcode":463,
 *             "is_transient":false,"error_user_msg":"…","fbtrace_id":"A1b2"}}
 *
 * The subcode decides first (it is the more specific), then the code, then the HTTP status.
 */
import { isRecord } from '../http-client.ts';
import { PublishError, type PublishErrorCode } from '../publish-error.ts';

export interface InstagramErrorInput {
  status: number;
  headers: Headers;
  json: unknown;
  bodyExcerpt: string;
  /** What the request was doing, for the message ("creating the media container"). */
  action: string;
  now: Date;
}

export interface GraphError {
  message: string;
  type: string | null;
  code: number | null;
  subcode: number | null;
  isTransient: boolean;
  userMessage: string | null;
  fbtraceId: string | null;
}

/** By `error_subcode` (Instagram's own table). */
const BY_SUBCODE: Readonly<Record<number, PublishErrorCode>> = {
  2207042: 'quota_exceeded', // daily publishing limit
  2207051: 'content_invalid', // spam suspected
  2207052: 'media_unreachable', // media fetch failed
  2207003: 'media_unreachable', // download timeout
  2207020: 'platform_unavailable', // container expired: a retry builds a new one
  2207027: 'platform_unavailable', // not ready for publishing: a retry waits again
  2207028: 'media_invalid', // carousel not 2–10 items
  2207040: 'content_invalid', // more than 20 @tags
  2207023: 'media_invalid', // unknown media type
  2207004: 'media_invalid', // image over 8 MiB
  2207005: 'media_invalid', // not JPEG
  2207009: 'media_invalid', // aspect ratio outside 4:5–1.91:1
  2207010: 'content_invalid', // caption too long
  2207026: 'media_invalid', // unsupported video
  2207050: 'permission_denied', // account restricted
  2207008: 'unknown', // creation id missing or expired (the publisher checks the container first)
  // code 190 subcodes
  458: 'auth_revoked', // app removed by the user
  459: 'auth_revoked', // user checkpointed
  460: 'auth_revoked', // password changed
  463: 'auth_expired',
  464: 'auth_revoked', // unconfirmed user
  467: 'auth_expired', // invalid token
};

/** By `error.code` when the subcode says nothing we know. */
const BY_CODE: Readonly<Record<number, PublishErrorCode>> = {
  1: 'platform_unavailable', // API unknown
  2: 'platform_unavailable', // API service
  4: 'rate_limited', // app throttled
  17: 'rate_limited', // user throttled
  32: 'rate_limited', // page throttled
  613: 'rate_limited', // custom throttle
  9: 'quota_exceeded',
  10: 'permission_denied',
  24: 'unknown',
  25: 'permission_denied',
  100: 'content_invalid', // invalid parameter
  102: 'auth_expired', // session invalid
  190: 'auth_expired',
  352: 'media_invalid',
  368: 'content_invalid', // blocked for a policy reason
  9004: 'media_unreachable',
  9007: 'platform_unavailable',
  80002: 'rate_limited', // Instagram business use case throttle
  36000: 'media_invalid',
  36001: 'media_invalid',
  36003: 'media_invalid',
  36004: 'content_invalid',
};

export function parseGraphError(json: unknown): GraphError | null {
  if (!isRecord(json) || !isRecord(json.error)) return null;
  const e = json.error;
  return {
    message: typeof e.message === 'string' ? e.message : '',
    type: typeof e.type === 'string' ? e.type : null,
    code: typeof e.code === 'number' ? e.code : null,
    subcode: typeof e.error_subcode === 'number' ? e.error_subcode : null,
    isTransient: e.is_transient === true,
    userMessage: typeof e.error_user_msg === 'string' ? e.error_user_msg : null,
    fbtraceId: typeof e.fbtrace_id === 'string' ? e.fbtrace_id : null,
  };
}

export function classifyInstagramError(input: InstagramErrorInput): PublishError {
  const graph = parseGraphError(input.json);
  const details = {
    platform: 'instagram' as const,
    platformStatus: input.status,
    platformCode: graph ? graphCodeText(graph) : null,
    platformMessage: graph ? graphMessageText(graph) : input.bodyExcerpt,
  };
  const code = classifyCode(input.status, graph);
  const retryAt = code === 'rate_limited' ? throttleResetAt(input.headers, input.now) : null;
  return new PublishError(code, messageFor(code, input, graph), { ...details, retryAt });
}

function classifyCode(status: number, graph: GraphError | null): PublishErrorCode {
  if (graph) {
    const bySubcode = graph.subcode !== null ? BY_SUBCODE[graph.subcode] : undefined;
    // A 190 subcode only counts with code 190 (Instagram reuses small numbers elsewhere).
    if (bySubcode && (graph.subcode! > 1000 || graph.code === 190)) return bySubcode;
    // "Object with ID … does not exist, cannot be loaded due to missing permissions"
    if (graph.code === 100 && graph.subcode === 33) return 'permission_denied';
    const byCode = graph.code !== null ? BY_CODE[graph.code] ?? permissionRange(graph.code) : undefined;
    if (byCode) return byCode;
    if (graph.isTransient) return 'platform_unavailable';
  }
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'platform_unavailable';
  if (status === 401) return 'auth_expired';
  if (status === 403) return 'permission_denied';
  return 'unknown';
}

/** Codes 200–299 are missing permissions. */
function permissionRange(code: number): PublishErrorCode | undefined {
  return code >= 200 && code <= 299 ? 'permission_denied' : undefined;
}

const MESSAGES: Readonly<Record<PublishErrorCode, string>> = {
  auth_expired: 'The Instagram access token is expired or invalid; reconnect the account',
  auth_revoked: 'The Instagram access was revoked (app removed or password changed); reconnect the account',
  permission_denied:
    'Instagram refused: the account lacks a permission (instagram_business_content_publish) or is restricted',
  rate_limited: 'Instagram is throttling this app or account',
  content_invalid: 'Instagram rejected the caption or post',
  media_invalid: 'Instagram rejected the media (JPEG images, 4:5–1.91:1, up to 8 MB; carousels of 2–10)',
  media_unreachable: 'Instagram could not download the media; the URL must be public https',
  duplicate_content: 'Instagram refused a duplicate post',
  post_missing: 'Instagram has no such media for this account (deleted, or not its own)',
  quota_exceeded: 'The Instagram account reached its 24-hour publishing limit',
  platform_unavailable: 'Instagram is unavailable or not ready',
  network: 'Instagram could not be reached',
  unknown: 'Instagram gave an answer we do not understand; see the attempt log',
  outcome_unknown: 'Instagram did not answer; the post may be live',
};

function messageFor(code: PublishErrorCode, input: InstagramErrorInput, graph: GraphError | null): string {
  const what = graph ? ` (code ${graphCodeText(graph)})` : ` (HTTP ${input.status})`;
  return `${MESSAGES[code]} while ${input.action}${what}`;
}

function graphCodeText(graph: GraphError): string {
  return graph.subcode !== null ? `${graph.code ?? '?'}/${graph.subcode}` : String(graph.code ?? '?');
}

function graphMessageText(graph: GraphError): string {
  const parts = [graph.message, graph.userMessage, graph.fbtraceId ? `fbtrace_id ${graph.fbtraceId}` : null];
  return parts.filter((p) => p).join(' | ');
}

/**
 * When a throttle lifts: the largest `estimated_time_to_regain_access` (minutes) in
 * `x-business-use-case-usage` (`{"<id>":[{"call_count":…,"estimated_time_to_regain_access":5}]}`),
 * else null — `x-app-usage` carries only percentages, and the throttle codes 4/17/32/613 often come
 * with no estimate at all. No reset time is invented: with null the worker chooses the wait.
 */
export function throttleResetAt(headers: Headers, now: Date): Date | null {
  const minutes = regainMinutes(headers.get('x-business-use-case-usage'));
  return minutes !== null && minutes > 0 ? new Date(now.getTime() + minutes * 60_000) : null;
}

function regainMinutes(header: string | null): number | null {
  if (!header) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(header);
  } catch {
    return null;
  }
  if (!isRecord(parsed)) return null;
  let best: number | null = null;
  for (const entries of Object.values(parsed)) {
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      const value = isRecord(entry) ? entry.estimated_time_to_regain_access : undefined;
      if (typeof value === 'number' && (best === null || value > best)) best = value;
    }
  }
  return best;
}
