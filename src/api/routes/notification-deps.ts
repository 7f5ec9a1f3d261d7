/**
 * What the notification routes are built from (given by src/app/notification-api-deps.ts, or by
 * tests): the store, the endpoint URL policy, the test-event sender and the per-creator caps, and
 * the context create-app.ts shares with every route group.
 */
import type { MiddlewareHandler } from 'hono';
import type { TestSendLimit } from '../../domain/test-send-limit.ts';
import type { Logger } from '../../observability/logger.ts';
import type { NotificationStore } from '../../store/notification-store.ts';
import type { AppEnv } from '../app-env.ts';
import type { TestEventSender } from '../test-event-sender.ts';

export interface NotificationApiDeps {
  store: NotificationStore;
  /** NOTIFY_ALLOW_PRIVATE_HOSTS: http and private hosts allowed (development). */
  allowPrivateHosts: boolean;
  /** NOTIFY_DELIVERY_TIMEOUT_MS, for test events. */
  timeoutMs: number;
  /** (Default: node:dns lookup) */
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** Sends the test event (src/notify/send-test-event.ts, injected by src/app/). */
  sendTestEvent: TestEventSender;
  limits: NotificationLimits;
}

/** Per-creator caps (src/config: NOTIFY_MAX_ENDPOINTS_PER_USER, NOTIFY_TEST_SEND_*, NOTIFY_SECRET_ROTATION_WINDOW_MS). */
export interface NotificationLimits {
  maxEndpointsPerUser: number;
  testSends: TestSendLimit;
  /** How long the replaced secret keeps signing after a rotation; 0 = not at all. */
  secretRotationWindowMs: number;
}

export interface NotificationRouteContext {
  auth: MiddlewareHandler<AppEnv>;
  bodyLimit: MiddlewareHandler<AppEnv>;
  logger: Logger;
  now: () => Date;
}
