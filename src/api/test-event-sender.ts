/**
 * The port POST /notification-endpoints/:id/test sends through: one signed test event to one endpoint,
 * one try, written to the delivery log. Delivery is notify/'s job and api/ is its peer, so the API
 * receives this function instead of importing it: sendTestEvent (src/notify/send-test-event.ts)
 * implements it, and buildApi / buildNotificationsApi (src/app/) inject it.
 */
import type { NotificationEndpoint, NotificationStore } from '../store/notification-store.ts';

export type TestEventSender = (
  endpoint: NotificationEndpoint,
  options: TestEventOptions,
) => Promise<TestEventOutcome>;

export interface TestEventOptions {
  /** Where the attempt is logged, and the endpoint's signing secrets are read. */
  store: Pick<NotificationStore, 'recordDelivery' | 'getSigningSecrets'>;
  /** http and private hosts allowed (development). */
  allowPrivateHosts: boolean;
  timeoutMs: number;
  /** The clock: the event's timestamp and its signature. */
  now: () => Date;
  /** (Default: node:dns lookup) */
  resolveHost?: (hostname: string) => Promise<string[]>;
}

export interface TestEventOutcome {
  /** The event's `webhook-id`. */
  messageId: string;
  delivered: boolean;
  /** Null when no HTTP answer came. */
  statusCode: number | null;
  /** Why it was not delivered. */
  error: string | null;
  durationMs: number;
}
