/**
 * The composition root: everything a running surface (the HTTP API, each Edge Function, the worker,
 * the dev stack) is made of, built from configuration in one place, once, and only when a surface
 * asks for it — the notifications functions never open Redis, the webhook function never reads
 * tokens. Each part is built on its first use and then shared:
 *
 * - one Postgres pool (DATABASE_URL) under the PostStore and the NotificationStore, or the in-memory
 *   stores (USE_MOCK_DB), where the notification store reads posts from the memory PostStore;
 * - Redis connections: the fail-fast `producer` of request-serving surfaces, the retrying `worker`
 *   connection of background queues (the relay's deliveries), and the token refresh lock's;
 * - the platform publishers and the token provider (with the refresh lock);
 * - the notification pipeline: the endpoint delivery queue and the status-event handler.
 *
 * `close()` closes what was opened, last opened first (queues before their connection, stores
 * before their pool). Running loops (the worker, the notification workers) are the surface's to
 * stop first.
 */
import type { Redis } from 'ioredis';
import type { Sql } from 'postgres';
import type { Config } from '../config/load-config.ts';
import { AppError } from '../domain/error-codes.ts';
import { createDeliveryQueue } from '../notify/delivery-queue.ts';
import type { DeliveryQueue } from '../notify/delivery-queue.ts';
import { createStatusEventHandler } from '../notify/status-event-handler.ts';
import type { StatusEventHandler } from '../notify/status-event-handler.ts';
import type { Logger } from '../observability/logger.ts';
import { createPublishers } from '../platforms/registry.ts';
import type { PublisherRegistry } from '../platforms/registry.ts';
import { createTokenProvider } from '../platforms/token-provider.ts';
import type { TokenProvider } from '../platforms/token-provider.ts';
import { createBullPostScheduler } from '../queue/bull-post-scheduler.ts';
import type { BullPostScheduler } from '../queue/bull-post-scheduler.ts';
import { bullPrefix } from '../queue/queue-names.ts';
import { createRedisRefreshLock } from '../queue/refresh-lock.ts';
import { closeRedisConnection, createRedisConnection } from '../queue/redis-options.ts';
import { connectPostgres } from '../store/connect-postgres.ts';
import { createPostStore } from '../store/create-store.ts';
import { createMemoryNotificationStore } from '../store/memory-notification-store.ts';
import type { NotificationStore } from '../store/notification-store.ts';
import { createPostgresNotificationStore } from '../store/postgres-notification-store.ts';
import type { PostStore } from '../store/post-store.ts';
import { withStatusFeed } from './memory-status-feed.ts';

/** Which Redis connection a queue producer runs on. */
export type ProducerConnection = 'producer' | 'worker';

export interface ServicesOptions {
  logger: Logger;
  /**
   * The connection name of the fail-fast producer, as CLIENT LIST shows it. (Default:
   * 'solospark-api')
   */
  name?: string;
  /**
   * The fetch platform adapters and webhook deliveries use. (Default: global fetch) The Deno worker
   * passes one without connection reuse (deno-worker.ts).
   */
  fetch?: typeof fetch;
  /** Builds the platform publishers. (Default: createPublishers(config), the real adapters) */
  createPublishers?: (config: Config) => PublisherRegistry;
  /**
   * A PostStore to use instead of opening one (tests sharing a store between surfaces). The caller
   * owns it: `close()` leaves it open.
   */
  postStore?: PostStore;
  /**
   * With the in-memory store: stand in for the database's status trigger, so status changes become
   * notifications (memory-status-feed.ts). The dev stack turns it on. (Default: false)
   */
  memoryStatusFeed?: boolean;
}

export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly fetch: typeof fetch | undefined;
  postStore(): Promise<PostStore>;
  notificationStore(): Promise<NotificationStore>;
  publishers(): PublisherRegistry;
  /** The token provider; its refreshes hold a per-account Redis lock across processes. */
  tokens(): Promise<TokenProvider>;
  /** A shared Redis connection: `producer` fails fast (requests), `worker` keeps retrying. */
  redis(kind: ProducerConnection): Redis;
  /** The BullMQ producer of post jobs, on the `producer` connection. */
  postScheduler(): BullPostScheduler;
  /** Endpoint deliveries; the connection opens on the first enqueue. */
  deliveryQueue(connection: ProducerConnection): DeliveryQueue;
  /** Stores a status event's notification and queues its deliveries. */
  statusEvents(connection: ProducerConnection): Promise<StatusEventHandler>;
  /** Closes what was opened, last first. Idempotent. */
  close(): Promise<void>;
}

export function createServices(config: Config, options: ServicesOptions): Services {
  const { logger } = options;
  /** Closers in opening order; close() runs them backwards. */
  const closers: { name: string; close: () => Promise<void> }[] = [];
  const opened = (name: string, close: () => Promise<void>) => void closers.push({ name, close });
  /** What must finish while everything is still open (the memory status feed's pending events). */
  const drains: (() => Promise<void>)[] = [];
  let closing: Promise<void> | null = null;
  let closed = false;

  const once = <T>(build: () => T): () => T => {
    let built: { value: T } | null = null;
    return () => {
      if (closed) throw new Error('the services are closed');
      built ??= { value: build() };
      return built.value;
    };
  };
  const keyed = <T>(build: (kind: ProducerConnection) => T) => {
    const byKind = { producer: once(() => build('producer')), worker: once(() => build('worker')) };
    return (kind: ProducerConnection) => byKind[kind]();
  };

  const pool = once((): Sql => {
    if (!config.databaseUrl) {
      throw new AppError('config_invalid', 'DATABASE_URL is required when USE_MOCK_DB=false');
    }
    const sql = connectPostgres(config.databaseUrl);
    opened('postgres pool', () => sql.end({ timeout: 5 }));
    return sql;
  });

  const postStore = once(async (): Promise<PostStore> => {
    if (options.postStore) return options.postStore;
    const store = await createPostStore(config, logger, config.useMockDb ? {} : { sql: pool() });
    if (config.useMockDb && options.memoryStatusFeed) {
      const fed = withStatusFeed(
        store,
        async (payload) => (await statusEvents('worker'))(payload),
        logger.child({ component: 'status-feed' }),
      );
      drains.push(() => fed.drain());
      opened('post store', () => fed.close());
      return fed;
    }
    opened('post store', () => store.close());
    return store;
  });

  const notificationStore = once((): Promise<NotificationStore> => {
    const store = config.useMockDb
      // Read lazily: the notifications functions need no PostStore until a post is looked up.
      ? createMemoryNotificationStore({ posts: { getPost: async (id) => (await postStore()).getPost(id) } })
      : createPostgresNotificationStore({ sql: pool(), ownsConnection: false });
    opened('notification store', () => store.close());
    return Promise.resolve(store);
  });

  const publishers = once(() =>
    options.createPublishers?.(config) ??
      createPublishers(config, options.fetch ? { fetch: options.fetch } : {})
  );

  const redis = keyed((kind) => {
    const connection = kind === 'producer'
      ? createRedisConnection(config.redisUrl, 'producer', options.name ?? 'solospark-api')
      : createRedisConnection(config.redisUrl, 'worker', 'solospark-notify-relay');
    // Errors surface through the awaited calls; without a listener an 'error' event would crash.
    connection.on('error', () => {});
    opened(`redis ${kind}`, () => closeRedisConnection(connection));
    return connection;
  });

  const refreshLock = once(() => {
    // One account's refresh at a time across all workers: rotating refresh tokens are spent by use.
    const connection = createRedisConnection(config.redisUrl, 'worker', 'solospark-token-refresh-lock');
    connection.on('error', (err) => logger.warn({ err: err.message }, 'token refresh lock: redis error'));
    opened('redis refresh lock', () => closeRedisConnection(connection));
    return createRedisRefreshLock({ redis: connection, prefix: bullPrefix(config.queuePrefix) });
  });

  const tokens = once(async () =>
    createTokenProvider({ store: await postStore(), publishers: publishers(), refreshLock: refreshLock() })
  );

  const postScheduler = once(() => {
    const scheduler = createBullPostScheduler({
      connection: redis('producer'),
      queuePrefix: config.queuePrefix,
    });
    opened('post scheduler', () => scheduler.close().catch(() => {}));
    return scheduler;
  });

  const deliveryQueue = keyed((kind): DeliveryQueue => {
    let queue: DeliveryQueue | null = null;
    // Connected on the first enqueue: a function that only receives ignored events never dials Redis.
    const open = () => {
      if (!queue) {
        const opening = createDeliveryQueue({
          connection: redis(kind),
          queuePrefix: config.queuePrefix,
          attempts: config.notify.deliveryAttempts,
          backoffMs: config.notify.deliveryBackoffMs,
        });
        opened(`delivery queue (${kind})`, () => opening.close().catch(() => {}));
        queue = opening;
      }
      return queue;
    };
    return {
      enqueue: (job) => open().enqueue(job),
      close: async () => {}, // closed by close(), with its connection
    };
  });

  const statusEvents = keyed(async (kind) =>
    createStatusEventHandler({
      store: await notificationStore(),
      deliveries: deliveryQueue(kind),
      logger: logger.child({ component: kind === 'producer' ? 'post-status-webhook' : 'notifications' }),
      appUrl: config.notify.appUrl,
    })
  );

  return {
    config,
    logger,
    fetch: options.fetch,
    postStore,
    notificationStore,
    publishers,
    tokens,
    redis,
    postScheduler,
    deliveryQueue,
    statusEvents,
    close() {
      closing ??= (async () => {
        for (const drain of drains) await drain().catch(() => {});
        closed = true;
        const errors: unknown[] = [];
        for (const { name, close } of closers.splice(0).reverse()) {
          await close().catch((err) => {
            logger.error({ err, part: name }, 'closing a service failed');
            errors.push(err);
          });
        }
        if (errors.length > 0) throw new AggregateError(errors, 'the services did not close cleanly');
      })();
      return closing;
    },
  };
}
