/**
 * The dev stack's HS256 signing secret (src/dev/dev-auth.ts signs its tokens with it). It is a public
 * constant, so anyone can mint a token it verifies: loadConfig refuses it as SUPABASE_JWT_SECRET unless
 * the dev stack itself opts in (`allowDevJwtSecret`). It lives here, below src/dev/, because the
 * config layer must recognise it.
 */

/** Public, dev-only. Never a real project's SUPABASE_JWT_SECRET. */
export const DEV_ONLY_JWT_SECRET = 'solospark-dev-only-jwt-secret--public--never-use-in-production';
