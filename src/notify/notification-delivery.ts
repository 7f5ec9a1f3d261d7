/**
 * The delivery worker: takes jobs from the `notify-delivery` queue and POSTs each notification,
 * signed per Standard Webhooks, to the creator's endpoint. A failed try (non-2xx, timeout, refused
 * connection) is thrown back to BullMQ, which retries it with exponential backoff and jitter up to
 * NOTIFY_DELIVERY_ATTEMPTS; an endpoint URL that may not be reached fails at once. Every try is in
 * the delivery log (notification_deliveries). It runs on its own queue and connection, so a slow or
 * broken endpoint never holds up publishing.
 *
 * Started by the worker process when NOTIFY_DELIVERY=true (see start-notifications.ts).
 */
import { UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { coerceError } from '../domain/error-codes.ts';
import type { Logger } from '../observability/logger.ts';
import { NO_METRICS } from '../observability/metrics.ts';
import type { WorkerMetrics } from '../observability/metrics.ts';
import { bullPrefix } from '../queue/queue-names.ts';
import { closeRedisConnection, createRedisConnection } from '../queue/redis-options.ts';
import { DELIVERY_QUEUE } from './delivery-queue.ts';
import type { DeliveryJobData } from './delivery-queue.ts';
import type { NotificationStore } from '../store/notification-store.ts';
import { deliverMessage, notificationMessage } from './webhook-delivery.ts';

/** Finished jobs are kept this long, so a duplicate webhook cannot queue the same delivery again. */
export const KEEP_FINISHED_JOBS_S = 24 * 3600;

export interface NotificationDeliveryOptions {
  redisUrl: string;
  /** QUEUE_PREFIX. */
  queuePrefix: string;
  store: NotificationStore;
  logger: Logger;
  /** NOTIFY_DELIVERY_TIMEOUT_MS. */
  timeoutMs: number;
  /** NOTIFY_ALLOW_PRIVATE_HOSTS. */
  allowPrivateHosts: boolean;
  /** Deliveries in flight at once. (Default: 10) */
  concurrency?: number;
  /** (Default: node:dns lookup) */
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** (Default: () => new Date()) */
  now?: () => Date;
  /** Counts each delivery's outcome (GET /metrics of the worker). (Default: NO_METRICS) */
  metrics?: Pick<WorkerMetrics, 'notificationDelivery'>;
  /**
   * BullMQ `drainDelay`: how long an idle worker blocks waiting for jobs. Under Deno a retry that
   * this worker itself moved to delayed is picked up only when that wait ends, so it bounds the extra
   * lateness of a retry there. (Default: 5 s)
   */
  idlePollSeconds?: number;
}

export interface RunningNotificationDelivery {
  close(): Promise<void>;
  readonly worker: Worker<DeliveryJobData>;
}

export async function startNotificationDelivery(
  options: NotificationDeliveryOptions,
): Promise<RunningNotificationDelivery> {
  const log = options.logger.child({ component: 'notify-delivery' });
  const connection = createRedisConnection(options.redisUrl, 'worker', 'solospark-notify-delivery');
  let lastError = '';
  connection.on('error', (err: Error) => {
    if (err.message !== lastError) log.warn({ err: err.message }, 'redis connection error; reconnecting');
    lastError = err.message;
  });
  const shutdown = new AbortController();
  const metrics = options.metrics ?? NO_METRICS;

  async function processDelivery(job: Job<DeliveryJobData>): Promise<void> {
    const { endpointId, notificationId } = job.data;
    const attempt = job.attemptsMade + 1;
    const jobLog = log.child({ jobId: job.id, endpointId, notificationId, attempt });
    const endpoint = await options.store.getEndpoint(endpointId);
    if (!endpoint || !endpoint.enabled) {
      jobLog.info('endpoint deleted or disabled; delivery dropped');
      metrics.notificationDelivery('dropped');
      return;
    }
    const notification = await options.store.getNotification(notificationId);
    if (!notification) {
      jobLog.info('notification deleted; delivery dropped');
      metrics.notificationDelivery('dropped');
      return;
    }
    const outcome = await deliverMessage(endpoint, notificationMessage(notification), {
      store: options.store,
      timeoutMs: options.timeoutMs,
      attempt,
      allowPrivateHosts: options.allowPrivateHosts,
      signal: shutdown.signal,
      ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    if (outcome.logError) {
      jobLog.warn({ err: outcome.logError.message }, 'delivery attempt not written to the delivery log');
    }
    if (outcome.delivered) {
      jobLog.info(
        { statusCode: outcome.statusCode, durationMs: outcome.durationMs },
        'notification delivered',
      );
      metrics.notificationDelivery('delivered');
      return;
    }
    if (outcome.permanent) {
      jobLog.warn({ reason: outcome.error }, 'endpoint refused; delivery dropped');
      metrics.notificationDelivery('refused');
      throw new UnrecoverableError(outcome.error ?? 'endpoint refused');
    }
    throw new Error(outcome.error ?? 'delivery failed');
  }

  const worker = new Worker<DeliveryJobData>(DELIVERY_QUEUE, processDelivery, {
    connection,
    prefix: bullPrefix(options.queuePrefix),
    concurrency: options.concurrency ?? 10,
    removeOnComplete: { age: KEEP_FINISHED_JOBS_S, count: 10_000 },
    removeOnFail: { age: KEEP_FINISHED_JOBS_S, count: 10_000 },
    drainDelay: options.idlePollSeconds ?? 5,
    autorun: false,
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'delivery worker error'));
  worker.on('failed', (job, err) => {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    const final = err.name === 'UnrecoverableError' || job.attemptsMade >= attempts;
    // A refusal was counted where it was decided.
    if (err.name !== 'UnrecoverableError') metrics.notificationDelivery(final ? 'given_up' : 'retrying');
    const fields = {
      jobId: job.id,
      endpointId: job.data.endpointId,
      attempt: job.attemptsMade,
      reason: err.message,
    };
    if (final) log.warn(fields, 'delivery given up');
    else log.info(fields, 'delivery failed; retrying with backoff');
  });
  // Endpoints saved before secrets were encrypted: seal them now rather than one by one on their
  // next delivery. Reads take either form, so a failure here only postpones it.
  try {
    const sealed = await options.store.sealPlaintextSecrets();
    if (sealed > 0) log.info({ sealed }, 'endpoint signing secrets stored in clear are now encrypted');
  } catch (err) {
    log.warn(
      { err: coerceError(err).message },
      'could not encrypt the signing secrets stored in clear; retried at next start',
    );
  }
  worker.run().catch((err) => log.error({ err }, 'delivery worker stopped with an error'));
  await worker.waitUntilReady();
  log.info({ queue: DELIVERY_QUEUE, concurrency: options.concurrency ?? 10 }, 'notification delivery ready');

  let closing: Promise<void> | null = null;
  return {
    worker,
    close() {
      closing ??= (async () => {
        // In-flight requests are bounded by NOTIFY_DELIVERY_TIMEOUT_MS; abort them rather than wait.
        shutdown.abort();
        await worker.close();
        await closeRedisConnection(connection);
        log.info('notification delivery stopped');
      })();
      return closing;
    },
  };
}
