/**
 * Handles one status-webhook payload, whichever way it came (pg_net → the Edge Function, or
 * pg_notify → the worker's relay):
 * 1. validate it (WebhookPayloadError → 400), ignore valid payloads that carry nothing to say;
 * 2. read the post as it is now — a post deleted since is skipped with a log line (200, no retry loop);
 * 3. insert the notification, once per event key (a duplicate returns the first one);
 * 4. enqueue one delivery per endpoint of the owner subscribed to the event, all in one batch (one
 *    Redis round trip, whatever the number of endpoints). Job ids are deterministic, so doing this
 *    again for a duplicate adds nothing, and completes the work if the first try could not reach
 *    Redis (that try answers 503 — not_ready — and changes nothing else).
 * Nothing here waits on an endpoint: deliveries run in the worker.
 */
import { AppError, coerceError } from '../domain/error-codes.ts';
import type { Logger } from '../observability/logger.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import type { NotificationStore } from '../store/notification-store.ts';
import { composeNotification } from './notification-text.ts';
import { parseStatusEvent } from './status-event.ts';

export type HandleOutcome =
  | { outcome: 'created' | 'duplicate'; notificationId: string; deliveries: number }
  | { outcome: 'ignored' | 'skipped'; reason: string };

export type StatusEventHandler = (payload: unknown) => Promise<HandleOutcome>;

export class WebhookPayloadError extends AppError {
  constructor(errors: { path: string; message: string }[]) {
    super(
      'webhook_payload_invalid',
      `the payload is not a status change of public.posts or public.post_targets: ${
        errors.map((e) => `${e.path}: ${e.message}`).join('; ')
      }`,
      { errors },
    );
  }
}

export interface StatusEventHandlerDeps {
  store: NotificationStore;
  /** Null: no endpoint deliveries (e.g. no Redis configured). */
  deliveries: DeliveryQueue | null;
  logger: Logger;
  /** NOTIFY_APP_URL, for links to the post in the creator's app. (Default: none) */
  appUrl?: string | null;
}

export function createStatusEventHandler(deps: StatusEventHandlerDeps): StatusEventHandler {
  const { store, logger } = deps;
  return async function handleStatusEvent(payload: unknown): Promise<HandleOutcome> {
    const parsed = parseStatusEvent(payload);
    if (!parsed.ok) throw new WebhookPayloadError(parsed.errors);
    if (!parsed.event) {
      logger.info({ reason: parsed.reason }, 'status webhook ignored');
      return { outcome: 'ignored', reason: parsed.reason };
    }
    const event = parsed.event;
    const log = logger.child({ eventKey: event.eventKey, postId: event.postId, kind: event.kind });
    const post = await store.getPostSnapshot(event.postId);
    if (!post) {
      log.info('post no longer exists; notification skipped');
      return { outcome: 'skipped', reason: `post ${event.postId} no longer exists` };
    }
    if (event.targetId && !post.targets.some((t) => t.id === event.targetId)) {
      log.info({ targetId: event.targetId }, 'target no longer exists; notification skipped');
      return { outcome: 'skipped', reason: `target ${event.targetId} no longer exists` };
    }
    const { notification, created } = await store.insertNotification({
      userId: post.userId,
      postId: post.id,
      targetId: event.targetId,
      kind: event.kind,
      eventKey: event.eventKey,
      ...composeNotification(event, post, { appUrl: deps.appUrl ?? null }),
    });
    const endpoints = deps.deliveries ? await store.listSubscribedEndpoints(post.userId, event.kind) : [];
    if (endpoints.length > 0) {
      try {
        await deps.deliveries!.enqueueAll(
          endpoints.map((endpoint) => ({ endpointId: endpoint.id, notificationId: notification.id })),
        );
      } catch (err) {
        log.error(
          { err: coerceError(err), endpoints: endpoints.length, notificationId: notification.id },
          'deliveries could not be queued; a redelivery of this event queues them',
        );
        throw new AppError(
          'not_ready',
          'the notification is stored but its endpoint deliveries could not be queued (Redis); send the event again',
          { notificationId: notification.id },
          { cause: err },
        );
      }
    }
    log.info(
      { notificationId: notification.id, created, deliveries: endpoints.length },
      created ? 'notification created' : 'duplicate status event; notification already exists',
    );
    return {
      outcome: created ? 'created' : 'duplicate',
      notificationId: notification.id,
      deliveries: endpoints.length,
    };
  };
}
