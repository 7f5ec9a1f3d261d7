/**
 * Supabase Edge Function `notification-endpoints`: the creator's own webhook endpoints — create, list,
 * read, change, delete, and POST /notification-endpoints/:id/test (a signed test event, sent at once).
 * Thin on purpose — everything it runs is in ../_shared/bundle/notification-endpoints.js (and the chunks
 * that file imports), built from src/entry/functions/notification-endpoints.ts by
 * `npm run build:functions`.
 *
 * Configuration is the function's environment: SUPABASE_URL, SUPABASE_JWKS and SUPABASE_DB_URL are
 * injected; TOKEN_ENCRYPTION_KEY (required with a database by the shared configuration) is a secret.
 */
import { createFunction } from '../_shared/bundle/notification-endpoints.js';

const app = await createFunction(Deno.env.toObject());

Deno.serve(app.fetch);
