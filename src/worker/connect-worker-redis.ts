/**
 * The worker's Redis connection at start-up: one connection for BullMQ and the send rate limit, its
 * errors logged once per distinct message while ioredis reconnects, a bounded wait for the first
 * answer (a clear message instead of a hang when Redis is down), and a warning when Redis may evict
 * queued jobs.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { closeRedisConnection, createRedisConnection, readEvictionPolicy } from '../queue/redis-options.ts';

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
export async function connectWorkerRedis(redisUrl: string, workerId: string, log: Logger): Promise<Redis> {
  const connection = createRedisConnection(redisUrl, 'worker', `solospark-worker-${workerId}`);
  let lastRedisError = '';
  connection.on('error', (err: Error) => {
    if (err.message !== lastRedisError) {
      log.warn({ err: err.message }, 'redis connection error; reconnecting');
    }
    lastRedisError = err.message;
  });
  connection.on('ready', () => (lastRedisError = ''));
  await waitForRedis(connection, redisUrl).catch(async (err) => {
    await closeRedisConnection(connection);
    throw err;
  });
  const policy = await readEvictionPolicy(connection).catch(() => null);
  if (policy !== 'noeviction') {
    log.warn(
      { maxmemoryPolicy: policy },
      'Redis maxmemory-policy is not noeviction: Redis may evict queued jobs under memory pressure ' +
        '(the reconciler restores scheduled posts, but late); set maxmemory-policy noeviction',
    );
  }
  return connection;
}

async function waitForRedis(connection: Redis, url: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const where = new URL(url);
      reject(
        new RedisUnavailableError(
          `cannot reach Redis at ${where.host} within ${REDIS_STARTUP_TIMEOUT_MS} ms; start it ` +
            '(e.g. redis-server, or docker run -p 6379:6379 redis:7) or set REDIS_URL',
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
