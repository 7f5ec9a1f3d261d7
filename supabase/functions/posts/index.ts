/**
 * Supabase Edge Function `posts`: the HTTP API. Thin on purpose — everything it runs is in
 * ../_shared/bundle/posts.js (and the chunks that file imports), built from src/entry/functions/posts.ts
 * by `npm run build:functions`; it deploys with `supabase functions deploy`, also with `--use-api`.
 *
 * Configuration is the function's environment: SUPABASE_URL, SUPABASE_JWKS and SUPABASE_DB_URL are
 * injected; REDIS_URL, TOKEN_ENCRYPTION_KEY (and DATABASE_URL to use the pooler) are secrets.
 */
import { createFunction } from '../_shared/bundle/posts.js';

const app = await createFunction(Deno.env.toObject());

Deno.serve(app.fetch);
