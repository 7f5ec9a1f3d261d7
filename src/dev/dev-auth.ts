/**
 * The dev stack's identity: a demo user, a fixed, dev-only HS256 signing secret and a fixed issuer,
 * so a token printed by `npm run dev:token` in one process is accepted by `npm run dev` running in
 * another (and across restarts). The secret is a public constant: it protects nothing and must never
 * be a real project's SUPABASE_JWT_SECRET — loadConfig refuses it unless the dev stack opts in.
 */
import { SignJWT } from 'jose';
import { supabaseIssuer } from '../api/auth/verify-supabase-jwt.ts';
import { DEV_ONLY_JWT_SECRET } from '../config/dev-only-jwt-secret.ts';

export { DEV_ONLY_JWT_SECRET };

/**
 * The dev stack's SUPABASE_URL: the Supabase CLI's local API address (`supabase start`). Its tokens'
 * `iss` is `<this>/auth/v1`; the dev stack never fetches keys from it (dev tokens are HS256).
 */
export const DEV_SUPABASE_URL = 'http://127.0.0.1:54321';

/** The `iss` of every dev token, the one the dev stack requires. */
export const DEV_TOKEN_ISSUER = supabaseIssuer(DEV_SUPABASE_URL);

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
    .setIssuer(DEV_TOKEN_ISSUER)
    .setAudience('authenticated')
    .setSubject(options.userId ?? DEV_USER_ID)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (options.expiresInSeconds ?? DEV_TOKEN_TTL_SECONDS))
    .sign(new TextEncoder().encode(DEV_ONLY_JWT_SECRET));
}

/**
 * A service-role token signed with DEV_ONLY_JWT_SECRET, shaped like the project's service-role key
 * (`role: service_role`, no user): the dev stack's credential for the queue dashboard
 * (src/app/admin-credential.ts).
 */
export async function createDevServiceRoleToken(
  options: Omit<DevTokenOptions, 'userId'> = {},
): Promise<string> {
  const issuedAt = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  return await new SignJWT({ role: 'service_role' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('supabase-demo')
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (options.expiresInSeconds ?? DEV_TOKEN_TTL_SECONDS))
    .sign(new TextEncoder().encode(DEV_ONLY_JWT_SECRET));
}
