/**
 * One signed POST of one message to one endpoint, recorded in the delivery log. Shared by the delivery
 * worker (with retries around it) and POST /notification-endpoints/:id/test (a single try).
 *
 * The body follows the Standard Webhooks recommendation `{ type, timestamp, data }`; it is the same on
 * every retry of a message, while `webhook-timestamp` and the signature are made per attempt.
 * The POST itself is webhook-post.ts: connected to the address it checked, redirects not followed, the
 * answer's body not read, bounded by `timeoutMs`.
 */
import { coerceError } from '../domain/error-codes.ts';
import type { Notification, NotificationEndpoint, NotificationStore } from '../store/notification-store.ts';
import { TEST_EVENT_TYPE } from '../domain/notification-kinds.ts';
import { endpointUrlProblem } from '../net/endpoint-url.ts';
import type { EndpointUrlPolicy } from '../net/endpoint-url.ts';
import { postWebhook } from './webhook-post.ts';
import { signedHeaders } from './signed-headers.ts';

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
  /**
   * True when nothing was sent because the URL or its host's address was refused (webhook-post.ts):
   * `error` then has the detail for the delivery log, which callers must not show to the creator.
   */
  refused?: boolean;
  durationMs: number;
  /** Why the attempt could not be written to the delivery log, if it could not. */
  logError: Error | null;
}

export interface DeliverOptions extends EndpointUrlPolicy {
  /** Logs the attempt; holds the signing secrets. */
  store: Pick<NotificationStore, 'recordDelivery' | 'getSigningSecrets'>;
  timeoutMs: number;
  /** 1 for the first try. */
  attempt: number;
  /** PEM certificates trusted instead of the runtime's roots (tests serving https). */
  trustedCa?: readonly string[];
  /** Loopback addresses a test's "public" endpoint listens on (see AddressPolicy in src/net). */
  treatAsPublic?: readonly string[];
  /** (Default: () => new Date()) */
  now?: () => Date;
  /** Aborts the request (shutdown). */
  signal?: AbortSignal;
}

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
  const refused = endpointUrlProblem(endpoint.url, options);
  if (refused) return { delivered: false, statusCode: null, error: refused, permanent: true, refused: true };
  const signed = await signedHeaders(endpoint, message, options.store, now());
  if (!signed.ok) return { delivered: false, statusCode: null, error: signed.problem, permanent: true };
  const headers = signed.headers;
  const posted = await postWebhook(endpoint.url, { headers, body: message.body }, options);
  if (posted.kind === 'refused') {
    return {
      delivered: false,
      statusCode: null,
      error: posted.error,
      permanent: posted.permanent,
      refused: true,
    };
  }
  if (posted.kind === 'failed') {
    return { delivered: false, statusCode: null, error: posted.error, permanent: false };
  }
  const status = posted.status;
  if (status >= 200 && status < 300) {
    return { delivered: true, statusCode: status, error: null, permanent: false };
  }
  const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  return {
    delivered: false,
    statusCode: status,
    error: `the endpoint answered HTTP ${status}${redirect}`,
    permanent: false,
  };
}
