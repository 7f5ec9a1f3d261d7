/**
 * Supabase Edge Function `accounts`: list and disconnect social accounts, and connect them with OAuth
 * (POST /accounts/:platform/connect, then the platform redirects to GET /accounts/:platform/callback).
 * Thin on purpose — everything it runs is in ../_shared/bundle/accounts.js (and the chunks that file
 * imports), built from src/entry/functions/accounts.ts by `npm run build:functions`.
 *
 * Configuration is the function's environment: SUPABASE_URL, SUPABASE_JWKS and SUPABASE_DB_URL are
 * injected; TOKEN_ENCRYPTION_KEY, OAUTH_REDIRECT_BASE_URL (https://<ref>.supabase.co/functions/v1) and
 * X_/INSTAGRAM_/LINKEDIN_ CLIENT_ID and CLIENT_SECRET are secrets.
 */
import { createFunction } from '../_shared/bundle/accounts.js';

const app = await createFunction(Deno.env.toObject());

Deno.serve(app.fetch);
