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
import type { Logger } from '../observability/logger.ts';
import type { AppEnv } from './app-env.ts';
import { errorsFromZod } from './validation-error.ts';
import type { ProblemError } from './validation-error.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const STATUS_BY_CODE: Readonly<Partial<Record<ErrorCode, ContentfulStatusCode>>> = {
  malformed_json: 400,
  auth_required: 401,
  invalid_token: 401,
  post_not_found: 404,
  account_not_found: 404,
  notification_not_found: 404,
  endpoint_not_found: 404,
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

export function problemType(code: ErrorCode): string {
  return `urn:solospark:problem:${code}`;
}

export function problemOf(
  code: ErrorCode,
  detail: string,
  requestId: string | null,
  errors?: ProblemError[],
): Problem {
  const description = ERROR_CODES[code];
  return {
    type: problemType(code),
    title: description.charAt(0).toUpperCase() + description.slice(1),
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
        problem.detail.replace(/["\\]/g, "'")
      }"`,
    );
  }
  if (problem.code === 'not_ready') headers.set('retry-after', '5');
  if (c.get('requestId')) headers.set('x-request-id', c.get('requestId'));
  return new Response(JSON.stringify(problem), { status: problem.status, headers });
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
    return problemResponse(c, problemFromError(err, c.get('requestId') ?? null, logger));
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
