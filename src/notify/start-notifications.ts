/**
 * What the worker process runs for notifications, from configuration:
 * - NOTIFY_DELIVERY=true (default): the endpoint delivery worker (notification-delivery.ts);
 * - NOTIFY_RELAY=true: the pg_notify relay (notify-relay.ts) feeding the status-event handler, for
 *   databases without pg_net. It LISTENs on DIRECT_URL (DATABASE_URL when unset).
 * Returns `{ close() }`; with both off it starts nothing. Wire it in the worker entry:
 *
 *   const notifications = await startNotifications(config, { logger, posts: store });
 *   … on shutdown: await notifications.close();   (before closing the store)
 */
import postgres from 'postgres';
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../observability/logger.ts';
import { closeRedisConnection, createRedisConnection } from '../queue/redis-options.ts';
import type { PostStore } from '../store/post-store.ts';
import { createNotificationStore } from './create-notification-store.ts';
import { createDeliveryQueue } from './delivery-queue.ts';
import { startNotificationDelivery } from './notification-delivery.ts';
import type { NotificationStore } from './notification-store.ts';
import { startNotifyRelay } from './notify-relay.ts';
import { createStatusEventHandler } from './status-event-handler.ts';

export interface NotificationServices {
  close(): Promise<void>;
}

export interface StartNotificationsDeps {
  logger: Logger;
  /** The in-memory PostStore, so the memory notification store can read posts. (Default: none) */
  posts?: Pick<PostStore, 'getPost'>;
  /** A store to use instead of one built from config (tests). Not closed by `close()`. */
  store?: NotificationStore;
  /** (Default: global fetch) */
  fetch?: typeof fetch;
}

export async function startNotifications(
  config: Config,
  deps: StartNotificationsDeps,
): Promise<NotificationServices> {
  const { notify } = config;
  const log = deps.logger.child({ component: 'notifications' });
  if (!notify.delivery && !notify.relay) return { close: async () => {} };
  const store = deps.store ?? createNotificationStore(config, deps.posts ? { posts: deps.posts } : {});
  const stops: (() => Promise<void>)[] = [];
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      // Last started, first stopped: the relay stops feeding before the queues close.
      for (const stop of [...stops].reverse()) {
        await stop().catch((err) => log.error({ err }, 'closing a notification service failed'));
      }
      if (!deps.store) await store.close();
    })();
    return closing;
  };
  try {
    if (notify.delivery) {
      const delivery = await startNotificationDelivery({
        redisUrl: config.redisUrl,
        queuePrefix: config.queuePrefix,
        store,
        logger: deps.logger,
        timeoutMs: notify.deliveryTimeoutMs,
        allowPrivateHosts: notify.allowPrivateHosts,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      });
      stops.push(() => delivery.close());
    }
    if (notify.relay) {
      const url = config.directUrl ?? config.databaseUrl;
      if (config.useMockDb || !url) {
        log.warn('NOTIFY_RELAY=true needs a real database (DATABASE_URL or DIRECT_URL); relay not started');
      } else {
        const connection = createRedisConnection(config.redisUrl, 'worker', 'solospark-notify-relay');
        connection.on('error', () => {});
        const deliveries = createDeliveryQueue({
          connection,
          queuePrefix: config.queuePrefix,
          attempts: notify.deliveryAttempts,
          backoffMs: notify.deliveryBackoffMs,
        });
        stops.push(async () => {
          await deliveries.close();
          await closeRedisConnection(connection);
        });
        const sql = postgres(url, {
          max: 1,
          onnotice: () => {},
          connection: { application_name: 'solospark-relay' },
        });
        stops.push(() => sql.end({ timeout: 5 }));
        const handle = createStatusEventHandler({ store, deliveries, logger: log, appUrl: notify.appUrl });
        const relay = await startNotifyRelay({ sql, handle, logger: deps.logger });
        stops.push(() => relay.close());
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { close };
}
