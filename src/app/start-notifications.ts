/**
 * What the worker process runs for notifications, from the services:
 * - NOTIFY_DELIVERY=true (default): the endpoint delivery worker (notification-delivery.ts);
 * - NOTIFY_RELAY=true: the pg_notify relay (notify-relay.ts) feeding the status-event handler, for
 *   databases without pg_net. It LISTENs on DIRECT_URL (DATABASE_URL when unset) on a connection of
 *   its own: LISTEN needs a session, which a transaction pooler (the usual DATABASE_URL) does not keep.
 * Returns `{ close() }`; with both off it starts nothing. Close it before the services.
 */
import postgres from 'postgres';
import { startNotificationDelivery } from '../notify/notification-delivery.ts';
import { startNotifyRelay } from '../notify/notify-relay.ts';
import type { WorkerMetrics } from '../observability/metrics.ts';
import { sealBlockingClients } from '../queue/redis-blocking-guard.ts';
import { redisTargetUrl } from '../queue/redis-target.ts';
import type { Services } from './create-services.ts';

export interface NotificationServices {
  close(): Promise<void>;
}

export async function startNotifications(
  services: Services,
  options: { metrics?: Pick<WorkerMetrics, 'notificationDelivery'> } = {},
): Promise<NotificationServices> {
  const { config, logger } = services;
  const { notify } = config;
  const log = logger.child({ component: 'notifications' });
  if (!notify.delivery && !notify.relay) return { close: async () => {} };
  const stops: (() => Promise<void>)[] = [];
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      // Last started, first stopped: the relay stops feeding before the queues close.
      for (const stop of [...stops].reverse()) {
        await stop().catch((err) => log.error({ err }, 'closing a notification service failed'));
      }
    })();
    return closing;
  };
  try {
    if (notify.delivery) {
      const delivery = await startNotificationDelivery({
        // A cluster too (REDIS_CLUSTER_NODES), in the string form the delivery worker takes.
        redisUrl: redisTargetUrl(config.redis),
        queuePrefix: config.queuePrefix,
        store: await services.notificationStore(),
        logger,
        timeoutMs: notify.deliveryTimeoutMs,
        allowPrivateHosts: notify.allowPrivateHosts,
        ...(options.metrics ? { metrics: options.metrics } : {}),
      });
      // On a Redis Cluster its close needs the blocking-client guard sealed first (redis-blocking-guard.ts).
      delivery.worker.once('closing', () => sealBlockingClients(delivery.worker.opts.connection));
      stops.push(() => delivery.close());
    }
    if (notify.relay) {
      const url = config.directUrl ?? config.databaseUrl;
      if (config.useMockDb || !url) {
        log.warn('NOTIFY_RELAY=true needs a real database (DATABASE_URL or DIRECT_URL); relay not started');
      } else {
        const sql = postgres(url, {
          max: 1,
          onnotice: () => {},
          connection: { application_name: 'solospark-relay' },
        });
        stops.push(() => sql.end({ timeout: 5 }));
        const handle = await services.statusEvents('worker');
        const relay = await startNotifyRelay({ sql, handle, logger });
        stops.push(() => relay.close());
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { close };
}
