/**
 * A test event for POST /notification-endpoints/:id/test: the message and a single delivery try,
 * logged like any other. It satisfies the API's TestEventSender port (src/api/test-event-sender.ts)
 * by shape, without importing it: api/ and notify/ are peers, and src/app/ wires this in.
 */
import type { NotificationEndpoint } from '../store/notification-store.ts';
import { deliverMessage, testMessage } from './webhook-delivery.ts';
import type { DeliverOptions } from './webhook-delivery.ts';

/** A single try (no `attempt`), not bound to a shutdown (no `signal`), on the caller's clock. */
export type SendTestEventOptions = Omit<DeliverOptions, 'attempt' | 'signal' | 'now'> & { now: () => Date };

export async function sendTestEvent(endpoint: NotificationEndpoint, options: SendTestEventOptions) {
  const { now } = options;
  const message = testMessage(endpoint, now());
  const outcome = await deliverMessage(endpoint, message, {
    store: options.store,
    timeoutMs: options.timeoutMs,
    attempt: 1,
    allowPrivateHosts: options.allowPrivateHosts,
    now,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
  });
  return {
    messageId: message.id,
    delivered: outcome.delivered,
    statusCode: outcome.statusCode,
    error: outcome.error,
    durationMs: outcome.durationMs,
  };
}
