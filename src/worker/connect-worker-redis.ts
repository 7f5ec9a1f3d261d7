/**
 * The worker's Redis connection at start-up: one connection (a server's, or a cluster client's) for
 * BullMQ and the send rate limit, its errors logged once per distinct message while ioredis
 * reconnects, a bounded wait for the first answer (a clear message instead of a hang when Redis is
 * down), and a warning naming each server (each cluster master) that may evict queued jobs.
 */
import type { RedisTarget } from '../config/load-config.ts';
import type { Logger } from '../observability/logger.ts';
import { closeRedisConnection, createRedisConnection, readEvictionPolicies } from '../queue/redis-options.ts';
import type { RedisClient } from '../queue/redis-options.ts';
import { describeRedisTarget } from '../queue/redis-target.ts';

/** How long start-up waits for Redis before giving up with a message. (Default: 5000 ms) */
export const REDIS_STARTUP_TIMEOUT_MS = 5000;

export class RedisUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

/**
 * Connects and waits for Redis. Rejects with RedisUnavailableError, the connection closed, when Redis
 * does not answer within REDIS_STARTUP_TIMEOUT_MS.
 */
export async function connectWorkerRedis(
  target: RedisTarget,
  workerId: string,
  log: Logger,
): Promise<RedisClient> {
  const connection = createRedisConnection(target, 'worker', `solospark-worker-${workerId}`);
  let lastRedisError = '';
  connection.on('error', (err: Error) => {
    if (err.message !== lastRedisError) {
      log.warn({ err: err.message }, 'redis connection error; reconnecting');
    }
    lastRedisError = err.message;
  });
  connection.on('ready', () => (lastRedisError = ''));
  await waitForRedis(connection, target).catch(async (err) => {
    await closeRedisConnection(connection);
    throw err;
  });
  const policies = await readEvictionPolicies(connection).catch(() => [{ node: 'unknown', policy: null }]);
  for (const { node, policy } of policies) {
    if (policy === 'noeviction') continue;
    log.warn(
      { maxmemoryPolicy: policy, ...(target.kind === 'cluster' ? { node } : {}) },
      'Redis maxmemory-policy is not noeviction: Redis may evict queued jobs under memory pressure ' +
        '(the reconciler restores scheduled posts, but late); set maxmemory-policy noeviction',
    );
  }
  return connection;
}

async function waitForRedis(connection: RedisClient, target: RedisTarget): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const how = target.kind === 'single'
        ? 'start it (e.g. redis-server, or docker run -p 6379:6379 redis:7) or set REDIS_URL'
        : 'check that its nodes run and answer CLUSTER INFO with cluster_state:ok, or fix REDIS_CLUSTER_NODES';
      reject(
        new RedisUnavailableError(
          `cannot reach ${target.kind === 'single' ? 'Redis at ' : ''}${
            describeRedisTarget(target)
          } within ${REDIS_STARTUP_TIMEOUT_MS} ms; ${how}`,
        ),
      );
    }, REDIS_STARTUP_TIMEOUT_MS);
  });
  try {
    await Promise.race([connection.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
