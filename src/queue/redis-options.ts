/**
 * Redis connections for BullMQ, by role. BullMQ must be given ioredis *instances* (its ESM build cannot
 * load ioredis by itself), so this module builds them:
 * - `producer` (the API, schedule/reschedule/cancel): fails fast — no offline queue, one retry per
 *   command, a short connect timeout — so a request never hangs on a Redis outage; the post is already
 *   committed in Postgres and the reconciler enqueues it later.
 * - `worker` (BullMQ Worker and the worker's own queues): `maxRetriesPerRequest: null`, as BullMQ
 *   requires for blocking commands; commands wait for a reconnect instead of failing a job.
 * No ioredis `keyPrefix` (BullMQ forbids it): the key prefix is BullMQ's `prefix` option.
 */
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';

export type RedisRole = 'producer' | 'worker';

/** Producer connect timeout. (Default: 5000 ms) */
export const PRODUCER_CONNECT_TIMEOUT_MS = 5000;

export function redisOptionsFromUrl(url: string, role: RedisRole): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  const base: RedisOptions = {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    db: Number.isInteger(db) ? db : 0,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: { servername: parsed.hostname } } : {}),
  };
  if (role === 'producer') {
    return {
      ...base,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: PRODUCER_CONNECT_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    };
  }
  return {
    ...base,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(Math.exp(times), 5000),
  };
}

export function createRedisConnection(url: string, role: RedisRole, name?: string): Redis {
  return new Redis({ ...redisOptionsFromUrl(url, role), ...(name ? { connectionName: name } : {}) });
}

/** Closes a connection we created: QUIT when it is up, else a plain disconnect. Never throws. */
export async function closeRedisConnection(client: Redis): Promise<void> {
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch {
    client.disconnect();
  }
}

/**
 * The Redis eviction policy, from INFO (CONFIG GET is often disabled on hosted Redis). BullMQ loses
 * jobs under any policy other than `noeviction`; the worker warns at start-up. Null when unreadable.
 */
export async function readEvictionPolicy(client: Redis): Promise<string | null> {
  const info = await client.info('memory');
  const match = /^maxmemory_policy:(\S+)/m.exec(info);
  return match ? match[1]! : null;
}
