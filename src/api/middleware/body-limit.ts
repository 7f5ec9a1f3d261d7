/**
 * The request body size limit: hono/body-limit, with its Content-Length case answered from the
 * header alone. Hono's middleware looks at `c.req.raw.body` first, and on @hono/node-server reading
 * that property turns the lightweight request into a full web Request (a stream, an AbortSignal,
 * Headers) that the rest of the request then pays for. With a Content-Length and no
 * Transfer-Encoding, the server's HTTP parser already holds the body to that length, so the header
 * decides, exactly as hono/body-limit decides it; without one (chunked) hono/body-limit counts the
 * bytes as they arrive and stops at the limit.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../app-env.ts';

export function limitBody(maxSize: number, onError: () => never): MiddlewareHandler<AppEnv> {
  const counted = bodyLimit({ maxSize, onError });
  return async function limitBody(c, next) {
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (parseInt(length, 10) > maxSize) onError();
      return await next();
    }
    return await counted(c, next);
  };
}
