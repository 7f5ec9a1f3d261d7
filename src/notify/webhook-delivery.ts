/**
 * One signed POST of one message to one endpoint, recorded in the delivery log. Shared by the delivery
 * worker (with retries around it) and POST /notification-endpoints/:id/test (a single try).
 *
 * The body follows the Standard Webhooks recommendation `{ type, timestamp, data }`; it is the same on
 * every retry of a message, while `webhook-timestamp` and the signature are made per attempt.
 * Redirects are not followed (the URL was checked, its redirect target was not), the answer's body is
 * not read, and the request is bounded by `timeoutMs`.
 */
import { coerceError } from '../domain/error-codes.ts';
import type { Notification, NotificationEndpoint, NotificationStore } from '../store/notification-store.ts';
import { TEST_EVENT_TYPE } from '../domain/notification-kinds.ts';
import { endpointAddressProblem } from '../net/endpoint-url.ts';
import type { EndpointUrlPolicy } from '../net/endpoint-url.ts';
import { signWebhook } from '../net/standard-webhooks.ts';

export interface WebhookMessage {
  /** `webhook-id`. */
  id: string;
  type: string;
  /** The JSON body, exactly as signed. */
  body: string;
  notificationId: string | null;
}

export interface DeliveryOutcome {
  delivered: boolean;
  /** Null when no HTTP answer came. */
  statusCode: number | null;
  /** Why it was not delivered. */
  error: string | null;
  /** True when retrying cannot help (the URL is refused). */
  permanent: boolean;
  durationMs: number;
  /** Why the attempt could not be written to the delivery log, if it could not. */
  logError: Error | null;
}

export interface DeliverOptions extends EndpointUrlPolicy {
  store: Pick<NotificationStore, 'recordDelivery'>;
  timeoutMs: number;
  /** 1 for the first try. */
  attempt: number;
  /** (Default: global fetch) */
  fetch?: typeof fetch;
  /** (Default: () => new Date()) */
  now?: () => Date;
  /** Aborts the request (shutdown). */
  signal?: AbortSignal;
}

export const USER_AGENT = 'SoloSpark-Webhooks/1.0';

/**
 * The message for a notification. Its id, `msg_<notificationId>`, is the same for every endpoint and
 * every retry, so receivers can deduplicate on `webhook-id`.
 */
export function notificationMessage(notification: Notification): WebhookMessage {
  return {
    id: `msg_${notification.id}`,
    type: notification.kind,
    notificationId: notification.id,
    body: JSON.stringify({
      type: notification.kind,
      timestamp: notification.createdAt.toISOString(),
      data: {
        notificationId: notification.id,
        postId: notification.postId,
        targetId: notification.targetId,
        title: notification.title,
        body: notification.body,
        link: notification.link,
      },
    }),
  };
}

export function testMessage(endpoint: NotificationEndpoint, at: Date): WebhookMessage {
  return {
    id: `msg_test_${crypto.randomUUID()}`,
    type: TEST_EVENT_TYPE,
    notificationId: null,
    body: JSON.stringify({
      type: TEST_EVENT_TYPE,
      timestamp: at.toISOString(),
      data: {
        endpointId: endpoint.id,
        message:
          'A test event from SoloSpark Publisher: your endpoint receives and verifies signed webhooks.',
      },
    }),
  };
}

export async function deliverMessage(
  endpoint: NotificationEndpoint,
  message: WebhookMessage,
  options: DeliverOptions,
): Promise<DeliveryOutcome> {
  const now = options.now ?? (() => new Date());
  const started = Date.now();
  const outcome = await send(endpoint, message, options, now);
  const result: DeliveryOutcome = { ...outcome, durationMs: Date.now() - started, logError: null };
  // The log is for diagnosis: failing to write it must not turn a delivered message into a retry
  // (which would send it twice).
  try {
    await options.store.recordDelivery({
      endpointId: endpoint.id,
      userId: endpoint.userId,
      notificationId: message.notificationId,
      messageId: message.id,
      eventType: message.type,
      attempt: options.attempt,
      statusCode: result.statusCode,
      error: result.error,
      durationMs: result.durationMs,
    });
  } catch (err) {
    result.logError = coerceError(err);
  }
  return result;
}

async function send(
  endpoint: NotificationEndpoint,
  message: WebhookMessage,
  options: DeliverOptions,
  now: () => Date,
): Promise<Omit<DeliveryOutcome, 'durationMs' | 'logError'>> {
  const refused = await endpointAddressProblem(endpoint.url, options);
  if (refused) return { delivered: false, statusCode: null, error: refused, permanent: true };
  const headers = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    ...(await signWebhook(endpoint.secret, message.id, message.body, now())),
  };
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await (options.fetch ?? globalThis.fetch)(endpoint.url, {
      method: 'POST',
      headers,
      body: message.body,
      redirect: 'manual',
      signal,
    });
  } catch (err) {
    const reason = timeout.aborted
      ? `no answer within ${options.timeoutMs} ms`
      : `the request failed (${err instanceof Error ? err.message : String(err)})`;
    return { delivered: false, statusCode: null, error: reason, permanent: false };
  }
  await response.body?.cancel().catch(() => {});
  if (response.status >= 200 && response.status < 300) {
    return { delivered: true, statusCode: response.status, error: null, permanent: false };
  }
  const redirect = response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : '';
  return {
    delivered: false,
    statusCode: response.status,
    error: `the endpoint answered HTTP ${response.status}${redirect}`,
    permanent: false,
  };
}
