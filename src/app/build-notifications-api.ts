/**
 * The notification routes alone (GET /notifications, POST /notifications/:id/read and the
 * /notification-endpoints CRUD with its signed test event) for the `notifications` and
 * `notification-endpoints` Edge Functions. The gateway routes `/functions/v1/<name>/*` to the function
 * `<name>`, so each of the two path prefixes needs a function of its own name; both serve this app.
 *
 * It takes the notification store and a way to verify user tokens, not Redis: nothing here is queued
 * (test events are sent at once). ApiDeps asks for a PostStore, but no route of this app uses one, so
 * it gets a stand-in that refuses (and no PostStore is built).
 */
import { createApp } from '../api/create-app.ts';
import type { PostStore } from '../store/post-store.ts';
import type { Services } from './create-services.ts';
import { notificationApiDeps } from './notification-api-deps.ts';
import { createNoPostScheduler, createUserAuth } from './user-auth.ts';

export interface BuiltNotificationsApi {
  fetch(request: Request): Response | Promise<Response>;
}

/** Throws ConfigError when no way to verify user tokens is configured. */
export async function buildNotificationsApi(services: Services): Promise<BuiltNotificationsApi> {
  const { config, logger } = services;
  const surface = 'the notifications functions';
  const auth = createUserAuth(config, surface);
  const app = createApp(
    {
      store: noPostStore(surface),
      postScheduler: createNoPostScheduler(surface),
      auth,
      logger: logger.child({ component: 'api' }),
      validateContent: () => [],
      notifications: await notificationApiDeps(services),
    },
    {
      routes: ['notifications'],
      corsOrigins: config.api.corsOrigins,
      bodyLimitBytes: config.api.bodyLimitBytes,
    },
  );
  return { fetch: (request) => app.fetch(request) };
}

/** For apps that serve no post or account routes: every call is a bug. */
function noPostStore(surface: string): PostStore {
  return new Proxy({} as PostStore, {
    get: (_, property) => () =>
      Promise.reject(new Error(`${surface} has no post store (${String(property)})`)),
  });
}
