/**
 * Supabase Edge Function `post-status-webhook` (verify_jwt = false): the receiver of the database
 * webhook on post and target status changes. Thin on purpose — everything it runs is in
 * ../_shared/bundle/post-status-webhook.js (and the chunks that file imports), built from
 * src/entry/functions/post-status-webhook.ts (src/notify) by `npm run build:functions`.
 *
 * Secrets: WEBHOOK_SECRET (the same value as the Vault secret post_status_webhook_secret), REDIS_URL
 * and TOKEN_ENCRYPTION_KEY; SUPABASE_DB_URL is injected.
 */
import { createFunction } from '../_shared/bundle/post-status-webhook.js';

const app = await createFunction(Deno.env.toObject());

Deno.serve(app.fetch);
