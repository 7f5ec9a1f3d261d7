/**
 * Classifies a LinkedIn REST answer into one PublishError (docs/platform-apis.md §3.5), from structured
 * fields only: the HTTP status, `serviceErrorCode`, `code`, `errorDetails.inputErrors[].code`, and the
 * `Retry-After` header. The message people see is ours; LinkedIn's own message is kept, bounded, in
 * `platformMessage` for the attempt log.
 *
 * LinkedIn error envelopes:
 *   {"status":401,"serviceErrorCode":65602,"code":"EXPIRED_ACCESS_TOKEN","message":"…"}
 *   {"status":422,"errorDetailType":"…BadRequest","message":"…duplicate of urn:li:share:1",
 *    "errorDetails":{"inputErrors":[{"code":"DUPLICATE_POST",…}]}}
 */
import { isRecord } from '../http-client.ts';
import { PublishError, type PublishErrorCode } from '../publish-error.ts';

export interface LinkedInErrorInput {
  status: number;
  headers: Headers;
  json: unknown;
  bodyExcerpt: string;
  /** What the request was doing, for the message ("creating the post", "uploading the image"). */
  action: string;
  /** The LinkedIn-Version the request carried, named in the 426 message. */
  version: string;
  now: Date;
}

/** By `serviceErrorCode` (401s). */
const AUTH_BY_SERVICE_CODE: Readonly<Record<number, PublishErrorCode>> = {
  65600: 'auth_expired', // invalid access token: the creator must reconnect
  65601: 'auth_revoked',
  65602: 'auth_expired',
};

/** By the envelope's `code`. */
const BY_CODE: Readonly<Record<string, PublishErrorCode>> = {
  INVALID_ACCESS_TOKEN: 'auth_expired',
  REVOKED_ACCESS_TOKEN: 'auth_revoked',
  EXPIRED_ACCESS_TOKEN: 'auth_expired',
  ACCESS_DENIED: 'permission_denied',
  NONEXISTENT_VERSION: 'unknown',
  VERSION_MISSING: 'unknown',
};

/** By `errorDetails.inputErrors[].code` (400/422 validation). */
const BY_INPUT_ERROR: Readonly<Record<string, PublishErrorCode>> = {
  DUPLICATE_POST: 'duplicate_content',
  FIELD_ARRAY_SIZE_TOO_HIGH: 'content_invalid',
  FIELD_ARRAY_SIZE_TOO_LOW: 'content_invalid',
  FIELD_VALUE_TOO_HIGH: 'content_invalid',
  FIELD_VALUE_TOO_LOW: 'content_invalid',
  INVALID_VALUE_FOR_FIELD: 'content_invalid',
  MISSING_FIELD: 'content_invalid',
  INVALID_URN_TYPE: 'content_invalid',
  UNPROCESSABLE_ENTITY: 'content_invalid',
};

const ENTITY_URN = /urn:li:(?:share|ugcPost):[0-9]+/;

export function classifyLinkedInError(input: LinkedInErrorInput): PublishError {
  const body = isRecord(input.json) ? input.json : null;
  const serviceCode = typeof body?.serviceErrorCode === 'number' ? body.serviceErrorCode : null;
  const envelopeCode = typeof body?.code === 'string' ? body.code : null;
  const inputCodes = inputErrorCodes(body);
  const platformMessage = typeof body?.message === 'string' ? body.message : input.bodyExcerpt;
  const platformCode = inputCodes[0] ?? envelopeCode ?? (serviceCode === null ? null : String(serviceCode));
  const details = {
    platform: 'linkedin' as const,
    platformStatus: input.status,
    platformCode,
    platformMessage,
  };
  const status = input.status;

  if (status === 426 || envelopeCode === 'NONEXISTENT_VERSION') {
    return new PublishError(
      'unknown',
      `LinkedIn no longer accepts API version ${input.version} (426 NONEXISTENT_VERSION) while ${input.action}; ` +
        'set LINKEDIN_VERSION to an active YYYYMM version (LinkedIn keeps versions about 12 months) and restart',
      details,
    );
  }
  if (status === 429) {
    const retryAt = rateLimitResetAt(input.headers, input.now);
    const when = retryAt
      ? `; LinkedIn asks to wait until ${retryAt.toISOString()}`
      : '; LinkedIn names no reset time, so it is tried again after a growing delay';
    return new PublishError('rate_limited', `LinkedIn rate limit reached while ${input.action}${when}`, {
      ...details,
      retryAt,
    });
  }
  if (inputCodes.includes('DUPLICATE_POST')) {
    const existing = platformMessage.match(ENTITY_URN)?.[0] ?? null;
    return new PublishError(
      'duplicate_content',
      existing
        ? `LinkedIn refused a duplicate of ${existing}, which is already live`
        : 'LinkedIn refused the post as a duplicate of an earlier one',
      { ...details, platformCode: 'DUPLICATE_POST', existingExternalId: existing },
    );
  }
  if (status === 401) {
    const code = (serviceCode !== null ? AUTH_BY_SERVICE_CODE[serviceCode] : undefined) ??
      (envelopeCode ? BY_CODE[envelopeCode] : undefined) ?? 'auth_expired';
    return new PublishError(code, authMessage(code, input.action), details);
  }
  if (status === 403) {
    return new PublishError(
      'permission_denied',
      `LinkedIn refused ${input.action}: the token lacks the permission (w_member_social for a person, ` +
        'w_organization_social and an admin role for an organization); reconnect with the right scopes',
      details,
    );
  }
  if (status >= 500) {
    return new PublishError(
      'platform_unavailable',
      `LinkedIn answered ${status} while ${input.action}`,
      details,
    );
  }
  if (status === 400 || status === 422) {
    if (envelopeCode === 'VERSION_MISSING') {
      return new PublishError(
        'unknown',
        `LinkedIn says the LinkedIn-Version header is missing (${input.action})`,
        details,
      );
    }
    const mapped = inputCodes.map((c) => BY_INPUT_ERROR[c]).find((c) => c !== undefined);
    const mediaProblem = inputFieldPaths(body).some((p) => /content|media|image/i.test(p));
    const code = mediaProblem ? 'media_invalid' : mapped ?? 'content_invalid';
    return new PublishError(code, `LinkedIn rejected the request while ${input.action} (${status})`, details);
  }
  return new PublishError(
    'unknown',
    `LinkedIn gave an unexpected answer (${status}) while ${input.action}; see the attempt log`,
    details,
  );
}

function authMessage(code: PublishErrorCode, action: string): string {
  return code === 'auth_revoked'
    ? `The creator revoked SoloSpark's LinkedIn access (${action}); reconnect the account`
    : `The LinkedIn access token is expired or invalid (${action}); reconnect the account`;
}

function inputErrorCodes(body: Record<string, unknown> | null): string[] {
  const errors = inputErrors(body);
  return errors.map((e) => e.code).filter((c): c is string => typeof c === 'string');
}

function inputFieldPaths(body: Record<string, unknown> | null): string[] {
  return inputErrors(body).flatMap((e) => {
    const input = isRecord(e.input) ? e.input : null;
    const path = input && isRecord(input.inputPath) ? input.inputPath.fieldPath : undefined;
    return typeof path === 'string' ? [path] : [];
  });
}

function inputErrors(body: Record<string, unknown> | null): Record<string, unknown>[] {
  const details = body && isRecord(body.errorDetails) ? body.errorDetails : null;
  const list = details && Array.isArray(details.inputErrors) ? details.inputErrors : [];
  return list.filter(isRecord);
}

/**
 * Retry-After (seconds or an HTTP date) when sent, else null. LinkedIn documents no Retry-After and
 * no rate-limit headers (docs/platform-apis.md §3.7), and its 429 does not say which limit was hit (a daily
 * one resetting at midnight UTC, or infrastructure protection), so no reset time is invented here:
 * the worker chooses the wait (escalating delays) when `retryAt` is null.
 */
export function rateLimitResetAt(headers: Headers, now: Date): Date | null {
  const retryAfter = headers.get('retry-after');
  if (retryAfter === null) return null;
  const seconds = Number(retryAfter.trim());
  if (retryAfter.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) {
    return new Date(now.getTime() + seconds * 1000);
  }
  const date = Date.parse(retryAfter);
  return Number.isFinite(date) ? new Date(date) : null;
}
