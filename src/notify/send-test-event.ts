/**
 * A test event for POST /notification-endpoints/:id/test: the message and a single delivery try,
 * logged like any other. It satisfies the API's TestEventSender port (src/api/test-event-sender.ts)
 * by shape, without importing it: api/ and notify/ are peers, and src/app/ wires this in.
 *
 * The caller is the creator, and the URL is theirs to choose, so a refused endpoint (a private,
 * loopback or link-local address, a host that does not resolve: webhook-post.ts) gets one answer,
 * ENDPOINT_REFUSED_MESSAGE, with no status code and a duration of 0: which hosts resolve inside our
 * network, and to what, is not something this route may tell. The delivery log keeps the detail.
 */
import type { NotificationEndpoint } from '../store/notification-store.ts';
import { deliverMessage, testMessage } from './webhook-delivery.ts';
import type { DeliverOptions } from './webhook-delivery.ts';
import { ENDPOINT_REFUSED_MESSAGE } from './webhook-post.ts';

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
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
    ...(options.trustedCa ? { trustedCa: options.trustedCa } : {}),
    ...(options.treatAsPublic ? { treatAsPublic: options.treatAsPublic } : {}),
  });
  if (outcome.refused) {
    return {
      messageId: message.id,
      delivered: false,
      statusCode: null,
      error: ENDPOINT_REFUSED_MESSAGE,
      durationMs: 0,
    };
  }
  return {
    messageId: message.id,
    delivered: outcome.delivered,
    statusCode: outcome.statusCode,
    error: outcome.error,
    durationMs: outcome.durationMs,
  };
}
