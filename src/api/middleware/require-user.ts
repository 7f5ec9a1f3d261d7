/**
 * Requires `Authorization: Bearer <Supabase user JWT>` and puts the verified `sub` on the context as
 * `userId`, the owner of everything the request touches.
 */
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../domain/error-codes.ts';
import type { AppEnv } from '../app-env.ts';
import type { AuthVerifier } from '../auth/verify-supabase-jwt.ts';

const BEARER = /^Bearer[ ]+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)[ ]*$/i;

export function requireUser(verifier: AuthVerifier): MiddlewareHandler<AppEnv> {
  return async function requireUser(c, next) {
    const header = c.req.header('authorization');
    if (!header) {
      throw new AppError(
        'auth_required',
        'this route needs Authorization: Bearer <access token of the signed-in Supabase user>',
      );
    }
    const match = BEARER.exec(header);
    if (!match) {
      throw new AppError('invalid_token', 'the Authorization header must be "Bearer <jwt>"');
    }
    const user = await verifier.verify(match[1]!);
    c.set('userId', user.userId);
    await next();
  };
}
