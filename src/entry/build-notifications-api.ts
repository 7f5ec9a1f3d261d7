/**
 * Wires the notification routes alone (GET /notifications, POST /notifications/:id/read and the
 * /notification-endpoints CRUD with its signed test event) for the `notifications` and
 * `notification-endpoints` Edge Functions. The gateway routes `/functions/v1/<name>/*` to the function
 * `<name>`, so each of the two path prefixes needs a function of its own name; both serve this app.
 *
 * It needs the database and a way to verify user tokens, not Redis: nothing here is queued (test
 * events are sent at once). The PostStore that ApiDeps asks for serves no route of this app; a
 * postgres.js pool connects on first use, so it never opens a connection.
 */
import { createApp } from '../api/create-app.ts';
import type { Config } from '../config/load-config.ts';
import { createNotificationStore } from '../notify/create-notification-store.ts';
import type { Logger } from '../observability/logger.ts';
import { createPostStore } from '../store/create-store.ts';
import { createNoQueue, createUserAuth } from './user-auth.ts';

export interface BuiltNotificationsApi {
  fetch(request: Request): Response | Promise<Response>;
  close(): Promise<void>;
}

/** Throws ConfigError when no way to verify user tokens is configured. */
export async function buildNotificationsApi(config: Config, logger: Logger): Promise<BuiltNotificationsApi> {
  const auth = createUserAuth(config, 'the notifications functions');
  const store = await createPostStore(config, logger);
  const notificationStore = createNotificationStore(config);
  const app = createApp(
    {
      store,
      queue: createNoQueue('the notifications functions'),
      auth,
      logger: logger.child({ component: 'api' }),
      validateContent: () => [],
      notifications: {
        store: notificationStore,
        allowPrivateHosts: config.notify.allowPrivateHosts,
        timeoutMs: config.notify.deliveryTimeoutMs,
      },
    },
    {
      routes: ['notifications'],
      corsOrigins: config.api.corsOrigins,
      bodyLimitBytes: config.api.bodyLimitBytes,
    },
  );
  return {
    fetch: (request) => app.fetch(request),
    async close() {
      await notificationStore.close();
      await store.close();
    },
  };
}
