/**
 * The worker's HTTP endpoint (WORKER_HTTP_PORT) on the real entry process — src/entry/node-worker.ts
 * under Node, src/entry/deno-worker.ts under Deno — with a throw-away Postgres database, a redis-server
 * of the test's own (it is stopped and started again) and the sandbox platforms: /health and /ready,
 * /ready turning 503 while Redis is away and 200 once it is back, /metrics counting what the run
 * published, and /ready turning 503 at once on SIGTERM while active publishes finish.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { connectDemoAccounts } from '../../src/dev/demo-accounts.ts';
import type { DemoAccounts } from '../../src/dev/demo-accounts.ts';
import type { Platform } from '../../src/domain/platform.ts';
import type { Post } from '../../src/domain/post.ts';
import { createBullPostScheduler } from '../../src/queue/bull-post-scheduler.ts';
import type { BullPostScheduler } from '../../src/queue/bull-post-scheduler.ts';
import { startSandbox } from '../../src/sandbox/start-sandbox.ts';
import type { RunningSandbox } from '../../src/sandbox/start-sandbox.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import { ownRedisSkip, startOwnRedis } from '../support/own-redis.ts';
import type { OwnRedis } from '../support/own-redis.ts';
import { parseSamples, sampleValue } from '../support/prometheus-text.ts';
import type { Sample } from '../support/prometheus-text.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';
import { uniqueQueuePrefix } from '../support/test-redis.ts';
import { waitFor } from '../support/wait-for.ts';
import { waitForPostSettled } from '../support/worker-fixtures.ts';
import { spawnWorkerEntry } from '../support/worker-entry-process.ts';
import type { WorkerEntryProcess } from '../support/worker-entry-process.ts';

announcePostgresSkip();

describe('the worker http endpoint', { skip: postgresSkip || ownRedisSkip, timeout: 180_000 }, () => {
  let db: TestDatabase;
  let store: PostStore;
  let redis: OwnRedis;
  let producerConnection: Redis;
  let producer: BullPostScheduler;
  let sandbox: RunningSandbox;
  let accounts: DemoAccounts;
  let userId: string;
  let worker: WorkerEntryProcess;
  let base: string;
  const posts: Post[] = [];

  before(async () => {
    db = await createTestDatabase();
    const key = randomKey();
    store = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(key) });
    redis = await startOwnRedis();
    sandbox = await startSandbox({ port: 0 });
    // The sample media is served over http; Instagram normally wants https.
    sandbox.sandbox.knobs.setSettings({ 'instagram.requireHttps': false });
    userId = await createUser(db.sql);
    accounts = await connectDemoAccounts(store, sandbox.sandbox, userId);
    const prefix = uniqueQueuePrefix('http');
    producerConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
    producerConnection.on('error', () => {}); // Redis is stopped on purpose below
    producer = createBullPostScheduler({ connection: producerConnection, queuePrefix: prefix });

    worker = spawnWorkerEntry({
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      DATABASE_URL: db.url,
      USE_MOCK_DB: 'false',
      TOKEN_ENCRYPTION_KEY: btoa(String.fromCharCode(...key)),
      X_API_BASE_URL: `${sandbox.url}/x`,
      INSTAGRAM_API_BASE_URL: `${sandbox.url}/instagram`,
      LINKEDIN_API_BASE_URL: `${sandbox.url}/linkedin`,
      LINKEDIN_OAUTH_BASE_URL: `${sandbox.url}/linkedin`,
      MEDIA_ALLOW_PRIVATE_HOSTS: 'true',
      WORKER_HTTP_PORT: '0',
      LOG_LEVEL: 'info',
      PUBLISH_TIMEOUT_MS: '10000',
      STUCK_AFTER_MS: '30000',
      PUBLISH_BACKOFF_MS: '100',
      PUBLISH_BACKOFF_MAX_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '20000',
    });
    const listening = await worker.waitForLog('worker http listening (/health, /ready, /metrics)');
    base = String(listening.url);
    await worker.waitForLog('worker ready');
  });

  after(async () => {
    if (worker?.running()) worker.kill('SIGKILL');
    await worker?.exited;
    await producer?.close();
    producerConnection?.disconnect();
    await redis?.stop();
    await sandbox?.close();
    await db?.drop();
  });

  async function schedule(platforms: Platform[], text: string, inMs = 0): Promise<Post> {
    const post = await store.createPost({
      userId,
      text,
      media: [{ url: `${sandbox.url}/_sandbox/media/sample.jpg`, altText: 'A sample picture' }],
      scheduledAt: new Date(Date.now() + inMs),
      accountIds: platforms.map((p) => accounts[p].id),
    });
    await producer.schedule(post);
    posts.push(post);
    return post;
  }

  async function scrape(): Promise<Sample[]> {
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parseSamples(await response.text());
  }

  it('listens on 127.0.0.1 and answers /health and, once consuming, /ready with 200', async () => {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await waitFor(async () => {
      const response = await fetch(`${base}/ready`);
      return response.status === 200 ? response : null;
    }, { what: '/ready 200' });
    assert.deepEqual(await ready.json(), {
      status: 'ready',
      parts: { worker: true, redis: true, database: true },
    });
    const unknown = await fetch(`${base}/posts`);
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).code, 'route_not_found');
  });

  it('counts in /metrics exactly what the run published, retried and failed, by platform', async () => {
    const knobs = sandbox.sandbox.knobs;
    // LinkedIn answers the first send 503 (retried, then published); X refuses one send for good.
    knobs.injectFault({
      platform: 'linkedin',
      mode: 'status',
      status: 503,
      method: 'POST',
      path: '/rest/posts',
    });
    knobs.injectFault({ platform: 'x', mode: 'status', status: 403, method: 'POST', path: '/2/tweets' });
    const run = [
      await schedule(['x', 'instagram', 'linkedin'], `metrics run one ${crypto.randomUUID().slice(0, 8)}`),
      await schedule(['x', 'linkedin'], `metrics run two ${crypto.randomUUID().slice(0, 8)}`),
      await schedule(['instagram'], `metrics run three ${crypto.randomUUID().slice(0, 8)}`),
    ];
    const later = await schedule(['x'], `due in an hour ${crypto.randomUUID().slice(0, 8)}`, 3_600_000);
    const settled = await Promise.all(run.map((p) => waitForPostSettled(store, p.id, 60_000)));

    // The attempt log is the oracle: one record per settled run, as the metrics count them.
    const expected = new Map<string, number>();
    const sends = new Map<Platform, number>();
    for (const target of settled.flatMap((p) => p.targets)) {
      for (const attempt of await store.listAttempts(target.id)) {
        const outcome = attempt.outcome === 'reconciled' ? 'adopted' : attempt.outcome;
        const coded = outcome === 'failed' || outcome === 'retrying' || outcome === 'deferred';
        const key = `${target.platform}/${outcome}/${coded ? attempt.errorCode : ''}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
        sends.set(target.platform, (sends.get(target.platform) ?? 0) + 1);
      }
    }
    assert.ok(expected.get('linkedin/retrying/platform_unavailable'), 'the 503 was retried');
    assert.ok([...expected.keys()].some((k) => k.startsWith('x/failed/')), 'the 403 failed the X target');
    assert.equal(expected.get('linkedin/published/'), 2);
    assert.equal(expected.get('instagram/published/'), 2);
    assert.equal(expected.get('x/published/'), 1);

    const samples = await scrape();
    const counted = new Map(
      samples
        .filter((s) => s.name === 'solospark_publishes_total' && s.value > 0)
        .map((s) => [`${s.labels.platform}/${s.labels.outcome}/${s.labels.code ?? ''}`, s.value]),
    );
    assert.deepEqual(counted, expected);
    for (const platform of ['x', 'instagram', 'linkedin'] as const) {
      assert.equal(
        sampleValue(samples, 'solospark_publish_duration_seconds_count', { platform }),
        sends.get(platform),
        `one duration per ${platform} send`,
      );
    }
    assert.equal(sampleValue(samples, 'solospark_publish_start_lateness_seconds_count'), run.length);
    assert.ok(sampleValue(samples, 'solospark_publish_start_lateness_seconds_sum')! < 30 * run.length);
    assert.equal(sampleValue(samples, 'solospark_queue_jobs', { queue: 'posts', state: 'delayed' }), 1);
    assert.equal(sampleValue(samples, 'solospark_queue_oldest_due_job_age_seconds', { queue: 'posts' }), 0);
    assert.equal(sampleValue(samples, 'solospark_queue_jobs', { queue: 'publish', state: 'waiting' }), 0);
    assert.equal(
      typeof sampleValue(samples, 'solospark_queue_jobs', { queue: 'notify-delivery', state: 'waiting' }),
      'number',
      'the delivery queue is shown too',
    );
    assert.equal(sampleValue(samples, 'solospark_worker_ready'), 1);
    assert.equal((await store.getPost(later.id))?.status, 'scheduled');
  });

  it('answers /ready 503 naming Redis while Redis is stopped, and 200 once it is back', async () => {
    await redis.stop();
    const down = await waitFor(async () => {
      const response = await fetch(`${base}/ready`);
      return response.status === 503 ? response : null;
    }, { timeoutMs: 10_000, what: '/ready 503 after Redis stopped' });
    assert.equal(down.headers.get('content-type'), 'application/problem+json');
    const problem = await down.json();
    assert.equal(problem.code, 'not_ready');
    assert.equal(problem.status, 503);
    assert.deepEqual(problem.parts, { worker: true, redis: false, database: true });
    assert.match(problem.detail, /Redis/);
    assert.equal((await fetch(`${base}/health`)).status, 200, 'liveness does not depend on Redis');

    const samples = await scrape();
    assert.equal(sampleValue(samples, 'solospark_worker_ready'), 0);
    assert.equal(sampleValue(samples, 'solospark_worker_dependency_up', { dependency: 'redis' }), 0);
    assert.equal(samples.filter((s) => s.name === 'solospark_queue_jobs').length, 0, 'no stale queue depth');

    await redis.start();
    await waitFor(async () => (await fetch(`${base}/ready`)).status === 200, {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: '/ready 200 after Redis came back',
    });
  });

  it('turns /ready to 503 at once on SIGTERM while an active publish finishes, then exits 0', async () => {
    const knobs = sandbox.sandbox.knobs;
    knobs.setLatency(3000, 'x');
    const sends = () =>
      knobs.requests('x').filter((r) => r.method === 'POST' && r.path === '/2/tweets').length;
    const sentBefore = sends();
    // Redis came back empty, so this is the only job in the queue: the post goes out at once.
    const post = await schedule(['x'], `published during shutdown ${crypto.randomUUID().slice(0, 8)}`);
    await waitFor(() => sends() > sentBefore, { timeoutMs: 20_000, what: 'the send to reach the sandbox' });
    worker.kill('SIGTERM');
    await worker.waitForLog('signal received; shutting down gracefully (send it again to exit at once)');
    const response = await fetch(`${base}/ready`);
    assert.equal(response.status, 503);
    const problem = await response.json();
    assert.equal(problem.shuttingDown, true);
    assert.match(problem.detail, /shutting down/);

    assert.equal(await worker.exited, 0);
    knobs.setLatency(0, 'x');
    assert.equal((await store.getPost(post.id))?.status, 'published', 'the active publish finished');
  });
});

describe('the worker http endpoint at start-up', () => {
  it('exits 1 before connecting anything when WORKER_HTTP_PORT is taken, naming the port', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const worker = spawnWorkerEntry({ WORKER_HTTP_PORT: String(port), REDIS_URL: 'redis://127.0.0.1:1' });
      assert.equal(await worker.exited, 1);
      assert.match(
        worker.stderr(),
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} for WORKER_HTTP_PORT`),
      );
      assert.ok(!worker.lines.some((l) => l.msg === 'worker ready'));
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
