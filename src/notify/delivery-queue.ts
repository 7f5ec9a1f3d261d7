/**
 * The BullMQ queue of endpoint deliveries: one job per (notification, endpoint), on its own queue
 * `notify-delivery` under the same `{QUEUE_PREFIX}` as the publishing queues. Publishing never waits
 * for it: the webhook handler only adds jobs, and the delivery worker (notification-delivery.ts) does
 * the slow part with retries and exponential backoff.
 *
 * Job ids are deterministic (`delivery-<notificationId>-<endpointId>`), so a duplicate webhook adds
 * nothing while the first job exists or is retained (the worker keeps finished jobs for a day).
 * Jobs carry ids only; the worker reads the endpoint and the notification when it runs.
 *
 * An event's deliveries are added in one batch (`addBulk`: one round trip, one MULTI), however many
 * endpoints it fans out to, so the webhook function's time does not grow with each endpoint and the
 * batch is queued whole or not at all.
 */
import { Queue } from 'bullmq';
import type { RedisClient } from '../queue/redis-options.ts';
import { bullPrefix } from '../queue/queue-names.ts';

export const DELIVERY_QUEUE = 'notify-delivery';
export const DELIVERY_JOB_NAME = 'delivery';
/** Length of the queue's event stream (nothing reads it). (Default: 100) */
const EVENTS_MAX_LEN = 100;

export interface DeliveryJobData {
  endpointId: string;
  notificationId: string;
}

export function deliveryJobId(notificationId: string, endpointId: string): string {
  return `delivery-${notificationId}-${endpointId}`;
}

export interface DeliveryQueue {
  /** Queues every job in one batch; jobs already queued (same ids) are left as they are. */
  enqueueAll(jobs: readonly DeliveryJobData[]): Promise<void>;
  close(): Promise<void>;
}

export interface DeliveryQueueOptions {
  /** A connection the caller owns. */
  connection: RedisClient;
  /** QUEUE_PREFIX. */
  queuePrefix: string;
  /** NOTIFY_DELIVERY_ATTEMPTS: tries per delivery, the first included. */
  attempts: number;
  /** NOTIFY_DELIVERY_BACKOFF_MS: the first retry delay; doubles each try. */
  backoffMs: number;
}

export function createDeliveryQueue(options: DeliveryQueueOptions): DeliveryQueue {
  const queue = new Queue<DeliveryJobData>(DELIVERY_QUEUE, {
    connection: options.connection,
    prefix: bullPrefix(options.queuePrefix),
    streams: { events: { maxLen: EVENTS_MAX_LEN } },
  });
  // Errors surface through the awaited calls; without a listener an 'error' event would crash.
  queue.on('error', () => {});
  return {
    async enqueueAll(jobs) {
      if (jobs.length === 0) return;
      await queue.addBulk(jobs.map((job) => ({
        name: DELIVERY_JOB_NAME,
        data: { endpointId: job.endpointId, notificationId: job.notificationId },
        opts: {
          jobId: deliveryJobId(job.notificationId, job.endpointId),
          attempts: options.attempts,
          backoff: { type: 'exponential', delay: options.backoffMs, jitter: 0.2 },
        },
      })));
    },
    async close() {
      await queue.close();
    },
  };
}
