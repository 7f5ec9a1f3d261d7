/**
 * Wires the `post-status-webhook` function from configuration: the notification store (DATABASE_URL,
 * or SUPABASE_DB_URL in the Edge Function), a fail-fast BullMQ producer for endpoint deliveries
 * (connected on first use), the handler and the Hono app. The Edge Function entry only adds
 * Deno.serve.
 */
import { ConfigError } from '../config/load-config.ts';
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../observability/logger.ts';
import { closeRedisConnection, createRedisConnection } from '../queue/redis-options.ts';
import type { Redis } from 'ioredis';
import { createNotificationStore } from './create-notification-store.ts';
import { createDeliveryQueue } from './delivery-queue.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import { createNotifyApp } from './notify-app.ts';
import { createStatusEventHandler } from './status-event-handler.ts';
import type { StatusEventHandler } from './status-event-handler.ts';

/** The path the Supabase gateway passes to the function. */
export const NOTIFY_FUNCTION_PATH = '/post-status-webhook';

export interface BuiltNotifyFunction {
  fetch(request: Request): Response | Promise<Response>;
  handle: StatusEventHandler;
  close(): Promise<void>;
}

/** Throws ConfigError without WEBHOOK_SECRET. */
export function buildNotifyFunction(
  config: Config,
  logger: Logger,
  options: { basePath?: string } = {},
): BuiltNotifyFunction {
  const secret = config.notify.webhookSecret;
  if (!secret) {
    throw new ConfigError([
      'WEBHOOK_SECRET is required by the post-status-webhook function: the same value as the Vault secret ' +
      "post_status_webhook_secret (set both, e.g. supabase secrets set WEBHOOK_SECRET=… and select vault.create_secret('…', 'post_status_webhook_secret'))",
    ]);
  }
  const log = logger.child({ component: 'post-status-webhook' });
  const store = createNotificationStore(config);
  if (config.useMockDb) {
    log.warn('post-status-webhook runs on the in-memory store: every event is skipped (set DATABASE_URL)');
  }
  let connection: Redis | null = null;
  let queue: DeliveryQueue | null = null;
  const deliveries: DeliveryQueue = {
    enqueue(job) {
      if (!queue) {
        connection = createRedisConnection(config.redisUrl, 'producer', 'solospark-notify');
        // Errors surface through the awaited enqueue (503); without a listener they would crash.
        connection.on('error', () => {});
        queue = createDeliveryQueue({
          connection,
          queuePrefix: config.queuePrefix,
          attempts: config.notify.deliveryAttempts,
          backoffMs: config.notify.deliveryBackoffMs,
        });
      }
      return queue.enqueue(job);
    },
    async close() {
      await queue?.close().catch(() => {});
      if (connection) await closeRedisConnection(connection);
    },
  };
  const handle = createStatusEventHandler({ store, deliveries, logger: log, appUrl: config.notify.appUrl });
  const app = createNotifyApp({
    secret,
    handle,
    logger: log,
    basePath: options.basePath ?? NOTIFY_FUNCTION_PATH,
  });
  return {
    fetch: (request) => app.fetch(request),
    handle,
    async close() {
      await deliveries.close();
      await store.close();
    },
  };
}
