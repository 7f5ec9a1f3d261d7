/**
 * What every API surface (Node server, each Edge Function) needs to authenticate creators, built from
 * config in one place, plus the queue stand-in for surfaces that serve no post routes.
 */
import { createSupabaseJwtVerifier } from '../api/auth/verify-supabase-jwt.ts';
import type { PostScheduler } from '../api/post-scheduler.ts';
import { ConfigError } from '../config/load-config.ts';
import type { Config } from '../config/load-config.ts';

/**
 * The Supabase JWT verifier; throws ConfigError naming `surface` when no way to verify is configured.
 * With SUPABASE_URL (always set on Supabase Edge Functions) a token must also name the project's Auth
 * as its issuer, `<SUPABASE_URL>/auth/v1` (or SUPABASE_JWT_ISSUER).
 */
export function createUserAuth(config: Config, surface: string) {
  const { supabase } = config;
  if (!supabase.jwks && !supabase.jwksUrl && !supabase.jwtSecret) {
    throw new ConfigError([
      `${surface} needs a way to verify user tokens: set SUPABASE_URL (e.g. https://<ref>.supabase.co), ` +
      'SUPABASE_JWKS (the project JWKS JSON) or SUPABASE_JWT_SECRET (legacy HS256 secret)',
    ]);
  }
  return createSupabaseJwtVerifier({
    jwks: supabase.jwks as never,
    jwksUrl: supabase.jwksUrl,
    hs256Secret: supabase.jwtSecret,
    issuer: supabase.issuer,
  });
}

/** For apps that serve no post routes (the only users of the queue): every call is a bug. */
export function createNoPostScheduler(surface: string): PostScheduler {
  const refuse = () => Promise.reject(new Error(`${surface} has no queue`));
  return { schedule: refuse, reschedule: refuse, cancel: refuse, ping: () => Promise.resolve() };
}
