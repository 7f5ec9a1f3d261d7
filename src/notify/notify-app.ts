/**
 * The `post-status-webhook` function as a Hono app (runtime-neutral; the Edge Function entry serves it
 * with Deno.serve). `verify_jwt = false`: the caller is the database, which proves itself with the
 * shared secret in `x-webhook-secret` (WEBHOOK_SECRET, read by the trigger from Vault), compared in
 * constant time.
 *
 *   POST <basePath>   body: the database-webhook payload
 *   200 { outcome: created | duplicate | ignored | skipped, … }
 *   400 not JSON / not a status change we know      401 secret missing or wrong
 *   503 stored, but deliveries not queued (Redis)    500 anything else (logged; request id)
 * Errors are application/problem+json with a stable `code`, as in the API.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { coerceError, hasErrorCode } from '../domain/error-codes.ts';
import type { ErrorCode } from '../domain/error-codes.ts';
import { problemJsonResponse } from '../domain/problem-details.ts';
import type { Logger } from '../observability/logger.ts';
import type { StatusEventHandler } from './status-event-handler.ts';
import { WebhookPayloadError } from './status-event-handler.ts';

export const WEBHOOK_SECRET_HEADER = 'x-webhook-secret';
/** Two whole post rows (record and old_record) fit with room to spare. (Default: 256 KiB) */
export const WEBHOOK_BODY_LIMIT_BYTES = 256 * 1024;

export interface NotifyAppOptions {
  /** WEBHOOK_SECRET. */
  secret: string;
  handle: StatusEventHandler;
  logger: Logger;
  /** e.g. '/post-status-webhook' (the path the Supabase gateway passes on). (Default: '/') */
  basePath?: string;
}

type NotifyEnv = { Variables: { requestId: string } };

export function createNotifyApp(options: NotifyAppOptions): Hono<NotifyEnv> {
  if (options.secret.length === 0) throw new TypeError('the webhook secret must not be empty');
  const { logger } = options;
  const app = options.basePath && options.basePath !== '/'
    ? new Hono<NotifyEnv>().basePath(options.basePath)
    : new Hono<NotifyEnv>();
  app.use('*', requestId());

  app.post(
    '/',
    async function checkSecret(c, next) {
      const given = c.req.header(WEBHOOK_SECRET_HEADER);
      if (given === undefined || !(await sameSecret(given, options.secret))) {
        logger.warn({ requestId: c.get('requestId'), sent: given !== undefined }, 'webhook secret rejected');
        return problem(c, 401, 'webhook_unauthorized', `send the shared secret in ${WEBHOOK_SECRET_HEADER}`);
      }
      await next();
    },
    bodyLimit({
      maxSize: WEBHOOK_BODY_LIMIT_BYTES,
      onError: (c) =>
        problem(
          c,
          400,
          'webhook_payload_invalid',
          `the body is larger than ${WEBHOOK_BODY_LIMIT_BYTES} bytes`,
        ),
    }),
    async function receiveStatusWebhook(c) {
      let payload: unknown;
      try {
        payload = JSON.parse(await c.req.text());
      } catch {
        return problem(c, 400, 'webhook_payload_invalid', 'the body is not valid JSON');
      }
      const result = await options.handle(payload);
      return c.json(result, 200);
    },
  );

  app.onError(function handleError(err, c) {
    if (err instanceof WebhookPayloadError || hasErrorCode(err, 'webhook_payload_invalid')) {
      const errors = (err as WebhookPayloadError).context.errors;
      logger.warn({ requestId: c.get('requestId'), errors }, 'webhook payload rejected');
      return problem(c, 400, 'webhook_payload_invalid', err.message, errors);
    }
    if (hasErrorCode(err, 'not_ready')) {
      return problem(c, 503, 'not_ready', err.message);
    }
    logger.error({ requestId: c.get('requestId'), err: coerceError(err) }, 'status webhook failed');
    return problem(
      c,
      500,
      'internal',
      `an unexpected error occurred; quote request id ${c.get('requestId')} when reporting it`,
    );
  });
  app.notFound((c) =>
    problem(
      c,
      404,
      'route_not_found',
      `no route ${c.req.method} ${new URL(c.req.url).pathname}; POST the payload`,
    )
  );
  return app;
}

function problem(
  c: Context<NotifyEnv>,
  status: 400 | 401 | 404 | 500 | 503,
  code: ErrorCode,
  detail: string,
  errors?: unknown,
): Response {
  return problemJsonResponse(status, code, {
    detail,
    requestId: c.get('requestId') ?? null,
    ...(Array.isArray(errors) && errors.length > 0 ? { errors } : {}),
  });
}

/**
 * Constant-time comparison: both sides are hashed first, so neither the position of the first
 * difference nor the secret's length shows in the timing.
 */
export async function sameSecret(given: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(given)),
    crypto.subtle.digest('SHA-256', encoder.encode(expected)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}
