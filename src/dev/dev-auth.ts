/**
 * The dev stack's identity: a demo user and a fixed, dev-only HS256 signing secret, so a token
 * printed by `npm run dev:token` in one process is accepted by `npm run dev` running in another
 * (and across restarts). The secret is a public constant: it protects nothing and must never be a
 * real project's SUPABASE_JWT_SECRET. Only the dev stack configures its verifier with it.
 */
import { SignJWT } from 'jose';

/** Public, dev-only. Never set SUPABASE_JWT_SECRET to this outside the dev stack. */
export const DEV_ONLY_JWT_SECRET = 'solospark-dev-only-jwt-secret--public--never-use-in-production';

/** The demo creator every dev token speaks for (the JWT `sub`). */
export const DEV_USER_ID = '5010da7a-de70-4000-8000-000000000001';

/** Dev tokens last a week, so a pasted command keeps working through a working week. */
export const DEV_TOKEN_TTL_SECONDS = 7 * 24 * 60 * 60;

export interface DevTokenOptions {
  /** (Default: DEV_USER_ID) */
  userId?: string;
  /** (Default: DEV_TOKEN_TTL_SECONDS) */
  expiresInSeconds?: number;
  /** (Default: () => new Date()) */
  now?: () => Date;
}

/** A Supabase-shaped user access token signed with DEV_ONLY_JWT_SECRET. */
export async function createDevToken(options: DevTokenOptions = {}): Promise<string> {
  const issuedAt = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  return await new SignJWT({ role: 'authenticated', email: 'demo@solospark.dev' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('solospark-dev')
    .setAudience('authenticated')
    .setSubject(options.userId ?? DEV_USER_ID)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (options.expiresInSeconds ?? DEV_TOKEN_TTL_SECONDS))
    .sign(new TextEncoder().encode(DEV_ONLY_JWT_SECRET));
}
