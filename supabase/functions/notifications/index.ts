/**
 * Supabase Edge Function `notifications`: the signed-in creator's notifications — GET /notifications
 * (newest first, `?unread=true`) and POST /notifications/:id/read. Thin on purpose — everything it runs
 * is in ../_shared/bundle/notifications.js (and the chunks that file imports), built from
 * src/entry/functions/notifications.ts by `npm run build:functions`.
 *
 * Configuration is the function's environment: SUPABASE_URL, SUPABASE_JWKS and SUPABASE_DB_URL are
 * injected; TOKEN_ENCRYPTION_KEY (required with a database by the shared configuration) is a secret.
 */
import { createFunction } from '../_shared/bundle/notifications.js';

const app = await createFunction(Deno.env.toObject());

Deno.serve(app.fetch);
