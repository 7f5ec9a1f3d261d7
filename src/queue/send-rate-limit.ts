/**
 * WORKER_RATE_MAX sends per WORKER_RATE_DURATION_MS across every worker process: a sliding window of
 * send start times in one Redis sorted set. Every send takes a place before its target is claimed —
 * first attempts inside post jobs and retries in publish jobs alike — so the bound holds for both
 * queues. BullMQ's own `limiter` throttles one queue's job starts, and a post job starts up to three
 * sends, so it cannot express this limit.
 *
 * The script reads Redis's clock (TIME), so the window is the same for workers on skewed machines.
 * The key carries the queue prefix's hash tag, so Redis Cluster keeps it in one slot.
 */
import type { RedisClient } from './redis-options.ts';

export interface SendRateLimit {
  /** Takes a place for one send now: 0, or how many ms until a place frees (nothing was taken). */
  take(): Promise<number>;
}

export interface SendRateLimitOptions {
  redis: RedisClient;
  /** The queues' prefix, e.g. `{solospark}`. */
  prefix: string;
  /** WORKER_RATE_MAX (> 0) */
  max: number;
  /** WORKER_RATE_DURATION_MS */
  durationMs: number;
}

const TAKE_SCRIPT = `
local key, max, window, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < max then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`;

export function createSendRateLimit(options: SendRateLimitOptions): SendRateLimit {
  const { redis, max, durationMs } = options;
  if (!Number.isInteger(max) || max < 1) throw new TypeError(`send rate max must be >= 1, got ${max}`);
  if (!Number.isFinite(durationMs) || durationMs < 1) {
    throw new TypeError(`send rate duration must be >= 1 ms, got ${durationMs}`);
  }
  const key = `${options.prefix}:send-rate`;
  return {
    async take() {
      const wait = await redis.eval(TAKE_SCRIPT, 1, key, max, durationMs, crypto.randomUUID());
      return Number(wait);
    },
  };
}
