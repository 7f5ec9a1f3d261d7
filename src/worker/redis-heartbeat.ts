/**
 * When Redis last answered on the worker's connection — the one its BullMQ workers fetch, lock and
 * settle jobs on — for readiness. A PING every `intervalMs` while the connection is up; never a second
 * one while one is unanswered, so a hung Redis does not pile commands up in ioredis's queue (the
 * worker's connection waits for a reconnect instead of failing commands). A connection that is not
 * `ready` counts as down at once, without waiting for the answer to go stale.
 *
 * With `probeKey` the heartbeat asks `EXISTS probeKey` instead of PING: on a Redis Cluster a PING goes
 * to any node, while a keyed command goes to the master that owns the queues' hash slot — the one
 * whose silence stops publishing. On one server both cost the same.
 */
import type { RedisClient } from '../queue/redis-options.ts';

/** How often the heartbeat pings. (Default: 1000 ms) */
export const REDIS_HEARTBEAT_INTERVAL_MS = 1000;

export interface RedisHeartbeat {
  /** Whether the connection is up now (ioredis `ready`, a cluster client's too). */
  connected(): boolean;
  /** ms since Redis last answered (a PING, or the first answer at start-up); null when never. */
  silentForMs(): number | null;
  stop(): void;
}

export function startRedisHeartbeat(
  connection: RedisClient,
  options: { intervalMs?: number; now?: () => number; probeKey?: string } = {},
): RedisHeartbeat {
  const { probeKey } = options;
  const now = options.now ?? (() => performance.now());
  // The worker starts only after Redis answered (connect-worker-redis.ts): that answer counts.
  let lastAnswerAt: number | null = connection.status === 'ready' ? now() : null;
  let pinging = false;

  const timer = setInterval(() => {
    if (pinging || connection.status !== 'ready') return;
    pinging = true;
    (probeKey === undefined ? connection.ping() : connection.exists(probeKey)).then(
      () => {
        lastAnswerAt = now();
      },
      // An error reply or a dropped connection: the answer goes stale, and `connected` tells.
      () => {},
    ).finally(() => {
      pinging = false;
    });
  }, options.intervalMs ?? REDIS_HEARTBEAT_INTERVAL_MS);

  return {
    connected: () => connection.status === 'ready',
    silentForMs: () => (lastAnswerAt === null ? null : now() - lastAnswerAt),
    stop: () => clearInterval(timer),
  };
}
