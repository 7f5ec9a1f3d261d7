/**
 * Supabase Edge Function `notifications`: the signed-in creator's notifications — GET /notifications
 * (newest first, `?unread=true`) and POST /notifications/:id/read. Thin on purpose — everything it runs
 * is in ./bundle.js, built from src/entry/functions/notifications.ts by `npm run build:functions`, so
 * this folder deploys on its own.
 *
 * Configuration is the function's environment: SUPABASE_URL, SUPABASE_JWKS and SUPABASE_DB_URL are
 * injected; TOKEN_ENCRYPTION_KEY (required with a database by the shared configuration) is a secret.
 */
import { createFunction } from './bundle.js';

const app = await createFunction(Deno.env.toObject());

Deno.serve(app.fetch);
