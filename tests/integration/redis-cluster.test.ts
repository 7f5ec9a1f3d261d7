/**
 * The worker and its queues on every Redis backend (test-redis.ts): one server (REDIS_URL) and a
 * Redis Cluster (TEST_REDIS_CLUSTER_NODES → REDIS_CLUSTER_NODES in the worker's and the producer's
 * config). Scheduling, reschedule, cancel, the reconciler after the queue's keys are lost, two
 * workers, and the other users of Redis — the send rate limit, the token refresh lock, the queue
 * readings, the eviction policy check and the notification delivery queue — run through the same
 * code on both. Every key a test writes is under its own `{prefix}`.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.ts';
import { openDashboardQueues } from '../../src/app/admin-queues.ts';
import { createServices } from '../../src/app/create-services.ts';
import { startNotifications } from '../../src/app/start-notifications.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { bullPrefix, postJobId } from '../../src/queue/queue-names.ts';
import {
  closeRedisConnection,
  createRedisConnection,
  isClusterClient,
  readEvictionPolicies,
} from '../../src/queue/redis-options.ts';
import { createRedisRefreshLock } from '../../src/queue/refresh-lock.ts';
import { createSendRateLimit } from '../../src/queue/send-rate-limit.ts';
import { generateWebhookSecret } from '../../src/net/standard-webhooks.ts';
import { createFakeRegistry } from '../fakes/fake-publisher.ts';
import { createBackendHarness } from '../support/backend-harness.ts';
import { startWebhookReceiver } from '../support/notify-fixtures.ts';
import {
  announceRedisClusterSkip,
  redisBackends,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
} from '../support/test-redis.ts';
import type { RedisBackend } from '../support/test-redis.ts';
import { waitFor } from '../support/wait-for.ts';
import type { WorkerHarness } from '../support/worker-harness.ts';
import { createCreator, schedulePost, waitForPostSettled } from '../support/worker-fixtures.ts';

announceRedisClusterSkip();

for (const backend of redisBackends()) backendSuite(backend);

function backendSuite(backend: RedisBackend) {
  describe(`worker and queues on Redis (${backend.name})`, { skip: backend.skip }, () => {
    let harness: WorkerHarness | null = null;
    const cleanups: (() => Promise<unknown>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
      await harness?.stop();
      harness = null;
    });

    it(`gives the worker ${backend.name === 'cluster' ? 'a cluster client' : 'one server'} from the config`, async () => {
      harness = await createBackendHarness(backend);
      assert.equal(harness.config.redis.kind, backend.name);
      const client = backend.connect();
      cleanups.push(() => closeRedisConnection(client));
      await client.ping();
      assert.equal(isClusterClient(client), backend.name === 'cluster');
      // The eviction check asks every server that may hold keys: each master of a cluster.
      const policies = await readEvictionPolicies(client);
      const masters = isClusterClient(client)
        ? Number(/^cluster_size:(\d+)/m.exec(String(await client.cluster('INFO')))?.[1])
        : 1;
      assert.equal(policies.length, masters);
      assert.ok(policies.every((p) => p.policy === 'noeviction'), JSON.stringify(policies));
      assert.equal(harness.lines.filter((l) => /maxmemory-policy/.test(l.msg)).length, 0);
    });

    it('publishes a scheduled post at its time on every target', async () => {
      harness = await createBackendHarness(backend);
      const { store, producer, publishers } = harness;
      const post = await schedulePost(store, producer, await createCreator(store), { inMs: 300 });
      // The job is on this backend, and on no other: the cluster run never falls back to REDIS_URL.
      const here = backend.connect();
      const single = createRedisConnection(TEST_REDIS_URL, 'worker');
      cleanups.push(() => closeRedisConnection(here), () => closeRedisConnection(single));
      const jobKey = producer.queue.toKey(postJobId(post.id, 1));
      assert.equal(await here.exists(jobKey), 1);
      if (backend.name === 'cluster') {
        assert.equal(await single.exists(jobKey), 0, 'the job went to REDIS_URL');
      }
      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.status, 'published');
      for (const target of done.targets) {
        assert.equal(publishers[target.platform].sentCount(target.id), 1);
        assert.ok(publishers[target.platform].calls[0]!.at >= post.scheduledAt.getTime(), 'sent early');
      }
    });

    it('publishes only the rescheduled version, at its new time', async () => {
      harness = await createBackendHarness(backend);
      const { store, producer, publishers } = harness;
      const creator = await createCreator(store);
      const post = await schedulePost(store, producer, creator, { inMs: 200, platforms: ['x'] });
      const edited = await store.updatePost(post.id, creator.userId, {
        text: 'the rescheduled text',
        scheduledAt: new Date(Date.now() + 600),
      });
      await producer.reschedule(edited);
      assert.equal(
        await producer.queue.getJob(postJobId(post.id, 1)),
        undefined,
        'the v1 job is still queued',
      );

      assert.equal(await harness.postJobOutcome(postJobId(post.id, 2)), 'fanned_out');
      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.status, 'published');
      assert.equal(publishers.x.calls.length, 1);
      assert.equal(publishers.x.calls[0]!.textLength, 'the rescheduled text'.length);
      assert.ok(publishers.x.calls[0]!.at >= edited.scheduledAt.getTime(), 'sent at the old time');
    });

    it('removes a cancelled post’s job and publishes nothing of it', async () => {
      harness = await createBackendHarness(backend);
      const { store, producer, publishers } = harness;
      const creator = await createCreator(store);
      const cancelled = await schedulePost(store, producer, creator, { inMs: 200, platforms: ['x'] });
      await producer.cancel(await store.cancelPost(cancelled.id, creator.userId));
      assert.equal(await producer.queue.getJob(postJobId(cancelled.id, 1)), undefined);
      // A post due after it: once it is out, the cancelled one's time has long passed.
      const later = await schedulePost(store, producer, creator, { inMs: 400, platforms: ['x'] });
      assert.equal((await waitForPostSettled(store, later.id)).status, 'published');
      assert.deepEqual(publishers.x.calls.map((c) => c.postId), [later.id]);
      assert.equal((await store.getPost(cancelled.id))!.status, 'cancelled');
    });

    it('restores every scheduled post after the prefix’s keys are lost, with two workers reconciling', async () => {
      harness = await createBackendHarness(backend, { env: { RECONCILE_INTERVAL_MS: '250' } });
      await harness.addWorker();
      const { store, producer, publishers } = harness;
      const creator = await createCreator(store);
      const posts = [];
      for (let i = 0; i < 4; i++) {
        posts.push(await schedulePost(store, producer, creator, { inMs: 1500 + i * 50 }));
      }
      const counts = await producer.queue.getJobCounts('delayed');
      assert.equal(counts.delayed, 4);

      // Only this test's keys: on a cluster, those on the master that owns the prefix's slot. (No count
      // after it: the reconcilers, every 250 ms, may have restored some already.)
      assert.ok((await backend.deletePrefixKeys(harness.prefix)) >= 4);

      const done = await Promise.all(posts.map((p) => waitForPostSettled(store, p.id)));
      assert.ok(done.every((p) => p.status === 'published'));
      for (const post of done) {
        for (const t of post.targets) assert.equal(publishers[t.platform].sentCount(t.id), 1);
      }
      const restored = harness.lines.filter((l) => l.msg === 'post job was missing from the queue; restored');
      assert.ok(restored.length >= 4, `restored ${restored.length}`);
    });

    it('never publishes a target twice with two workers and duplicate post jobs', async () => {
      const slow = { script: () => ({ do: 'succeed' as const, afterMs: 15 }) };
      harness = await createBackendHarness(backend, {
        publishers: createFakeRegistry({ x: slow, linkedin: slow, instagram: slow }),
      });
      await harness.addWorker();
      const { store, producer, publishers } = harness;
      const creator = await createCreator(store);
      const posts = [];
      for (let i = 0; i < 8; i++) {
        const post = await schedulePost(store, producer, creator, { inMs: 200 });
        await producer.queue.add('post', { p: post.id, v: post.version }, {
          jobId: `dup-${post.id}`,
          delay: 200,
        });
        posts.push(post);
      }
      const done = await Promise.all(posts.map((p) => waitForPostSettled(store, p.id)));
      assert.ok(done.every((p) => p.status === 'published'));
      for (const post of done) {
        for (const t of post.targets) assert.equal(publishers[t.platform].sentCount(t.id), 1);
      }
      const ready = new Set(harness.lines.filter((l) => l.msg === 'worker ready').map((l) => l.workerId));
      assert.equal(ready.size, 2);
    });

    it('reads the queues for /metrics and keeps the worker ready', async () => {
      harness = await createBackendHarness(backend);
      const { store, producer } = harness;
      await schedulePost(store, producer, await createCreator(store), { inMs: 60_000, platforms: ['x'] });
      const worker = harness.workers[0]!;
      const readings = await waitFor(() => worker.queueReadings(), { what: 'queue readings' });
      assert.equal(readings.find((r) => r.queue === 'posts')?.counts.delayed, 1);
      // The heartbeat's keyed probe answered (on a cluster, from the master holding the prefix).
      await waitFor(() => (worker.health().redisSilentForMs ?? Infinity) < 1500, { what: 'a heartbeat' });
      assert.equal(worker.health().redisConnected, true);
    });

    it('bounds sends with the rate limit and serialises refreshes with the lock, in the prefix’s slot', async () => {
      const client = backend.connect();
      const queuePrefix = uniqueQueuePrefix('rl');
      cleanups.push(() => backend.deletePrefixKeys(queuePrefix), () => closeRedisConnection(client));
      const prefix = bullPrefix(queuePrefix);
      const rate = createSendRateLimit({ redis: client, prefix, max: 2, durationMs: 60_000 });
      assert.equal(await rate.take(), 0);
      assert.equal(await rate.take(), 0);
      assert.ok((await rate.take()) > 0, 'a third send within the window was let through');

      const lock = createRedisRefreshLock({ redis: client, prefix, ttlMs: 5000, pollMs: 10 });
      const order: string[] = [];
      await Promise.all(['a', 'b'].map((who) =>
        lock.withLock('account-1', async () => {
          order.push(`${who} in`);
          await new Promise((resolve) => setTimeout(resolve, 50));
          order.push(`${who} out`);
        })
      ));
      assert.deepEqual(order.map((s) => s.split(' ')[1]), ['in', 'out', 'in', 'out'], order.join(', '));
    });

    it('delivers a notification through the services’ delivery queue and the worker’s delivery worker', async () => {
      const queuePrefix = uniqueQueuePrefix('nd');
      const config = loadConfig({
        ...backend.env,
        QUEUE_PREFIX: queuePrefix,
        USE_MOCK_DB: 'true',
        NOTIFY_ALLOW_PRIVATE_HOSTS: 'true',
        LOG_LEVEL: 'silent',
      });
      assert.equal(config.redis.kind, backend.name);
      const services = createServices(config, { logger: createLogger({ level: 'silent' }) });
      const receiver = await startWebhookReceiver(() => ({ status: 204 }));
      // What the worker process starts (run-worker.ts): the delivery worker on the config's Redis.
      const notifications = await startNotifications(services);
      // Last first: the delivery worker stops before the services, the keys go once nothing uses them.
      cleanups.push(
        () => backend.deletePrefixKeys(queuePrefix),
        () => receiver.close(),
        () => services.close(),
        () => notifications.close(),
      );
      const store = await services.notificationStore();
      const userId = crypto.randomUUID();
      const endpoint = await store.createEndpoint({
        userId,
        url: receiver.url,
        secret: generateWebhookSecret(),
        events: ['target.failed'],
      });
      const { notification } = await store.insertNotification({
        userId,
        postId: crypto.randomUUID(),
        targetId: crypto.randomUUID(),
        kind: 'target.failed',
        title: 'Publishing to X failed',
        body: 'auth_expired',
        link: null,
        eventKey: `cluster-test:${crypto.randomUUID()}`,
      });
      await services.deliveryQueue('worker').enqueueAll([{
        endpointId: endpoint.id,
        notificationId: notification.id,
      }]);
      await receiver.waitForRequests(1);
      assert.equal(receiver.received[0]!.headers['webhook-id'], `msg_${notification.id}`);
      assert.equal(isClusterClient(await services.redis('worker')), backend.name === 'cluster');
      // The queue dashboard reads the same queue through the API's fail-fast producer connection.
      const dashboard = openDashboardQueues(await services.redis('producer'), queuePrefix);
      cleanups.push(() => dashboard.close());
      const deliveries = dashboard.queues.find(({ queue }) => queue.name === 'notify-delivery')!.queue;
      await waitFor(async () => (await deliveries.getJobCounts('completed')).completed === 1, {
        what: 'the delivery job completed, as the dashboard reads it',
      });
    });
  });
}
