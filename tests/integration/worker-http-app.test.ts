/**
 * The worker's HTTP app in-process (app.request, no port): a worker on the test Redis with a unique
 * prefix, the memory store and fake publishers. What the process test (worker-http.test.ts) cannot
 * easily make happen: a database that stops answering, a job no worker has started, a reconcile pass.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createPrometheusMetrics } from '../../src/observability/prometheus-metrics.ts';
import type { PrometheusMetrics } from '../../src/observability/prometheus-metrics.ts';
import { bullPrefix } from '../../src/queue/queue-names.ts';
import { readQueueSnapshot } from '../../src/queue/queue-snapshot.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { startWorker } from '../../src/worker/start-worker.ts';
import type { RunningWorker } from '../../src/worker/start-worker.ts';
import { createWorkerHttpApp } from '../../src/worker/worker-http-app.ts';
import { createWorkerReadiness } from '../../src/worker/worker-readiness.ts';
import { createFakeRegistry } from '../fakes/fake-publisher.ts';
import { parseSamples, sampleValue } from '../support/prometheus-text.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-redis.ts';
import {
  createCreator,
  createMemoryLogger,
  createTestMemoryStore,
  deletePrefixKeys,
  schedulePost,
  testConfig,
  waitForPostSettled,
} from '../support/worker-fixtures.ts';

describe('the worker http app', () => {
  const prefixes: string[] = [];
  let worker: RunningWorker | null = null;
  let store: PostStore | null = null;

  afterEach(async () => {
    await worker?.close();
    worker = null;
    await store?.close();
    store = null;
  });
  after(async () => {
    for (const prefix of prefixes) await deletePrefixKeys(prefix);
  });

  async function setUp(options: { databaseDown?: boolean } = {}) {
    const prefix = uniqueQueuePrefix('whttp');
    prefixes.push(prefix);
    const config = testConfig(prefix);
    const memory = await createTestMemoryStore();
    store = memory;
    const { logger, lines } = createMemoryLogger();
    const metrics = createPrometheusMetrics({ defaultMetrics: false });
    const running = await startWorker(config, {
      store: memory,
      publishers: createFakeRegistry(),
      logger,
      metrics,
    });
    worker = running;
    const readiness = createWorkerReadiness({
      health: () => running.health(),
      pingDatabase: options.databaseDown
        ? () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'))
        : () => memory.ping(),
    });
    const app = createWorkerHttpApp({
      readiness,
      metrics,
      queueReadings: () => running.queueReadings(),
      logger,
    });
    return { app, prefix, store: memory, worker: running, metrics, lines };
  }

  it('answers /ready 503 naming the database when it does not answer, and says so once in the log', async () => {
    const { app, lines } = await setUp({ databaseDown: true });
    const response = await app.request('/ready');
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '5');
    const problem = await response.json();
    assert.equal(problem.type, 'urn:solospark:problem:not_ready');
    assert.deepEqual(problem.parts, { worker: true, redis: true, database: false });
    assert.match(problem.detail, /the database does not answer: connect ECONNREFUSED/);
    await app.request('/ready');
    assert.equal(lines.filter((l) => l.msg === 'worker not ready').length, 1);

    const samples = parseSamples(await (await app.request('/metrics')).text());
    assert.equal(sampleValue(samples, 'solospark_worker_dependency_up', { dependency: 'database' }), 0);
    assert.equal(sampleValue(samples, 'solospark_worker_ready'), 0);
  });

  it('turns /ready to 503 once the worker is closed', async () => {
    const { app, worker: running } = await setUp();
    assert.equal((await app.request('/ready')).status, 200);
    await running.close();
    worker = null;
    const problem = await (await app.request('/ready')).json();
    assert.equal(problem.parts.worker, false);
    assert.match(problem.detail, /queue workers are not running/);
  });

  it('counts a published post and the lateness of its start', async () => {
    const { app, store: memory } = await setUp();
    const creator = await createCreator(memory);
    const producerConnection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const { createBullPostScheduler } = await import('../../src/queue/bull-post-scheduler.ts');
    const producer = createBullPostScheduler({
      connection: producerConnection,
      queuePrefix: prefixes.at(-1)!,
    });
    try {
      const post = await schedulePost(memory, producer, creator, { platforms: ['x', 'linkedin'] });
      await waitForPostSettled(memory, post.id);
    } finally {
      await producer.close();
      await producerConnection.quit();
    }
    const samples = parseSamples(await (await app.request('/metrics')).text());
    assert.equal(
      sampleValue(samples, 'solospark_publishes_total', { platform: 'x', outcome: 'published' }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'solospark_publishes_total', { platform: 'linkedin', outcome: 'published' }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'solospark_publishes_total', { platform: 'instagram', outcome: 'published' }),
      0,
    );
    assert.equal(sampleValue(samples, 'solospark_publish_start_lateness_seconds_count'), 1);
  });

  it(
    'counts what a reconcile pass repaired: a post whose job was lost is re-enqueued',
    async () => {
      const { app, store: memory, worker: running } = await setUp();
      const creator = await createCreator(memory);
      // Stored but never enqueued: what Redis losing its data, or a failed enqueue, leaves behind.
      await memory.createPost({
        userId: creator.userId,
        text: 'a post whose job was lost',
        media: [],
        scheduledAt: new Date(Date.now() + 3_600_000),
        accountIds: [creator.accounts.x.id],
      });
      const report = await running.reconcile();
      assert.equal(report.restored, 1);
      const samples = parseSamples(await (await app.request('/metrics')).text());
      assert.equal(sampleValue(samples, 'solospark_reconciler_actions_total', { kind: 'post_requeued' }), 1);
    },
  );
});

describe('queue snapshot', () => {
  const prefix = uniqueQueuePrefix('qsnap');
  const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('posts', { connection, prefix: bullPrefix(prefix) });
  let metrics: PrometheusMetrics;

  after(async () => {
    await queue.close();
    await deletePrefixKeys(prefix);
    await connection.quit();
  });

  it('reports the age of the oldest due job no worker started, delayed or waiting, and ignores the future', async () => {
    const addedAt = Date.now();
    await queue.add('post', {}, { jobId: 'due-soon', delay: 1_000 });
    await queue.add('post', {}, { jobId: 'due-later', delay: 3_600_000 });
    const early = await readQueueSnapshot(queue, connection, addedAt);
    assert.deepEqual(early.counts, { waiting: 0, delayed: 2, active: 0, failed: 0 });
    assert.equal(early.oldestDueAgeMs, 0, 'nothing is due yet');

    // Two minutes on, with no worker: the first job has been due for about 119 s, still delayed.
    const later = await readQueueSnapshot(queue, connection, addedAt + 120_000);
    assert.ok(Math.abs(later.oldestDueAgeMs - 119_000) < 2_000, `got ${later.oldestDueAgeMs}`);

    // A job added due at once waits in the wait list; it is older than the delayed one's due time.
    await queue.add('post', {}, { jobId: 'due-now' });
    // Read after the add: the job's timestamp is taken inside it, so it is at most this (a clock read
    // before the add made the age 999 ms when the add took longer than a millisecond).
    const waitingSince = Date.now();
    const withWaiting = await readQueueSnapshot(queue, connection, waitingSince + 1_000);
    assert.equal(withWaiting.counts.waiting, 1);
    assert.ok(withWaiting.oldestDueAgeMs >= 1_000 && withWaiting.oldestDueAgeMs < 3_000);

    metrics = createPrometheusMetrics({ defaultMetrics: false });
    const samples = parseSamples(
      await metrics.render({ queues: [later], ready: true, parts: {} }),
    );
    assert.ok(sampleValue(samples, 'solospark_queue_oldest_due_job_age_seconds', { queue: 'posts' })! > 117);
  });
});
