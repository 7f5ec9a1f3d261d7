/**
 * The notification routes' dependencies from the services, shared by the full API (build-api.ts)
 * and the notifications Edge Functions (build-notifications-api.ts): the store, the endpoint URL
 * policy, the test-event sender and the per-creator caps from configuration.
 */
import type { NotificationApiDeps } from '../api/routes/notifications.ts';
import { sendTestEvent } from '../notify/send-test-event.ts';
import type { Services } from './create-services.ts';

export async function notificationApiDeps(services: Services): Promise<NotificationApiDeps> {
  const { notify } = services.config;
  return {
    store: await services.notificationStore(),
    allowPrivateHosts: notify.allowPrivateHosts,
    timeoutMs: notify.deliveryTimeoutMs,
    sendTestEvent,
    limits: {
      maxEndpointsPerUser: notify.maxEndpointsPerUser,
      testSends: { max: notify.testSendLimit, windowMs: notify.testSendWindowMs },
      secretRotationWindowMs: notify.secretRotationWindowMs,
    },
  };
}
