/**
 * The HTTP API from the services: the store, the fail-fast BullMQ producer, the platform content
 * rules, notifications and the Supabase JWT verifier. Served by node-api.ts, deno-api.ts and the
 * `posts` Edge Function; it answers both at the root (`/posts…`) and under `/functions/v1/…`, the
 * path the Supabase gateway uses, so the same client works against a local server and a deployed
 * project.
 */
import { rulesFromPublishers, validatorFromPublishers } from '../api/content-validator.ts';
import { createApp } from '../api/create-app.ts';
import { healthResponse } from '../api/health-response.ts';
import type { PostScheduler } from '../api/post-scheduler.ts';
import type { RedisClient } from '../queue/redis-options.ts';
import type { Services } from './create-services.ts';
import { notificationApiDeps } from './notification-api-deps.ts';
import { createUserAuth } from './user-auth.ts';

/** How long a queue change may wait for Redis before the request goes on without it. */
export const ENQUEUE_TIMEOUT_MS = 2000;

/** The prefix the Supabase gateway puts before a function's name. */
export const GATEWAY_BASE_PATH = '/functions/v1';
const GATEWAY_HEALTH_PATH = /^\/functions\/v1\/[a-z0-9_-]+\/health$/;

export interface BuiltApi {
  fetch(request: Request): Response | Promise<Response>;
}

/** Throws ConfigError when no way to verify user tokens is configured. The services are the caller's to close. */
export async function buildApi(services: Services): Promise<BuiltApi> {
  const { config, logger } = services;
  const auth = createUserAuth(config, 'the API');
  const store = await services.postStore();
  const connection = await services.redis('producer');
  const bullPostScheduler = await services.postScheduler();
  // BullMQ waits for a connection that is not ready (it never gives up), so a request would hang
  // through a Redis outage: give Redis ENQUEUE_TIMEOUT_MS, then answer `queued: false`.
  const bounded = <T>(run: () => Promise<T>) => withinDeadline(connection, run, ENQUEUE_TIMEOUT_MS);
  const postScheduler: PostScheduler = {
    schedule: (post) => bounded(() => bullPostScheduler.schedule(post)),
    reschedule: (post) => bounded(() => bullPostScheduler.reschedule(post)),
    cancel: (post) => bounded(() => bullPostScheduler.cancel(post)),
    async ping() {
      await connection.ping();
    },
  };
  const publishers = await services.publishers();
  const deps = {
    store,
    postScheduler,
    auth,
    logger: logger.child({ component: 'api' }),
    validateContent: validatorFromPublishers(publishers),
    contentRules: rulesFromPublishers(publishers),
    oauth: { publishers, appReturnUrl: config.platforms.oauth.appReturnUrl },
    notifications: await notificationApiDeps(services),
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
  };
}

/**
 * Runs `run` once Redis is ready, all within `ms`; rejects otherwise. When Redis is not ready, `run`
 * is not called at all, so no BullMQ call is left pending through an outage.
 */
async function withinDeadline<T>(connection: RedisClient, run: () => Promise<T>, ms: number): Promise<T> {
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
