/**
 * What the Instagram sandbox remembers, and the answers its routes share: the Graph error envelope,
 * parameter reading (query string, form or JSON, as Graph accepts), the token check (code 190), and the
 * usage headers with their throttles (`x-app-usage`, `x-business-use-case-usage`).
 */
import type { Context } from 'hono';
import type { SandboxKnobs } from '../sandbox-knobs.ts';
import type { TokenRecord } from '../sandbox-tokens.ts';

export type ContainerKind = 'IMAGE' | 'VIDEO' | 'REELS' | 'CAROUSEL' | 'STORIES';

export interface SandboxContainer {
  id: string;
  owner: string;
  kind: ContainerKind;
  isCarouselItem: boolean;
  caption: string;
  mediaUrl: string | null;
  children: string[];
  createdAt: Date;
  /** Status reads left before a video is FINISHED. */
  pollsLeft: number;
  errorSubcode: number | null;
  publishedMediaId: string | null;
  params: Record<string, string>;
}

export interface SandboxMedia {
  id: string;
  owner: string;
  caption: string;
  mediaType: 'IMAGE' | 'VIDEO' | 'CAROUSEL_ALBUM';
  productType: 'FEED' | 'REELS' | 'STORY';
  timestamp: Date;
  permalink: string;
  containerId: string;
  mediaUrls: string[];
}

/** A comment made through `POST /{ig-media-id}/comments`, text exactly as received. */
export interface SandboxComment {
  id: string;
  /** The media it is on. */
  postId: string;
  /** The IG user id of the account that commented. */
  author: string;
  username: string;
  text: string;
  createdAt: Date;
}

/** What happens to a media URL when Instagram fetches it (tests and demos set these). */
export type MediaBehavior =
  | { outcome: 'unreachable' }
  | { outcome: 'error'; subcode: number }
  | { outcome: 'processing'; polls: number };

export interface SandboxAuthCode {
  userId: string;
  redirectUri: string;
  scopes: string[];
  expiresAt: Date;
}

export interface InstagramSandboxState {
  knobs: SandboxKnobs;
  accounts: Map<string, { username: string }>;
  containers: Map<string, SandboxContainer>;
  media: SandboxMedia[];
  comments: SandboxComment[];
  behaviors: Map<string, MediaBehavior>;
  codes: Map<string, SandboxAuthCode>;
}

export const LONG_LIVED_TTL_MS = 60 * 24 * 60 * 60 * 1000;
export const SHORT_LIVED_TTL_MS = 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

export interface GraphErrorFields {
  message: string;
  code: number;
  error_subcode?: number;
  type?: string;
  is_transient?: boolean;
  error_user_title?: string;
  error_user_msg?: string;
}

export function graphError(c: Context, status: number, fields: GraphErrorFields): Response {
  const error = {
    message: fields.message,
    type: fields.type ?? 'OAuthException',
    code: fields.code,
    ...(fields.error_subcode !== undefined ? { error_subcode: fields.error_subcode } : {}),
    is_transient: fields.is_transient ?? false,
    ...(fields.error_user_title ? { error_user_title: fields.error_user_title } : {}),
    ...(fields.error_user_msg ? { error_user_msg: fields.error_user_msg } : {}),
    fbtrace_id: fbtraceId(),
  };
  return c.json({ error }, status as 400);
}

/** Query string, then form or JSON body (later wins), as Graph reads parameters. */
export async function readParams(c: Context): Promise<Record<string, string>> {
  const params: Record<string, string> = { ...c.req.query() };
  if (c.req.method === 'GET') return params;
  const type = c.req.header('content-type') ?? '';
  const text = await c.req.text();
  if (type.startsWith('application/json') && text.trim() !== '') {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return params;
    }
    if (typeof body === 'object' && body !== null) {
      for (const [k, v] of Object.entries(body)) params[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  } else if (text !== '') {
    for (const [k, v] of new URLSearchParams(text)) params[k] = v;
  }
  return params;
}

/**
 * The caller's token (`access_token` parameter or `Authorization: Bearer|OAuth`) checked, usage counted
 * and the usage headers set; or Graph's error (190 bad token; 4 app throttle; 80002 account throttle).
 */
export function authenticate(
  state: InstagramSandboxState,
  c: Context,
  params: Record<string, string>,
): TokenRecord | Response {
  const header = c.req.header('authorization')?.match(/^(?:Bearer|OAuth)\s+(\S+)$/i)?.[1];
  const token = params.access_token ?? header;
  const status = state.knobs.setting('instagram.authErrorStatus', 400);
  if (!token) {
    return graphError(c, status, {
      message: 'An active access token must be used to query information about the current user.',
      code: 2500,
    });
  }
  const check = state.knobs.tokens.checkAccess('instagram', token);
  if (check.status === 'unknown') {
    return graphError(c, status, {
      message: 'Invalid OAuth access token - Cannot parse access token',
      code: 190,
    });
  }
  if (check.status === 'expired') {
    return graphError(c, status, {
      message:
        `Error validating access token: Session has expired on ${check.record.expiresAt.toUTCString()}.`,
      code: 190,
      error_subcode: 463,
    });
  }
  if (check.status === 'revoked') {
    return graphError(c, status, {
      message: 'Error validating access token: The user has not authorized application.',
      code: 190,
      error_subcode: 458,
    });
  }
  return countUsage(state, c, check.record);
}

function countUsage(state: InstagramSandboxState, c: Context, record: TokenRecord): TokenRecord | Response {
  const { knobs } = state;
  const app = knobs.consumeQuota('instagram.appCalls', 'app', { limit: 10_000, windowMs: HOUR_MS });
  const account = knobs.consumeQuota('instagram.accountCalls', record.subject, {
    limit: 4800,
    windowMs: HOUR_MS,
  });
  const regain = (resetAt: Date) =>
    Math.max(0, Math.ceil((resetAt.getTime() - knobs.now().getTime()) / 60_000));
  setUsageHeaders(c, record.subject, {
    appPercent: percent(app.used, app.limit),
    accountPercent: percent(account.used, account.limit),
    regainMinutes: account.exceeded ? regain(account.resetAt) : 0,
  });
  if (app.exceeded) {
    return graphError(c, 400, { message: 'Application request limit reached', code: 4, is_transient: true });
  }
  if (account.exceeded) {
    return graphError(c, 400, {
      message: 'There have been too many calls to this Instagram account. Wait a bit and try again.',
      code: 80002,
      is_transient: true,
    });
  }
  return record;
}

export function setUsageHeaders(
  c: Context,
  accountId: string,
  usage: { appPercent: number; accountPercent: number; regainMinutes: number },
): void {
  c.header('x-app-usage', JSON.stringify({ call_count: usage.appPercent, total_cputime: 1, total_time: 1 }));
  c.header(
    'x-business-use-case-usage',
    JSON.stringify({
      [accountId]: [{
        type: 'instagram',
        call_count: usage.accountPercent,
        total_cputime: 1,
        total_time: 1,
        estimated_time_to_regain_access: usage.regainMinutes,
      }],
    }),
  );
}

function percent(used: number, limit: number): number {
  return limit <= 0 ? 100 : Math.min(100, Math.round((used / limit) * 100));
}

function fbtraceId(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(8)))).replace(/[+/=]/g, 'A');
}

/** A numeric Graph id: `prefix` then random digits, 17 in all. */
export function graphId(prefix: string): string {
  const digits = Array.from(
    crypto.getRandomValues(new Uint8Array(17 - prefix.length)),
    (b) => String(b % 10),
  );
  return prefix + digits.join('');
}
