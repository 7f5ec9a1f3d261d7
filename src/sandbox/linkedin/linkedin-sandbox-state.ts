/**
 * What the LinkedIn sandbox remembers, and the answers it shares between its routes: the REST error
 * envelope, the token check (401 with 65600/65601/65602/65604), and the version and protocol headers.
 */
import type { Context } from 'hono';
import type { SandboxKnobs } from '../sandbox-knobs.ts';
import type { TokenRecord } from '../sandbox-tokens.ts';

export interface SandboxLinkedInPost {
  id: string;
  author: string;
  /** The commentary exactly as received (little text). */
  commentary: string;
  /** What a real post would display (after little-text parsing; cut where LinkedIn would cut). */
  shown: string;
  content: unknown;
  body: Record<string, unknown>;
  createdAt: Date;
}

/** A comment made through `POST /rest/socialActions/{post}/comments`, text exactly as received. */
export interface SandboxLinkedInComment {
  /** The comment URN, urn:li:comment:({post},{commentId}). */
  id: string;
  /** The numeric id inside the URN. */
  commentId: string;
  /** The post (share / ugcPost URN) it is on. */
  postId: string;
  /** Who commented (person or organization URN). */
  actor: string;
  text: string;
  createdAt: Date;
  body: Record<string, unknown>;
}

export interface SandboxLinkedInImage {
  urn: string;
  owner: string;
  status: 'WAITING_UPLOAD' | 'AVAILABLE';
  uploadId: string;
  uploadUrlExpiresAt: Date;
  bytes: number;
  /** The SHA-256 of the uploaded picture when the sandbox kept it for its page (sandbox-media-previews.ts). */
  previewSha256?: string | null;
}

export interface SandboxAuthCode {
  subject: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  expiresAt: Date;
}

export interface LinkedInSandboxState {
  knobs: SandboxKnobs;
  members: Map<string, { name: string }>;
  /** Organization URN → member URNs allowed to post for it. */
  organizationAdmins: Map<string, Set<string>>;
  posts: SandboxLinkedInPost[];
  comments: SandboxLinkedInComment[];
  images: Map<string, SandboxLinkedInImage>;
  codes: Map<string, SandboxAuthCode>;
}

export const ACCESS_TTL_MS = 60 * 24 * 60 * 60 * 1000;
export const REFRESH_TTL_MS = 365 * 24 * 60 * 60 * 1000;

export function restError(
  c: Context,
  status: number,
  fields: { message: string; code?: string; serviceErrorCode?: number },
): Response {
  return c.json({ status, ...fields }, status as 400);
}

/** A validation failure in LinkedIn's BadRequest shape (`errorDetails.inputErrors`). */
export function inputError(
  c: Context,
  status: 400 | 422,
  message: string,
  code: string,
  fieldPath: string,
  extra: Record<string, unknown> = {},
): Response {
  return c.json({
    errorDetailType: 'com.linkedin.common.error.BadRequest',
    message,
    errorDetails: {
      inputErrors: [{ description: message, input: { inputPath: { fieldPath } }, code, ...extra }],
    },
    status,
  }, status);
}

/** The Bearer token's record, or LinkedIn's 401. */
export function authenticate(state: LinkedInSandboxState, c: Context): TokenRecord | Response {
  const header = c.req.header('authorization') ?? '';
  const token = header.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) return restError(c, 401, { serviceErrorCode: 65604, message: 'Empty oauth2_access_token' });
  const check = state.knobs.tokens.checkAccess('linkedin', token);
  if (check.status === 'valid') return check.record;
  if (check.status === 'revoked') {
    return restError(c, 401, {
      serviceErrorCode: 65601,
      code: 'REVOKED_ACCESS_TOKEN',
      message: 'The token used in the request has been revoked by the user',
    });
  }
  if (check.status === 'expired') {
    return restError(c, 401, {
      serviceErrorCode: 65602,
      code: 'EXPIRED_ACCESS_TOKEN',
      message: 'The token used in the request has expired',
    });
  }
  return restError(c, 401, {
    serviceErrorCode: 65600,
    code: 'INVALID_ACCESS_TOKEN',
    message: 'Invalid access token',
  });
}

/**
 * `LinkedIn-Version` must be present (400 VERSION_MISSING [U]) and active (426 NONEXISTENT_VERSION);
 * `X-Restli-Protocol-Version` must be 2.0.0 (what LinkedIn does without it is [U]; the sandbox refuses
 * unless the setting `linkedin.requireRestliHeader` is false). Active: the setting
 * `linkedin.activeVersions` (a list), else the last `linkedin.versionLifetimeMonths` (12) months.
 */
export function checkRestHeaders(state: LinkedInSandboxState, c: Context): Response | null {
  const version = c.req.header('linkedin-version');
  if (!version) {
    return restError(c, 400, {
      code: 'VERSION_MISSING',
      message: 'A version must be present. Please specify a version by adding the LinkedIn-Version header.',
    });
  }
  if (!isActiveVersion(state, version)) {
    return restError(c, 426, {
      code: 'NONEXISTENT_VERSION',
      message: `Requested version ${version} is not active`,
    });
  }
  const protocol = c.req.header('x-restli-protocol-version');
  if (protocol !== '2.0.0' && state.knobs.setting('linkedin.requireRestliHeader', true)) {
    return restError(c, 400, {
      code: 'INVALID_PROTOCOL_VERSION',
      message: `X-Restli-Protocol-Version must be 2.0.0, got ${protocol ?? 'nothing'}`,
    });
  }
  return null;
}

function isActiveVersion(state: LinkedInSandboxState, version: string): boolean {
  const list = state.knobs.setting<string[] | null>('linkedin.activeVersions', null);
  if (list) return list.includes(version);
  const match = version.match(/^(\d{4})(\d{2})(\.\d{2})?$/);
  if (!match) return false;
  const months = Number(match[1]) * 12 + Number(match[2]) - 1;
  const now = state.knobs.now();
  const current = now.getUTCFullYear() * 12 + now.getUTCMonth();
  const lifetime = state.knobs.setting('linkedin.versionLifetimeMonths', 12);
  return months <= current && months > current - lifetime;
}

/** Whether `member` may act for `author` (itself, or an organization it administers). */
export function mayActFor(state: LinkedInSandboxState, record: TokenRecord, author: string): boolean {
  if (author.startsWith('urn:li:person:')) {
    return record.subject === author && record.scopes.includes('w_member_social');
  }
  if (author.startsWith('urn:li:organization:')) {
    return record.scopes.includes('w_organization_social') &&
      (state.organizationAdmins.get(author)?.has(record.subject) ?? false);
  }
  return false;
}

export function randomDigits(count: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(count));
  return Array.from(bytes, (b) => String(b % 10)).join('');
}
