/**
 * The one place where errors become HTTP responses: RFC 9457 `application/problem+json`
 * `{ type, title, status, detail, code, requestId, errors? }`. Each AppError code maps to one status
 * (STATUS_BY_CODE); anything else is logged with its stack and answered as a generic 500 carrying the
 * request id, so no stack, SQL or token ever reaches a client.
 */
import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { AppError, coerceError, ERROR_CODES } from '../domain/error-codes.ts';
import type { ErrorCode } from '../domain/error-codes.ts';
import { PROBLEM_CONTENT_TYPE, problemTitle, problemType } from '../domain/problem-details.ts';
import type { Logger } from '../observability/logger.ts';
import type { AppEnv } from './app-env.ts';
import { errorsFromZod } from './validation-error.ts';
import type { ProblemError } from './validation-error.ts';

export { PROBLEM_CONTENT_TYPE } from '../domain/problem-details.ts';

const STATUS_BY_CODE: Readonly<Partial<Record<ErrorCode, ContentfulStatusCode>>> = {
  malformed_json: 400,
  auth_required: 401,
  invalid_token: 401,
  user_unknown: 401,
  post_not_found: 404,
  account_not_found: 404,
  notification_not_found: 404,
  endpoint_not_found: 404,
  endpoint_limit_reached: 409,
  test_send_rate_limited: 429,
  route_not_found: 404,
  post_not_editable: 409,
  version_conflict: 409,
  account_conflict: 409,
  invalid_transition: 409,
  nothing_to_retry: 409,
  idempotency_in_progress: 409,
  precondition_failed: 412,
  body_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  schedule_in_past: 422,
  content_invalid: 422,
  account_ambiguous: 422,
  idempotency_key_reused: 422,
  not_ready: 503,
  oauth_state_invalid: 400,
  oauth_denied: 400,
  oauth_code_rejected: 400,
  oauth_exchange_failed: 502,
  oauth_not_configured: 503,
};

/** 5xx codes whose message names the fix and carries no secret, so it is shown instead of `internal`. */
const EXPLAINED_SERVER_CODES: ReadonlySet<ErrorCode> = new Set([
  'not_ready',
  'oauth_not_configured',
  'oauth_exchange_failed',
]);

/** Hono's own HTTP exceptions (validators, body limit), by status. */
const CODE_BY_HTTP_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'malformed_json',
  401: 'invalid_token',
  404: 'route_not_found',
  413: 'body_too_large',
  415: 'unsupported_media_type',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string | null;
  errors?: ProblemError[];
}

export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return STATUS_BY_CODE[code] ?? 500;
}

export function problemOf(
  code: ErrorCode,
  detail: string,
  requestId: string | null,
  errors?: ProblemError[],
): Problem {
  return {
    type: problemType(code),
    title: problemTitle(code),
    status: statusOf(code),
    detail,
    code,
    requestId,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function problemResponse(c: Context<AppEnv>, problem: Problem): Response {
  const headers = new Headers({ 'content-type': PROBLEM_CONTENT_TYPE });
  if (problem.code === 'auth_required') headers.set('www-authenticate', 'Bearer realm="solospark"');
  if (problem.code === 'invalid_token') {
    headers.set(
      'www-authenticate',
      `Bearer realm="solospark", error="invalid_token", error_description="${
        errorDescription(problem.detail)
      }"`,
    );
  }
  if (problem.code === 'not_ready') headers.set('retry-after', '5');
  if (c.get('requestId')) headers.set('x-request-id', c.get('requestId'));
  return new Response(JSON.stringify(problem), { status: problem.status, headers });
}

/** Longest `error_description` sent; the body's `detail` has the whole message. */
const MAX_ERROR_DESCRIPTION = 200;

/**
 * `detail` as an RFC 6750 `error_description`: only %x20-21 / %x23-5B / %x5D-7E. Every other
 * character (quotes and backslashes become `'`, the rest `?`) is replaced, so no message — whatever
 * it quotes — can end the header early, add a header (CR/LF) or make the Headers API throw on a
 * character outside Latin-1, which would turn a 401 into a 500.
 */
export function errorDescription(detail: string): string {
  const safe = detail.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
  return safe.length > MAX_ERROR_DESCRIPTION ? `${safe.slice(0, MAX_ERROR_DESCRIPTION - 3)}...` : safe;
}

/** The problem for anything thrown by a handler or middleware. */
export function problemFromError(err: unknown, requestId: string | null, logger: Logger): Problem {
  if (err instanceof ZodError) {
    return problemOf(
      'validation_failed',
      'the request does not match the expected shape',
      requestId,
      errorsFromZod(err),
    );
  }
  if (err instanceof HTTPException) {
    const code = CODE_BY_HTTP_STATUS[err.status];
    if (code) return problemOf(code, DEFAULT_DETAILS[code] ?? err.message, requestId);
  }
  if (isAppError(err) && statusOf(err.code) < 500) {
    return problemOf(err.code, err.message, requestId, errorsOf(err));
  }
  if (isAppError(err) && EXPLAINED_SERVER_CODES.has(err.code)) {
    logger.warn({ requestId, code: err.code, err: coerceError(err) }, ERROR_CODES[err.code]);
    return problemOf(err.code, err.message, requestId);
  }
  logger.error({ requestId, err: coerceError(err) }, 'unexpected error');
  return problemOf(
    'internal',
    `an unexpected error occurred; nothing is lost if the request is retried. Quote request id ${requestId} when reporting it`,
    requestId,
  );
}

const DEFAULT_DETAILS: Partial<Record<ErrorCode, string>> = {
  malformed_json: 'the request body is not valid JSON; send a JSON object',
  unsupported_media_type: 'send the body as JSON with Content-Type: application/json',
  body_too_large: 'the request body is too large; send a smaller body',
};

/** Installs the problem+json mapping as the app's error and not-found handlers. */
export function installErrorHandling(app: Hono<AppEnv, any, any>, logger: Logger): void {
  app.onError(function handleError(err, c) {
    const response = problemResponse(c, problemFromError(err, c.get('requestId') ?? null, logger));
    // A 4xx AppError may say when to come back (e.g. test_send_rate_limited): context.retryAfterS.
    const retryAfterS = isAppError(err) ? err.context.retryAfterS : undefined;
    if (response.status < 500 && typeof retryAfterS === 'number') {
      response.headers.set('retry-after', String(retryAfterS));
    }
    return response;
  });
  app.notFound(function handleNotFound(c) {
    return problemResponse(
      c,
      problemOf(
        'route_not_found',
        `no route ${c.req.method} ${new URL(c.req.url).pathname}; see /openapi.json for the routes`,
        c.get('requestId') ?? null,
      ),
    );
  });
}

function isAppError(err: unknown): err is AppError {
  return err instanceof AppError ||
    (typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' &&
      (err as { code: string }).code in ERROR_CODES && err instanceof Error);
}

/** `errors` from the context (validation lists), or one entry for a context `path`. */
function errorsOf(err: AppError): ProblemError[] | undefined {
  const listed = err.context.errors;
  if (Array.isArray(listed)) return listed as ProblemError[];
  if (typeof err.context.path === 'string') return [{ path: err.context.path, message: err.message }];
  return undefined;
}
