/**
 * Wires the HTTP API from configuration: the store, a fail-fast BullMQ producer, the platform content
 * rules and the Supabase JWT verifier. Shared by node-api.ts, deno-api.ts (and the Edge Function
 * entry); it answers both at the root (`/posts…`) and under `/functions/v1/…`, the path the Supabase
 * gateway uses, so the same client works against a local server and a deployed project.
 */
import { validatorFromPublishers } from '../api/content-validator.ts';
import { createApp } from '../api/create-app.ts';
import type { PostQueue } from '../api/post-queue.ts';
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../observability/logger.ts';
import { createPublishers } from '../platforms/registry.ts';
import { createPublishQueue } from '../queue/publish-queue.ts';
import { closeRedisConnection, createRedisConnection } from '../queue/redis-options.ts';
import type { Redis } from 'ioredis';
import { createPostStore } from '../store/create-store.ts';
import { createNotificationStore } from '../notify/create-notification-store.ts';
import type { PostStore } from '../store/post-store.ts';
import { healthResponse } from './edge-function.ts';
import { createUserAuth } from './user-auth.ts';

/** How long a queue change may wait for Redis before the request goes on without it. */
export const ENQUEUE_TIMEOUT_MS = 2000;

/** The prefix the Supabase gateway puts before a function's name. */
export const GATEWAY_BASE_PATH = '/functions/v1';
const GATEWAY_HEALTH_PATH = /^\/functions\/v1\/[a-z0-9_-]+\/health$/;

export interface BuiltApi {
  fetch(request: Request): Response | Promise<Response>;
  close(): Promise<void>;
}

export interface BuildApiOptions {
  /**
   * Use this store instead of opening one from the config (the dev stack shares its in-memory store
   * with the worker). The caller owns it: `close()` leaves it open.
   */
  store?: PostStore;
}

/** Throws ConfigError when no way to verify user tokens is configured. */
export async function buildApi(
  config: Config,
  logger: Logger,
  options: BuildApiOptions = {},
): Promise<BuiltApi> {
  const auth = createUserAuth(config, 'the API');
  const store = options.store ?? await createPostStore(config, logger);
  const connection = createRedisConnection(config.redisUrl, 'producer', 'solospark-api');
  // Errors surface through the awaited calls (queued: false); without a listener they would crash.
  connection.on('error', () => {});
  const publishQueue = createPublishQueue({ connection, queuePrefix: config.queuePrefix });
  // BullMQ waits for a connection that is not ready (it never gives up), so a request would hang
  // through a Redis outage: give Redis ENQUEUE_TIMEOUT_MS, then answer `queued: false`.
  const bounded = <T>(run: () => Promise<T>) => withinDeadline(connection, run, ENQUEUE_TIMEOUT_MS);
  const queue: PostQueue = {
    schedule: (post) => bounded(() => publishQueue.schedule(post)),
    reschedule: (post) => bounded(() => publishQueue.reschedule(post)),
    cancel: (post) => bounded(() => publishQueue.cancel(post)),
    async ping() {
      await connection.ping();
    },
  };
  const publishers = createPublishers(config);
  const notificationStore = createNotificationStore(config, { posts: store });
  const deps = {
    store,
    queue,
    auth,
    logger: logger.child({ component: 'api' }),
    validateContent: validatorFromPublishers(publishers),
    oauth: { publishers, redirectBaseUrl: config.platforms.oauth.redirectBaseUrl },
    notifications: {
      store: notificationStore,
      allowPrivateHosts: config.notify.allowPrivateHosts,
      timeoutMs: config.notify.deliveryTimeoutMs,
    },
  };
  const appOptions = { corsOrigins: config.api.corsOrigins, bodyLimitBytes: config.api.bodyLimitBytes };
  const app = createApp(deps, appOptions);
  const gateway = createApp(deps, { ...appOptions, basePath: GATEWAY_BASE_PATH });
  return {
    fetch(request) {
      const { pathname } = new URL(request.url);
      const viaGateway = pathname === GATEWAY_BASE_PATH || pathname.startsWith(`${GATEWAY_BASE_PATH}/`);
      // Like every Edge Function (edge-function.ts): /functions/v1/<function>/health is liveness.
      if (viaGateway && request.method === 'GET' && GATEWAY_HEALTH_PATH.test(pathname)) {
        return healthResponse();
      }
      return viaGateway ? gateway.fetch(request) : app.fetch(request);
    },
    async close() {
      await publishQueue.close().catch(() => {});
      await closeRedisConnection(connection);
      await notificationStore.close();
      if (!options.store) await store.close();
    },
  };
}

/**
 * Runs `run` once Redis is ready, all within `ms`; rejects otherwise. When Redis is not ready, `run`
 * is not called at all, so no BullMQ call is left pending through an outage.
 */
async function withinDeadline<T>(connection: Redis, run: () => Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onReady: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  try {
    if (connection.status !== 'ready') {
      await Promise.race([
        new Promise<void>((resolve) => connection.once('ready', onReady = resolve)),
        expired,
      ]);
    }
    return await Promise.race([run(), expired]);
  } finally {
    clearTimeout(timer);
    if (onReady) connection.off('ready', onReady);
  }
}
