/**
 * Redis for tests: the server at REDIS_URL (default redis://127.0.0.1:6379) and a key prefix unique to
 * the calling test, so tests never read or delete keys they did not create (no FLUSHALL).
 */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A QUEUE_PREFIX-compatible prefix unique to this call. */
export function uniqueQueuePrefix(label = 'test'): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}`;
}
