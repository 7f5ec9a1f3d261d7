/**
 * The `post-status-webhook` function from the services: the status-event handler (the notification
 * store, and a fail-fast BullMQ producer for endpoint deliveries, connected on first use) behind the
 * Hono app that checks WEBHOOK_SECRET. The Edge Function entry only adds Deno.serve.
 */
import { ConfigError } from '../config/load-config.ts';
import { createNotifyApp } from '../notify/notify-app.ts';
import type { StatusEventHandler } from '../notify/status-event-handler.ts';
import type { Services } from './create-services.ts';

/** The path the Supabase gateway passes to the function. */
export const NOTIFY_FUNCTION_PATH = '/post-status-webhook';

export interface BuiltNotifyFunction {
  fetch(request: Request): Response | Promise<Response>;
  handle: StatusEventHandler;
}

/** Throws ConfigError without WEBHOOK_SECRET. */
export async function buildNotifyFunction(
  services: Services,
  options: { basePath?: string } = {},
): Promise<BuiltNotifyFunction> {
  const { config } = services;
  const secret = config.notify.webhookSecret;
  if (!secret) {
    throw new ConfigError([
      'WEBHOOK_SECRET is required by the post-status-webhook function: the same value as the Vault secret ' +
      "post_status_webhook_secret (set both, e.g. supabase secrets set WEBHOOK_SECRET=… and select vault.create_secret('…', 'post_status_webhook_secret'))",
    ]);
  }
  const log = services.logger.child({ component: 'post-status-webhook' });
  if (config.useMockDb) {
    log.warn('post-status-webhook runs on the in-memory store: every event is skipped (set DATABASE_URL)');
  }
  const handle = await services.statusEvents('producer');
  const app = createNotifyApp({
    secret,
    handle,
    logger: log,
    basePath: options.basePath ?? NOTIFY_FUNCTION_PATH,
  });
  return { fetch: (request) => app.fetch(request), handle };
}
