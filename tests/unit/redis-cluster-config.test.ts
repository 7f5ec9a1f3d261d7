/**
 * REDIS_CLUSTER_NODES: how it is parsed and refused (config-vars.ts), how it selects the cluster over
 * REDIS_URL (load-config.ts), the string form the delivery worker takes (redis-target.ts), and the
 * per-role options of the cluster client (redis-options.ts) and the blocking-client guard
 * (redis-blocking-guard.ts). No Redis needed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from 'ioredis';
import { ConfigError, loadConfig, redactConfig } from '../../src/config/load-config.ts';
import type { RedisTarget } from '../../src/config/load-config.ts';
import { guardBlockingClients, sealBlockingClients } from '../../src/queue/redis-blocking-guard.ts';
import { clusterOptionsFor, createRedisConnection, isClusterClient } from '../../src/queue/redis-options.ts';
import { describeRedisTarget, parseRedisTargetUrl, redisTargetUrl } from '../../src/queue/redis-target.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'config_invalid');
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

function clusterOf(value: string, env: Record<string, string> = {}) {
  const { redis } = loadConfig({ ...env, REDIS_CLUSTER_NODES: value });
  assert.equal(redis.kind, 'cluster');
  return redis as Extract<RedisTarget, { kind: 'cluster' }>;
}

describe('REDIS_CLUSTER_NODES', () => {
  it('is unset by default: one server at REDIS_URL', () => {
    assert.deepEqual(loadConfig({}).redis, { kind: 'single', url: 'redis://127.0.0.1:6379' });
    assert.deepEqual(loadConfig({ REDIS_URL: 'rediss://:pw@cache:6380' }).redis, {
      kind: 'single',
      url: 'rediss://:pw@cache:6380',
    });
  });

  it('takes precedence over REDIS_URL and accepts host:port, redis:// and IPv6 entries', () => {
    const redis = clusterOf(' 10.0.0.1:7000, redis://10.0.0.2:7001 ,[::1]:7002', {
      REDIS_URL: 'redis://elsewhere:6379',
    });
    assert.deepEqual(redis.nodes, [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    assert.equal(redis.tls, false);
    assert.equal(redis.username, null);
    assert.equal(redis.password, null);
  });

  it('means TLS for the whole cluster when entries are rediss://, plain host:port entries included', () => {
    const redis = clusterOf('rediss://a.example:6379,b.example:6379');
    assert.equal(redis.tls, true);
    assert.deepEqual(redis.nodes.map((n) => n.host), ['a.example', 'b.example']);
  });

  it('takes credentials from the entries, else from REDIS_URL', () => {
    const own = clusterOf('rediss://app:s%40cret@a:6379,rediss://b:6379', { REDIS_URL: 'redis://x:y@z:1' });
    assert.equal(own.username, 'app');
    assert.equal(own.password, 's@cret');
    const reused = clusterOf('a:6379', { REDIS_URL: 'rediss://default:from-url@ignored:6379' });
    assert.equal(reused.username, 'default');
    assert.equal(reused.password, 'from-url');
    assert.equal(reused.tls, false, 'TLS comes from the entries, not from REDIS_URL');
  });

  it('refuses an empty list, naming the form to write', () => {
    const [problem] = problemsOf({ REDIS_CLUSTER_NODES: ' , ' });
    assert.match(problem!, /^REDIS_CLUSTER_NODES must list at least one node as host:port/);
    assert.match(problem!, /e\.g\. 10\.0\.0\.1:6379,10\.0\.0\.2:6379/);
  });

  it('refuses an entry without a port, naming the entry and the fix', () => {
    assert.deepEqual(problemsOf({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2' }), [
      'REDIS_CLUSTER_NODES entry 2 "10.0.0.2" has no port; write it host:port (e.g. 10.0.0.2:6379)',
    ]);
    assert.match(
      problemsOf({ REDIS_CLUSTER_NODES: 'redis://cache' })[0]!,
      /entry 1 "redis:\/\/cache" has no port/,
    );
  });

  it('refuses bad ports, stray commas, other schemes, paths and repeated nodes, all at once', () => {
    const problems = problemsOf({
      REDIS_CLUSTER_NODES: 'a:0,b:70000,,http://c:1,redis://d:1/2,e:1,e:1,user:pw@f:1',
    });
    assert.deepEqual(problems, [
      'REDIS_CLUSTER_NODES entry 1 "a:0" has port 0; a port is 1 to 65535',
      'REDIS_CLUSTER_NODES entry 2 "b:70000" has port 70000; a port is 1 to 65535',
      'REDIS_CLUSTER_NODES entry 3 is empty (a stray comma?); list nodes as host:port,host:port (e.g. 10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379)',
      'REDIS_CLUSTER_NODES entry 4 "http://c:1" must be host:port, redis://host:port or rediss://host:port (TLS), not http://',
      'REDIS_CLUSTER_NODES entry 5 "redis://d:1/2" must be only host and port (a cluster has no database number, path or options)',
      'REDIS_CLUSTER_NODES lists e:1 twice; list each node once',
      'REDIS_CLUSTER_NODES entry 8 "user:pw@f:1": write credentials as redis://user:password@host:port (or rediss://)',
    ]);
  });

  it('refuses redis:// and rediss:// entries together, and entries with different credentials', () => {
    const [mixed] = problemsOf({ REDIS_CLUSTER_NODES: 'redis://a:1,rediss://b:1' });
    assert.match(
      mixed!,
      /^REDIS_CLUSTER_NODES mixes redis:\/\/ and rediss:\/\/ entries: a cluster is all TLS or none/,
    );
    const [credentials] = problemsOf({ REDIS_CLUSTER_NODES: 'redis://u:one@a:1,redis://u:two@b:1' });
    assert.match(credentials!, /^REDIS_CLUSTER_NODES entries carry different credentials/);
  });

  it('is reported together with the other variables’ problems', () => {
    const problems = problemsOf({ REDIS_CLUSTER_NODES: 'a', WORKER_CONCURRENCY: 'many' });
    assert.equal(problems.length, 2);
    assert.ok(problems.some((p) => p.startsWith('REDIS_CLUSTER_NODES entry 1')));
    assert.ok(problems.some((p) => p.startsWith('WORKER_CONCURRENCY')));
  });

  it('hides the cluster password when the config is logged', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: 'rediss://app:hunter2@a:6379' });
    const logged = JSON.stringify(redactConfig(config));
    assert.ok(!logged.includes('hunter2'), logged);
    assert.match(logged, /"password":"\*\*\*"/);
    assert.ok(Object.isFrozen(config.redis));
  });
});

describe('the string form of a Redis target', () => {
  it('round-trips a cluster with TLS, credentials and IPv6 nodes, and leaves a REDIS_URL as it is', () => {
    const cluster = clusterOf('rediss://us%3Aer:p%40ss:word@a:6379,[::1]:7000');
    const url = redisTargetUrl(cluster);
    assert.equal(url, 'rediss+cluster://us%3Aer:p%40ss%3Aword@a:6379,[::1]:7000');
    assert.deepEqual(parseRedisTargetUrl(url), cluster);
    assert.deepEqual(parseRedisTargetUrl('redis://127.0.0.1:6379'), {
      kind: 'single',
      url: 'redis://127.0.0.1:6379',
    });
    assert.equal(describeRedisTarget(cluster), 'the Redis Cluster at a:6379,[::1]:7000');
    assert.equal(describeRedisTarget({ kind: 'single', url: 'redis://:pw@cache:6380/2' }), 'cache:6380');
  });

  it('refuses a malformed cluster URL instead of guessing', () => {
    assert.throws(() => parseRedisTargetUrl('redis+cluster://a'), /not a cluster URL.*has no port/);
  });

  it('gives a cluster client for a cluster URL', () => {
    const client = createRedisConnection('redis+cluster://127.0.0.1:1', 'producer');
    client.on('error', () => {}); // nothing listens on port 1
    try {
      assert.equal(isClusterClient(client), true);
    } finally {
      client.disconnect();
    }
  });
});

describe('cluster client options by role', () => {
  const target = clusterOf('rediss://app:pw@a:6379');

  it('makes the producer fail fast: no offline queue, one retry per command, a connect timeout', () => {
    const options = clusterOptionsFor(target, 'producer', 'solospark-api');
    assert.equal(options.enableOfflineQueue, false);
    assert.equal(options.redisOptions?.maxRetriesPerRequest, 1);
    assert.equal(options.redisOptions?.connectTimeout, 5000);
    assert.equal(options.redisOptions?.connectionName, 'solospark-api');
    assert.equal(options.clusterRetryStrategy?.(1), 200);
  });

  it('gives workers maxRetriesPerRequest null on every node, as BullMQ requires for blocking reads', () => {
    const options = clusterOptionsFor(target, 'worker');
    assert.equal(options.redisOptions?.maxRetriesPerRequest, null);
    assert.equal(options.enableOfflineQueue, true);
    assert.equal(options.clusterRetryStrategy?.(100), 5000);
  });

  it('passes credentials and TLS to every node and dials nodes by name under TLS', () => {
    const options = clusterOptionsFor(target, 'worker');
    assert.equal(options.redisOptions?.username, 'app');
    assert.equal(options.redisOptions?.password, 'pw');
    assert.deepEqual(options.redisOptions?.tls, {});
    let resolved: string | undefined;
    options.dnsLookup?.('node-1.example', (_err, address) => (resolved = address));
    assert.equal(resolved, 'node-1.example');
    const plain = clusterOptionsFor(clusterOf('a:6379'), 'worker');
    assert.equal(plain.redisOptions?.tls, undefined);
    assert.equal(plain.dnsLookup, undefined);
  });
});

describe('the blocking-client guard of cluster workers', () => {
  it('lets a worker’s blocking clients reconnect until its close, and never after', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    guardBlockingClients(cluster);
    const before = cluster.duplicate(); // what BullMQ makes for a Worker's blocking reads
    assert.equal(Object.hasOwn(before, 'connect'), false, 'its connect was replaced before the close');
    sealBlockingClients(cluster);
    await assert.rejects(before.connect(), /the worker is closing/);
    await assert.rejects(cluster.duplicate().connect(), /the worker is closing/);
    sealBlockingClients({}); // a connection without a guard: nothing to do
    before.disconnect();
    cluster.disconnect();
  });
});
