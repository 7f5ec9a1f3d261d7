/**
 * For routes with a body: JSON only (415 otherwise) and valid JSON (400 otherwise). Runs before the
 * zod validator, which then reads the body Hono cached here. The size limit is body-limit.ts,
 * installed in create-app.ts ahead of this.
 */
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../domain/error-codes.ts';
import type { AppEnv } from '../app-env.ts';

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i;

export function requireJsonBody(): MiddlewareHandler<AppEnv> {
  return async function requireJsonBody(c, next) {
    const type = c.req.header('content-type');
    if (!type || !JSON_TYPE.test(type)) {
      throw new AppError(
        'unsupported_media_type',
        `the body must be JSON sent with Content-Type: application/json${type ? `, not ${type}` : ''}`,
      );
    }
    const raw = await c.req.text();
    try {
      JSON.parse(raw);
    } catch (err) {
      const reason = err instanceof Error ? err.message : 'parse error';
      throw new AppError('malformed_json', `the body is not valid JSON (${reason}); send a JSON object`);
    }
    c.set('rawBody', raw);
    await next();
  };
}
