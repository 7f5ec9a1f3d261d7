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
import type { RedisClient } from '../queue/redis-options.ts';
import type { Sql } from 'postgres';
import type { Config } from '../config/load-config.ts';
import { AppError } from '../domain/error-codes.ts';
import type { DeliveryQueue } from '../notify/delivery-queue.ts';
import type { StatusEventHandler } from '../notify/status-event-handler.ts';
import type { Logger } from '../observability/logger.ts';
import type { PublisherRegistry } from '../platforms/registry.ts';
import type { TokenProvider } from '../platforms/token-provider.ts';
import type { BullPostScheduler } from '../queue/bull-post-scheduler.ts';
import type { NotificationStore } from '../store/notification-store.ts';
import type { PostStore } from '../store/post-store.ts';

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
   * The fetch the platform adapters use; media downloads and webhook deliveries connect through
   * src/net/guarded-fetch.ts instead. (Default: global fetch) The Deno worker passes one without
   * connection reuse (deno-worker.ts).
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
  publishers(): Promise<PublisherRegistry>;
  /** The token provider; its refreshes hold a per-account Redis lock across processes. */
  tokens(): Promise<TokenProvider>;
  /** A shared Redis connection: `producer` fails fast (requests), `worker` keeps retrying. */
  redis(kind: ProducerConnection): Promise<RedisClient>;
  /** The BullMQ producer of post jobs, on the `producer` connection. */
  postScheduler(): Promise<BullPostScheduler>;
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
  const opened = (name: string, close: () => Promise<void>) => {
    // A part whose build was under way when close() ran is closed as soon as it is open.
    if (closed) void close().catch((err) => logger.error({ err, part: name }, 'closing a service failed'));
    else closers.push({ name, close });
  };
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

  // Each part's code is imported when the part is first built, not with this module: an Edge Function
  // loads only what it uses (the webhook function never loads the platform adapters, BullMQ's post
  // producer or the posts store), which keeps its cold start to its own code.
  const pool = once(async (): Promise<Sql> => {
    if (!config.databaseUrl) {
      throw new AppError('config_invalid', 'DATABASE_URL is required when USE_MOCK_DB=false');
    }
    const { connectPostgres, postgresOptions } = await import('../store/connect-postgres.ts');
    const sql = connectPostgres(config.databaseUrl, postgresOptions(config));
    opened('postgres pool', () => sql.end({ timeout: 5 }));
    return sql;
  });

  const postStore = once(async (): Promise<PostStore> => {
    if (options.postStore) return options.postStore;
    const { createPostStore } = await import('../store/create-store.ts');
    const store = await createPostStore(config, logger, config.useMockDb ? {} : { sql: await pool() });
    if (config.useMockDb && options.memoryStatusFeed) {
      const { withStatusFeed } = await import('./memory-status-feed.ts');
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

  const notificationStore = once(async (): Promise<NotificationStore> => {
    const { createNotificationStore } = await import('../store/create-notification-store.ts');
    const store = await createNotificationStore(config, {
      sql: pool,
      // Read lazily: the notifications functions need no PostStore until a post is looked up.
      posts: { getPost: async (id) => (await postStore()).getPost(id) },
    });
    opened('notification store', () => store.close());
    return store;
  });

  const publishers = once(async (): Promise<PublisherRegistry> => {
    if (options.createPublishers) return options.createPublishers(config);
    const { createPublishers } = await import('../platforms/registry.ts');
    return createPublishers(config, options.fetch ? { fetch: options.fetch } : {});
  });

  /** The ioredis client module, loaded on the first connection. */
  const redisModule = once(() => import('../queue/redis-options.ts'));

  const redis = keyed(async (kind): Promise<RedisClient> => {
    const { closeRedisConnection, createRedisConnection } = await redisModule();
    const connection = kind === 'producer'
      ? createRedisConnection(config.redis, 'producer', options.name ?? 'solospark-api')
      : createRedisConnection(config.redis, 'worker', 'solospark-notify-relay');
    // Errors surface through the awaited calls; without a listener an 'error' event would crash.
    connection.on('error', () => {});
    opened(`redis ${kind}`, () => closeRedisConnection(connection));
    return connection;
  });

  const refreshLock = once(async () => {
    const [{ closeRedisConnection, createRedisConnection }, { createRedisRefreshLock }, { bullPrefix }] =
      await Promise.all([
        redisModule(),
        import('../queue/refresh-lock.ts'),
        import('../queue/queue-names.ts'),
      ]);
    // One account's refresh at a time across all workers: rotating refresh tokens are spent by use.
    const connection = createRedisConnection(config.redis, 'worker', 'solospark-token-refresh-lock');
    connection.on('error', (err) => logger.warn({ err: err.message }, 'token refresh lock: redis error'));
    opened('redis refresh lock', () => closeRedisConnection(connection));
    return createRedisRefreshLock({ redis: connection, prefix: bullPrefix(config.queuePrefix) });
  });

  const tokens = once(async (): Promise<TokenProvider> => {
    const { createTokenProvider } = await import('../platforms/token-provider.ts');
    return createTokenProvider({
      store: await postStore(),
      publishers: await publishers(),
      refreshLock: await refreshLock(),
    });
  });

  const postScheduler = once(async (): Promise<BullPostScheduler> => {
    const { createBullPostScheduler } = await import('../queue/bull-post-scheduler.ts');
    const scheduler = createBullPostScheduler({
      connection: await redis('producer'),
      queuePrefix: config.queuePrefix,
    });
    opened('post scheduler', () => scheduler.close().catch(() => {}));
    return scheduler;
  });

  const deliveryQueue = keyed((kind): DeliveryQueue => {
    // Connected on the first enqueue: a function that only receives ignored events never dials Redis.
    const open = once(async (): Promise<DeliveryQueue> => {
      const { createDeliveryQueue } = await import('../notify/delivery-queue.ts');
      const queue = createDeliveryQueue({
        connection: await redis(kind),
        queuePrefix: config.queuePrefix,
        attempts: config.notify.deliveryAttempts,
        backoffMs: config.notify.deliveryBackoffMs,
      });
      opened(`delivery queue (${kind})`, () => queue.close().catch(() => {}));
      return queue;
    });
    return {
      enqueueAll: async (jobs) => (await open()).enqueueAll(jobs),
      close: async () => {}, // closed by close(), with its connection
    };
  });

  const statusEvents = keyed(async (kind): Promise<StatusEventHandler> => {
    const { createStatusEventHandler } = await import('../notify/status-event-handler.ts');
    return createStatusEventHandler({
      store: await notificationStore(),
      deliveries: deliveryQueue(kind),
      logger: logger.child({ component: kind === 'producer' ? 'post-status-webhook' : 'notifications' }),
      appUrl: config.notify.appUrl,
    });
  });

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
