/**
 * `Idempotency-Key` on POST /posts: a retried request gets the first response again and creates
 * nothing new. The key is reserved in the store before the handler runs (one of two concurrent
 * requests wins; the other gets 409 idempotency_in_progress), the 2xx response is stored for replays,
 * and a failed request releases the key so it can be retried. A key sent with a different body is
 * refused (422). Keys are kept for IDEMPOTENCY_TTL_MS, then purged by the worker's reconciler.
 *
 * If the process dies between creating the post and storing the response, the key stays reserved
 * without a response and retries get 409 until it expires: a new key is then needed, which is the
 * safe side (no duplicate post).
 */
import type { MiddlewareHandler } from 'hono';
import { AppError, coerceError } from '../../domain/error-codes.ts';
import type { Logger } from '../../observability/logger.ts';
import { IDEMPOTENCY_KEY_TTL_MS } from '../../store/idempotency-key-store.ts';
import type { PostStore } from '../../store/post-store.ts';
import type { AppEnv } from '../app-env.ts';

/** Kept as long as the store keeps them (the reconciler purges older ones). */
export const IDEMPOTENCY_TTL_MS = IDEMPOTENCY_KEY_TTL_MS;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function idempotency(store: PostStore, now: () => Date, logger: Logger): MiddlewareHandler<AppEnv> {
  return async function idempotency(c, next) {
    const key = c.req.header('idempotency-key');
    if (key === undefined) return await next();
    if (!KEY_PATTERN.test(key)) {
      throw new AppError(
        'validation_failed',
        'the Idempotency-Key header must be 1-255 visible ASCII characters, e.g. a uuid',
        { path: 'Idempotency-Key' },
      );
    }
    const userId = c.get('userId');
    const requestHash = await sha256Hex(`${c.req.method} ${c.req.path}\n${c.get('rawBody') ?? ''}`);
    const reservation = await store.reserveIdempotencyKey(
      userId,
      key,
      requestHash,
      new Date(now().getTime() - IDEMPOTENCY_TTL_MS),
    );
    if (reservation.outcome === 'existing') {
      const { record } = reservation;
      if (record.requestHash !== requestHash) {
        throw new AppError(
          'idempotency_key_reused',
          'this Idempotency-Key was used for a different request; use a new key for a new request',
          { path: 'Idempotency-Key' },
        );
      }
      if (record.response === null) {
        throw new AppError(
          'idempotency_in_progress',
          'the first request with this Idempotency-Key has not finished; retry in a moment',
        );
      }
      const body = record.response.body as { version?: unknown } | null;
      const headers = new Headers({ 'content-type': 'application/json', 'idempotency-replayed': 'true' });
      if (body && typeof body.version === 'number') headers.set('etag', `"${body.version}"`);
      return new Response(JSON.stringify(record.response.body), { status: record.response.status, headers });
    }

    await next();

    const res = c.res;
    try {
      if (res.status >= 200 && res.status < 300) {
        await store.completeIdempotencyKey(userId, key, {
          status: res.status,
          body: await res.clone().json(),
        });
      } else {
        await store.releaseIdempotencyKey(userId, key);
      }
    } catch (err) {
      // The request itself succeeded or failed on its own; only replays are affected.
      logger.error({ err: coerceError(err), requestId: c.get('requestId') }, 'idempotency key not recorded');
    }
  };
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
