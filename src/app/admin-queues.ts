/**
 * The project's BullMQ queues as the queue dashboard sees them: one `Queue` handle per queue, on the
 * prefix `{QUEUE_PREFIX}` and a connection the caller owns, each with what a person should know
 * about its jobs. A handle adds no job (BullMQ only records its version in the queue's meta key, as
 * every producer does); the dashboard reads through them and, with ADMIN_QUEUE_ACTIONS=true, retries and
 * removes jobs.
 */
import { Queue } from 'bullmq';
import type { RedisClient } from '../queue/redis-options.ts';
import { DELIVERY_QUEUE } from '../notify/delivery-queue.ts';
import { bullPrefix, POST_JOBS_QUEUE, TARGET_JOBS_QUEUE } from '../queue/queue-names.ts';

export interface DashboardQueue {
  queue: Queue;
  /** Shown under the queue's name. */
  description: string;
}

export interface DashboardQueues {
  readonly queues: readonly DashboardQueue[];
  /** Closes the handles, not the connection. */
  close(): Promise<void>;
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  [POST_JOBS_QUEUE]:
    'One delayed job per post version (post-<id>-v<version>), due at its scheduled time; it fans out to the publish queue.',
  [TARGET_JOBS_QUEUE]:
    'One job per target (target-<id>): retries, backoff and rate-limit deferrals. A run publishes only under the target claim in the database.',
  [DELIVERY_QUEUE]:
    'Signed webhook deliveries to creators’ endpoints (one per notification and endpoint; receivers deduplicate by webhook-id).',
};

export function openDashboardQueues(connection: RedisClient, queuePrefix: string): DashboardQueues {
  const queues = [POST_JOBS_QUEUE, TARGET_JOBS_QUEUE, DELIVERY_QUEUE].map((name): DashboardQueue => {
    const queue = new Queue(name, { connection, prefix: bullPrefix(queuePrefix) });
    // Errors surface through the dashboard's calls; without a listener an 'error' event would crash.
    queue.on('error', () => {});
    return { queue, description: DESCRIPTIONS[name] ?? '' };
  });
  return {
    queues,
    async close() {
      await Promise.allSettled(queues.map(({ queue }) => queue.close()));
    },
  };
}
