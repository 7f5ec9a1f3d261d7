/**
 * Redis connections for BullMQ, by role, on one server (REDIS_URL) or a Redis Cluster
 * (REDIS_CLUSTER_NODES): `createRedisConnection` is the one factory, and `RedisClient` the one type
 * the rest of the code names. BullMQ must be given ioredis *instances* (its ESM build cannot load
 * ioredis by itself), so this module builds them:
 * - `producer` (the API, schedule/reschedule/cancel): fails fast — no offline queue, one retry per
 *   command, a short connect timeout — so a request never hangs on a Redis outage; the post is already
 *   committed in Postgres and the reconciler enqueues it later.
 * - `worker` (BullMQ Worker and the worker's own queues): `maxRetriesPerRequest: null`, as BullMQ
 *   requires for blocking commands; commands wait for a reconnect instead of failing a job.
 * On a cluster the per-command settings go to every node (`redisOptions`), and the offline queue and
 * reconnect policy are the cluster client's own (`enableOfflineQueue`, `clusterRetryStrategy`).
 * Every key the app writes carries the `{QUEUE_PREFIX}` hash tag (queue-names.ts), so each Lua script,
 * MULTI and pipeline stays in one slot.
 * No ioredis `keyPrefix` (BullMQ forbids it): the key prefix is BullMQ's `prefix` option.
 */
import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/load-config.ts';
import { guardBlockingClients } from './redis-blocking-guard.ts';
import { parseRedisTargetUrl } from './redis-target.ts';

/** A Redis connection of the app: one server, or a cluster client. */
export type RedisClient = Redis | Cluster;

type ClusterTarget = Extract<RedisTarget, { kind: 'cluster' }>;

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

/** The cluster client's options for a role: the same semantics as redisOptionsFromUrl's. */
export function clusterOptionsFor(target: ClusterTarget, role: RedisRole, name?: string): ClusterOptions {
  const redisOptions = {
    ...(target.username !== null ? { username: target.username } : {}),
    ...(target.password !== null ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
    ...(name ? { connectionName: name } : {}),
    ...(role === 'producer'
      ? { maxRetriesPerRequest: 1, connectTimeout: PRODUCER_CONNECT_TIMEOUT_MS }
      : { maxRetriesPerRequest: null }),
  };
  return {
    redisOptions,
    enableReadyCheck: true,
    // With TLS, dial nodes by the names the cluster announces, so each certificate is checked against
    // its name rather than a resolved address (ioredis's advice for hosted clusters).
    ...(target.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    ...(role === 'producer'
      ? { enableOfflineQueue: false, clusterRetryStrategy: (times) => Math.min(times * 200, 2000) }
      : { enableOfflineQueue: true, clusterRetryStrategy: (times) => Math.min(Math.exp(times), 5000) }),
  };
}

/**
 * A connection for `role` to `target`: the config's RedisTarget, or its string form (a REDIS_URL,
 * or redis-target.ts's cluster URL).
 */
export function createRedisConnection(
  target: RedisTarget | string,
  role: RedisRole,
  name?: string,
): RedisClient {
  const where = typeof target === 'string' ? parseRedisTargetUrl(target) : target;
  if (where.kind === 'single') {
    return new Redis({ ...redisOptionsFromUrl(where.url, role), ...(name ? { connectionName: name } : {}) });
  }
  const cluster = new Cluster(
    where.nodes.map(({ host, port }) => ({ host, port })),
    clusterOptionsFor(where, role, name),
  );
  // Workers run on worker-role connections; their close needs the guard (redis-blocking-guard.ts).
  if (role === 'worker') guardBlockingClients(cluster);
  return cluster;
}

/** Whether `client` is a cluster client (ioredis's own flag, as BullMQ checks it). */
export function isClusterClient(client: RedisClient): client is Cluster {
  return client.isCluster === true;
}

/** Closes a connection we created: QUIT when it is up, else a plain disconnect. Never throws. */
export async function closeRedisConnection(client: RedisClient): Promise<void> {
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch {
    client.disconnect();
  }
}

/** A Redis server (a cluster's master) and its eviction policy; null when unreadable. */
export interface EvictionPolicy {
  node: string;
  policy: string | null;
}

/**
 * The eviction policy of every server that holds the app's keys, from INFO (CONFIG GET is often
 * disabled on hosted Redis): the one server, or every master of a cluster — a prefix's keys live on
 * whichever master owns its hash slot, and another prefix's on another, so each one must run
 * `noeviction`. BullMQ loses jobs under any other policy; the worker warns at start-up.
 */
export async function readEvictionPolicies(client: RedisClient): Promise<EvictionPolicy[]> {
  const servers: Redis[] = isClusterClient(client) ? client.nodes('master') : [client];
  return await Promise.all(servers.map(async (server): Promise<EvictionPolicy> => {
    const node = `${server.options.host ?? '127.0.0.1'}:${server.options.port ?? 6379}`;
    const info = await server.info('memory').catch(() => '');
    const match = /^maxmemory_policy:(\S+)/m.exec(info);
    return { node, policy: match ? match[1]! : null };
  }));
}
