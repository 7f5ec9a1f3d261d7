/**
 * Every error code the system uses, with when it is used. The same codes appear in API errors,
 * the attempt log and notifications, so they are a contract: add, never rename.
 */
export const ERROR_CODES = {
  // configuration and input
  config_invalid: 'an environment variable is missing or malformed; the process stops at start-up',
  validation_failed: 'input does not match the expected shape',
  user_unknown: 'the signed-in user no longer exists (deleted after the token was issued); sign in again',
  // store
  post_not_found: 'no post with this id belongs to the caller',
  account_not_found: 'no social account with this id belongs to the caller',
  account_conflict: 'the account is already connected for this user',
  version_conflict: 'the post changed since the caller read it (stale version)',
  post_not_editable: 'publishing has begun or finished; the post can no longer change',
  invalid_transition: 'a status change the state machine does not allow',
  claim_lost: 'the target is no longer held by this claim (another worker or the reconciler took it)',
  token_decrypt_failed: 'a stored token cannot be decrypted with the configured keys',
  migration_failed: 'a migration file failed to apply; nothing of it was kept',
  // publishing outcomes (see src/platforms)
  auth_expired: 'the access token expired and could not be refreshed; reconnect the account',
  auth_revoked: 'the creator revoked access; reconnect the account',
  permission_denied: 'the token lacks a permission the platform requires',
  rate_limited: 'the platform asked us to wait; retried after the reset time',
  content_invalid: 'the platform rejected the text',
  media_invalid: 'the platform rejected the media (type, size, dimensions)',
  media_unreachable: 'the media URL could not be fetched',
  duplicate_content: 'the platform refused an identical recent post',
  post_missing:
    'the post a reply or first comment is for is gone (deleted, or hidden from the account); it cannot be sent',
  quota_exceeded: 'the account used up its publishing quota for the period',
  platform_unavailable: 'the platform answered 5xx or is down; retried with backoff',
  network: 'the request did not reach the platform or its answer was lost',
  unknown: 'the platform gave an answer we do not understand; see the attempt log',
  outcome_unknown: 'the post was sent but no answer came; it may be live (target marked unconfirmed)',
  database_slow: 'the claim took too long to leave time for the send; nothing was sent and it is tried again',
  missed: 'the post was overdue by more than MISSED_AFTER_MS and was not sent late',
  account_disconnected: 'the target account was removed before publishing',
  // HTTP API (src/api; statuses in src/api/error-response.ts)
  auth_required: 'the request has no Authorization: Bearer <Supabase user JWT> header',
  invalid_token: 'the bearer token is malformed, expired, wrongly signed, or not a user token',
  malformed_json: 'the request body is not valid JSON',
  unsupported_media_type: 'the request body is not application/json',
  body_too_large: 'the request body is larger than API_BODY_LIMIT_BYTES',
  schedule_in_past: 'scheduledAt is more than the tolerance in the past',
  account_ambiguous: 'a platform was named but the caller has no, or several, connected accounts on it',
  precondition_failed: 'the If-Match header names a version the post no longer has',
  nothing_to_retry: 'the post has no failed target that can be retried',
  idempotency_key_reused: 'an Idempotency-Key was sent again with a different request body',
  idempotency_in_progress: 'the first request with this Idempotency-Key is still running',
  route_not_found: 'no route matches the method and path',
  not_ready: 'a dependency (database or Redis) does not answer',
  // connecting accounts (src/api/routes/oauth.ts)
  oauth_not_configured:
    'connecting this platform needs settings the server lacks (client id, OAUTH_APP_RETURN_URL)',
  oauth_state_invalid:
    'the OAuth state is unknown, expired, already used or started by another user; start connecting again',
  oauth_denied: 'the authorization was declined on the platform; nothing was connected',
  oauth_code_rejected:
    'the platform refused the authorization code (expired, already used, or for another redirect URI)',
  oauth_exchange_failed:
    'the platform did not exchange the authorization code for tokens; start connecting again',
  internal: 'an unexpected server error; the response carries a request id for the logs',
  // notifications (src/notify, src/api/routes/notifications.ts)
  notification_not_found: 'no notification with this id belongs to the caller',
  endpoint_not_found: 'no notification endpoint with this id belongs to the caller',
  endpoint_limit_reached:
    'the caller has as many webhook endpoints as NOTIFY_MAX_ENDPOINTS_PER_USER allows; remove one first',
  test_send_rate_limited:
    'the caller sent NOTIFY_TEST_SEND_LIMIT test events within NOTIFY_TEST_SEND_WINDOW_MS; wait for Retry-After',
  webhook_unauthorized: 'the x-webhook-secret header is missing or does not match WEBHOOK_SECRET',
  webhook_payload_invalid:
    'the database-webhook payload is not JSON or not a status change of posts/post_targets',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a stable code, a message a person can act on, and context for logs. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    context: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}

/** Turns anything caught into an Error, once, at the boundary where it was caught. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : `non-error thrown: ${JSON.stringify(value)}`);
}

/** True when `err` is an AppError with `code` (checks the name too: errors cross module copies). */
export function hasErrorCode(err: unknown, code: ErrorCode): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
