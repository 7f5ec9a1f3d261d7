/**
 * Redis for tests: the server at REDIS_URL (default redis://127.0.0.1:6379) and a key prefix unique to
 * the calling test, so tests never read or delete keys they did not create (no FLUSHALL).
 *
 * `redisBackends()` lists where the Redis suites run: `single` (REDIS_URL) always, and `cluster` (a
 * Redis Cluster, TEST_REDIS_CLUSTER_NODES, e.g. from `scripts/redis-cluster.sh start <dir>`). Without
 * TEST_REDIS_CLUSTER_NODES the cluster suites skip with a `# SKIP` line saying why — unless
 * REQUIRE_REDIS_CLUSTER_TESTS=true (CI), where that is a failure. Each backend reaches the worker and
 * the producer the way production does: through the environment the config is loaded from.
 */
import { loadConfig } from '../../src/config/load-config.ts';
import type { RedisTarget } from '../../src/config/load-config.ts';
import {
  closeRedisConnection,
  createRedisConnection,
  isClusterClient,
} from '../../src/queue/redis-options.ts';
import type { RedisClient, RedisRole } from '../../src/queue/redis-options.ts';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The test cluster's start-up nodes, as REDIS_CLUSTER_NODES takes them; null when there is none. */
export const TEST_REDIS_CLUSTER_NODES: string | null = process.env.TEST_REDIS_CLUSTER_NODES?.trim() || null;

/** A QUEUE_PREFIX-compatible prefix unique to this call. */
export function uniqueQueuePrefix(label = 'test'): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}`;
}

export interface RedisBackend {
  name: 'single' | 'cluster';
  /** false when its suites can run here, else why they skip (pass as `{ skip }`). */
  skip: string | false;
  /** What selects it in the environment the config is loaded from. */
  env: Readonly<Record<string, string>>;
  /** The config's RedisTarget for it. */
  target: RedisTarget;
  /** A connection of the test's own (close it with closeRedisConnection). */
  connect(role?: RedisRole): RedisClient;
  /**
   * Deletes every key of this QUEUE_PREFIX — and only those. On a cluster they all sit on the master
   * that owns the prefix's hash slot: each master is scanned, and the deletes go through the cluster
   * client, which routes them to that master.
   */
  deletePrefixKeys(queuePrefix: string): Promise<number>;
}

const CLUSTER_SKIP = 'TEST_REDIS_CLUSTER_NODES is unset; Redis Cluster tests skipped (start one with: ' +
  'eval "$(scripts/redis-cluster.sh start /tmp/solospark-cluster)"; export TEST_REDIS_CLUSTER_NODES)';

/**
 * The backends the Redis suites run against. Throws when REQUIRE_REDIS_CLUSTER_TESTS=true and no
 * cluster is configured, so CI cannot pass without the cluster runs.
 */
export function redisBackends(): RedisBackend[] {
  if (!TEST_REDIS_CLUSTER_NODES && process.env.REQUIRE_REDIS_CLUSTER_TESTS === 'true') {
    throw new Error(
      'REQUIRE_REDIS_CLUSTER_TESTS=true but TEST_REDIS_CLUSTER_NODES is unset: the Redis Cluster suites ' +
        'cannot run (scripts/redis-cluster.sh start <dir> prints it)',
    );
  }
  const single = backend('single', { REDIS_URL: TEST_REDIS_URL });
  const cluster = TEST_REDIS_CLUSTER_NODES
    ? backend('cluster', { REDIS_URL: TEST_REDIS_URL, REDIS_CLUSTER_NODES: TEST_REDIS_CLUSTER_NODES })
    : null;
  return [single, cluster ?? skippedCluster()];
}

let announced = false;
/** Prints the cluster suites' `# SKIP` reason once, when they skip. */
export function announceRedisClusterSkip(): void {
  if (!TEST_REDIS_CLUSTER_NODES && !announced) {
    announced = true;
    console.log(`# SKIP ${CLUSTER_SKIP}`);
  }
}

function backend(name: RedisBackend['name'], env: Record<string, string>): RedisBackend {
  const target = loadConfig(env).redis;
  const connect = (role: RedisRole = 'worker') => {
    const client = createRedisConnection(target, role, `solospark-test-${name}`);
    client.on('error', () => {}); // a test that cares awaits its calls
    return client;
  };
  return {
    name,
    skip: false,
    env,
    target,
    connect,
    async deletePrefixKeys(queuePrefix) {
      const client = connect();
      try {
        await client.ping(); // a cluster client knows its masters once connected
        const servers = isClusterClient(client) ? client.nodes('master') : [client];
        let deleted = 0;
        for (const server of servers) {
          let cursor = '0';
          do {
            const [next, keys] = await server.scan(cursor, 'MATCH', `{${queuePrefix}}:*`, 'COUNT', 1000);
            cursor = next;
            // One hash tag, one slot: a multi-key DEL is allowed on a cluster too.
            if (keys.length > 0) deleted += await client.del(...keys);
          } while (cursor !== '0');
        }
        return deleted;
      } finally {
        await closeRedisConnection(client);
      }
    },
  };
}

function skippedCluster(): RedisBackend {
  const unavailable = () => {
    throw new Error(CLUSTER_SKIP);
  };
  return {
    name: 'cluster',
    skip: CLUSTER_SKIP,
    env: {},
    target: { kind: 'single', url: TEST_REDIS_URL },
    connect: unavailable,
    deletePrefixKeys: unavailable,
  };
}
