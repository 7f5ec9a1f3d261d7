/**
 * The RFC 9457 problem every HTTP surface answers with (the API, the worker's endpoint, the webhook
 * function, a misconfigured Edge Function): `{ type, title, status, detail, code, … }` as
 * application/problem+json. One `title` per code, so a person sees the same words for the same
 * problem whichever server answered.
 */
import { ERROR_CODES } from './error-codes.ts';
import type { ErrorCode } from './error-codes.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The problem `title` per code: what is wrong, in plain words, the same for every occurrence (RFC
 * 9457); `detail` says what to change this time. ERROR_CODES describes when a code is used, for the
 * people reading this code; a title is for the person reading the answer. Codes without a title here
 * fall back to that description.
 */
const TITLES: Readonly<Partial<Record<ErrorCode, string>>> = {
  config_invalid: 'The server is not configured correctly',
  validation_failed: 'Some fields are missing or not valid',
  malformed_json: 'The body is not valid JSON',
  unsupported_media_type: 'The body must be JSON',
  body_too_large: 'The body is too large',
  auth_required: 'Sign-in required',
  invalid_token: 'The access token was not accepted',
  user_unknown: 'The signed-in user no longer exists',
  route_not_found: 'No such route',
  post_not_found: 'Post not found',
  account_not_found: 'Account not found',
  notification_not_found: 'Notification not found',
  endpoint_not_found: 'Webhook endpoint not found',
  endpoint_limit_reached: 'Too many webhook endpoints',
  test_send_rate_limited: 'Too many test events; wait before sending another',
  // Our own check, before any platform is called: the platform has not rejected anything yet.
  content_invalid: "The post breaks a platform's rules",
  schedule_in_past: 'The scheduled time is in the past',
  account_ambiguous: 'Which account to publish to is not clear',
  account_conflict: 'The account is already connected',
  post_not_editable: 'The post can no longer be changed',
  version_conflict: 'The post changed while this request ran',
  precondition_failed: 'The post is not at the version named in If-Match',
  invalid_transition: 'That status change is not allowed',
  nothing_to_retry: 'The post has nothing to retry',
  idempotency_key_reused: 'The Idempotency-Key was already used for a different request',
  idempotency_in_progress: 'The first request with this Idempotency-Key is still running',
  not_ready: 'The service is not ready; try again shortly',
  oauth_not_configured: 'Connecting this platform is not set up on the server',
  oauth_state_invalid: 'This connection attempt is no longer valid',
  oauth_denied: 'The connection was declined on the platform',
  oauth_code_rejected: 'The platform refused the authorization code',
  oauth_exchange_failed: 'The platform did not complete the connection',
  webhook_unauthorized: 'The webhook secret is missing or wrong',
  webhook_payload_invalid: 'The webhook payload is not a status change',
  internal: 'Unexpected server error',
};

export function problemType(code: ErrorCode): string {
  return `urn:solospark:problem:${code}`;
}

/** The title of `code`'s problems: TITLES, else the code's description capitalised. */
export function problemTitle(code: ErrorCode): string {
  const description = ERROR_CODES[code];
  return TITLES[code] ?? description.charAt(0).toUpperCase() + description.slice(1);
}

/** A problem+json answer: type, title and code from `code`, then `fields` (detail, requestId, …). */
export function problemJsonResponse(
  status: number,
  code: ErrorCode,
  fields: { detail: string } & Record<string, unknown>,
  headers: Record<string, string> = {},
): Response {
  const body = { type: problemType(code), title: problemTitle(code), status, code, ...fields };
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, 'content-type': PROBLEM_CONTENT_TYPE },
  });
}
