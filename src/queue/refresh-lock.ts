/**
 * A per-account lock in Redis around token refreshes, so that across worker processes only one sends
 * an account's refresh token. Rotating refresh tokens (X) are spent by use; a second process sending
 * the same one fails and may get the whole token family revoked. Holders re-read the stored tokens
 * after taking the lock, so a waiter finds the pair the first holder stored and sends nothing.
 *
 * SET NX PX with a random owner token; release deletes only our own token (a holder that outlived its
 * TTL cannot delete the next holder's lock). A crashed holder's lock expires after `ttlMs`.
 */
import type { RedisClient } from './redis-options.ts';

export interface RefreshLock {
  /** Runs `fn` while holding the lock for `key`, waiting for it for at most the lock's TTL. */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export interface RedisRefreshLockOptions {
  redis: RedisClient;
  /** Key prefix, e.g. `{solospark}` (the queues' hash tag, so Redis Cluster keeps it in one slot). */
  prefix: string;
  /** Longest a holder keeps the lock; longer than a refresh can take. (Default: 45000) */
  ttlMs?: number;
  /** Poll interval while waiting. (Default: 50) */
  pollMs?: number;
}

const RELEASE_SCRIPT =
  `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export function createRedisRefreshLock(options: RedisRefreshLockOptions): RefreshLock {
  const { redis, prefix } = options;
  const ttlMs = options.ttlMs ?? 45_000;
  const pollMs = options.pollMs ?? 50;

  return {
    async withLock(key, fn) {
      const lockKey = `${prefix}:token-refresh:${key}`;
      const owner = crypto.randomUUID();
      const deadline = Date.now() + ttlMs;
      // Past the deadline the holder's lock has expired on its own; go ahead rather than stall publishing.
      while (Date.now() < deadline) {
        if ((await redis.set(lockKey, owner, 'PX', ttlMs, 'NX')) === 'OK') break;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
      try {
        return await fn();
      } finally {
        await redis.eval(RELEASE_SCRIPT, 1, lockKey, owner).catch(() => {});
      }
    },
  };
}
