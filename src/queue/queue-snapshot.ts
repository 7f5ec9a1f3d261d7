/**
 * A queue at one moment, for GET /metrics: its jobs per state and how long the oldest job that is due
 * but has not started has been waiting for a worker — the number that says a post will go out late
 * before any creator notices.
 *
 * Where a due job can be, and how its due time is known:
 * - still in `delayed` (no worker fetched since it fell due: the workers are down, stuck or all busy,
 *   since BullMQ promotes delayed jobs only when a worker fetches): its score is the due time
 *   (BullMQ stores `due * 0x1000 + counter`, getDelayedScore.lua), exact;
 * - in `wait` (promoted, or added due at once): a job never started is due at `timestamp +
 *   opts.delay`, exact. A retried or deferred job in `wait` is skipped: BullMQ zeroes its `delay`
 *   on promotion, so its due time is gone, and guessing it from older fields would report an
 *   age it never had. Backlogs of those still show as `waiting`.
 *
 * About six commands per queue: the counts script, one ZRANGE, one LRANGE and a few HMGETs. Every
 * key carries the prefix's hash tag, so on a Redis Cluster the pipeline goes to one master.
 */
import type { Queue } from 'bullmq';
import type { RedisClient } from './redis-options.ts';
import type { QueueReading } from '../observability/prometheus-metrics.ts';

/** Oldest jobs of the wait list looked at for their due time. (Default: 10) */
export const WAIT_HEAD_SAMPLE = 10;

/** BullMQ's delayed-set score: the due time in ms times 0x1000, plus a counter. */
const DELAYED_SCORE_FACTOR = 0x1000;

/** `client` is the connection the queue runs on (BullMQ 6 does not hand out its raw client). */
export async function readQueueSnapshot(
  queue: Queue,
  client: RedisClient,
  nowMs: number,
): Promise<QueueReading> {
  const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'failed');
  const [soonestDelayed, oldestWaiting] = await Promise.all([
    client.zrange(queue.keys.delayed!, '0', '0', 'WITHSCORES'),
    // Workers take from the right of the wait list: its right end holds the oldest jobs.
    client.lrange(queue.keys.wait!, -WAIT_HEAD_SAMPLE, -1),
  ]);
  let oldestDueAt = Number.POSITIVE_INFINITY;
  if (soonestDelayed.length === 2) {
    oldestDueAt = Math.floor(Number(soonestDelayed[1]) / DELAYED_SCORE_FACTOR);
  }
  if (oldestWaiting.length > 0) {
    const pipeline = client.pipeline();
    for (const id of oldestWaiting) pipeline.hmget(queue.toKey(id), 'timestamp', 'opts', 'processedOn');
    for (const [err, fields] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      const dueAt = neverStartedDueAt(fields as (string | null)[]);
      if (dueAt !== null) oldestDueAt = Math.min(oldestDueAt, dueAt);
    }
  }
  return {
    queue: queue.name,
    counts: {
      waiting: counts.waiting ?? 0,
      delayed: counts.delayed ?? 0,
      active: counts.active ?? 0,
      failed: counts.failed ?? 0,
    },
    oldestDueAgeMs: Number.isFinite(oldestDueAt) ? Math.max(0, nowMs - oldestDueAt) : 0,
  };
}

/** `timestamp + opts.delay` of a waiting job that never started; null otherwise (or when unreadable). */
function neverStartedDueAt([timestamp, opts, processedOn]: (string | null)[]): number | null {
  if (timestamp === null || timestamp === undefined || processedOn) return null;
  let delay = 0;
  try {
    const parsed = JSON.parse(opts ?? '{}') as { delay?: unknown };
    if (typeof parsed.delay === 'number') delay = parsed.delay;
  } catch {
    return null;
  }
  const at = Number(timestamp) + delay;
  return Number.isFinite(at) ? at : null;
}
