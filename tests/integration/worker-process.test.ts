/**
 * The worker as a process (Node, or Deno when the test runs under Deno), on Postgres and Redis, against
 * an HTTP fake platform: kill -9 in the middle of publishing, and SIGTERM during active publishes.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PostStore } from '../../src/store/post-store.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import { startFakePlatformServer } from '../fakes/fake-platform-server.ts';
import type { FakePlatformServer, PlatformBehaviour } from '../fakes/fake-platform-server.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';
import { TEST_REDIS_URL } from '../support/test-redis.ts';
import {
  createCreator,
  createTestProducer,
  deletePrefixKeys,
  schedulePost,
  uniqueQueuePrefix,
  waitForPostSettled,
} from '../support/worker-fixtures.ts';
import { spawnWorkerProcess } from '../support/worker-process.ts';
import type { WorkerProcess } from '../support/worker-process.ts';

announcePostgresSkip();

describe('worker process', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let store: PostStore;
  let keyBase64: string;
  let prefix: string;
  let platform: FakePlatformServer | null = null;
  let producer: ReturnType<typeof createTestProducer> | null = null;
  const children: WorkerProcess[] = [];

  before(async () => {
    db = await createTestDatabase();
    const key = randomKey();
    keyBase64 = btoa(String.fromCharCode(...key));
    store = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(key) });
  });
  after(async () => {
    await db?.drop();
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.running()) child.kill('SIGKILL');
      await child.exited;
    }
    await platform?.close();
    platform = null;
    await producer?.close();
    producer = null;
    await deletePrefixKeys(prefix);
  });

  async function setUp(behaviour: (platform: string, index: number) => PlatformBehaviour) {
    prefix = uniqueQueuePrefix('proc');
    platform = await startFakePlatformServer(behaviour);
    producer = createTestProducer(prefix);
    const creator = await createCreator(store, await createUser(db.sql));
    return creator;
  }

  function startChild(env: Record<string, string> = {}): WorkerProcess {
    const child = spawnWorkerProcess({
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      DATABASE_URL: db.url,
      USE_MOCK_DB: 'false',
      TOKEN_ENCRYPTION_KEY: keyBase64,
      FAKE_PLATFORM_URL: platform!.url,
      FAKE_RECONCILE: 'x,linkedin',
      LOG_LEVEL: 'info',
      PUBLISH_TIMEOUT_MS: '1000',
      PUBLISH_BACKOFF_MS: '100',
      STUCK_AFTER_MS: '20000',
      RECONCILE_INTERVAL_MS: '60000',
      SHUTDOWN_TIMEOUT_MS: '10000',
      ...env,
    });
    children.push(child);
    return child;
  }

  it('loses nothing and duplicates nothing when a worker is killed with SIGKILL mid-publish', async () => {
    const creator = await setUp((p, index) => {
      if (index > 0) return { do: 'ok' };
      if (p === 'x') return { do: 'hang-before-live' }; // nothing went out: safe to send again
      return { do: 'live-then-hang' }; // it went out, the answer never came
    });
    const first = startChild();
    await first.waitForLog('worker ready');
    const post = await schedulePost(store, producer!.queue, creator);
    await platform!.waitForRequests(3);
    first.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    const stranded = await store.getPost(post.id);
    assert.deepEqual(stranded!.targets.map((t) => t.status), ['publishing', 'publishing', 'publishing']);

    const second = startChild();
    await second.waitForLog('worker ready');
    const done = await waitForPostSettled(store, post.id, 30_000);
    const by = Object.fromEntries(done.targets.map((t) => [t.platform, t]));
    // x: the platform confirms nothing went out, so it is sent again — once.
    assert.equal(by.x!.status, 'published');
    assert.equal(platform!.sentCount(by.x!.id), 1);
    assert.equal(platform!.requests.filter((r) => r.targetId === by.x!.id).length, 2);
    // linkedin: it went out; reconcile finds it and adopts it without sending again.
    assert.equal(by.linkedin!.status, 'published');
    assert.equal(by.linkedin!.externalId, platform!.live.get(by.linkedin!.id)![0]);
    assert.equal(platform!.requests.filter((r) => r.targetId === by.linkedin!.id).length, 1);
    // instagram: the fake cannot reconcile: unconfirmed, never re-sent.
    assert.equal(by.instagram!.status, 'unconfirmed');
    assert.equal(by.instagram!.errorCode, 'outcome_unknown');
    assert.equal(platform!.requests.filter((r) => r.targetId === by.instagram!.id).length, 1);
    assert.equal(done.status, 'partially_published');
    assert.deepEqual((await store.listAttempts(by.linkedin!.id)).map((a) => a.outcome), ['reconciled']);
    assert.deepEqual((await store.listAttempts(by.x!.id)).map((a) => a.outcome), ['retrying', 'published']);

    second.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  });

  it('finishes active publishes on SIGTERM and exits 0', async () => {
    const creator = await setUp(() => ({ do: 'ok', delayMs: 1500 }));
    const worker = startChild({ PUBLISH_TIMEOUT_MS: '5000' });
    await worker.waitForLog('worker ready');
    const post = await schedulePost(store, producer!.queue, creator);
    await platform!.waitForRequests(3);
    worker.kill('SIGTERM');

    assert.equal(await worker.exited, 0);
    const done = await store.getPost(post.id);
    assert.equal(done!.status, 'published');
    assert.ok(done!.targets.every((t) => t.status === 'published'));
    assert.equal(platform!.requests.length, 3);
    const msgs = worker.lines.map((l) => l.msg);
    assert.ok(msgs.indexOf('worker shutting down') < msgs.indexOf('worker stopped'));
    assert.equal(worker.lines.find((l) => l.msg === 'shutdown complete')?.exitCode, 0);
  });

  it('shuts down gracefully and exits 1 when the database driver throws where nothing can catch it', async () => {
    const creator = await setUp(() => ({ do: 'ok', delayMs: 1500 }));
    const worker = startChild({ PUBLISH_TIMEOUT_MS: '5000', FAKE_DRIVER_CRASH_MS: '2500' });
    await worker.waitForLog('worker ready');
    const post = await schedulePost(store, producer!.queue, creator);
    await platform!.waitForRequests(3); // the sends are in flight when the driver throws

    assert.equal(await worker.exited, 1);
    const crash = worker.lines.find((l) => l.code === 'database_connection_lost');
    assert.ok(crash, 'the driver error is logged with its code');
    const done = await store.getPost(post.id);
    assert.equal(done!.status, 'published', 'the sends in flight finished and were recorded');
    assert.equal(worker.lines.find((l) => l.msg === 'shutdown complete')?.exitCode, 1);
  });

  it('exits non-zero with a reason when shutdown overruns, leaving no target publishing', async () => {
    const creator = await setUp(() => ({ do: 'live-then-hang' }));
    const worker = startChild({
      PUBLISH_TIMEOUT_MS: '8000',
      STUCK_AFTER_MS: '20000',
      SHUTDOWN_TIMEOUT_MS: '300',
    });
    await worker.waitForLog('worker ready');
    const post = await schedulePost(store, producer!.queue, creator, {
      platforms: ['linkedin', 'instagram'],
    });
    await platform!.waitForRequests(2);
    worker.kill('SIGTERM');

    assert.equal(await worker.exited, 1);
    assert.match(
      worker.stderr(),
      /shutdown overran: active publishes did not finish within SHUTDOWN_TIMEOUT_MS/,
    );
    const done = await store.getPost(post.id);
    const by = Object.fromEntries(done!.targets.map((t) => [t.platform, t.status]));
    // The aborted sends were reconciled (linkedin went live: adopted) or marked unconfirmed.
    assert.deepEqual(by, { linkedin: 'published', instagram: 'unconfirmed' });
  });
});

describe('worker process start-up', () => {
  it('exits 2 with every problem on stderr when the configuration is invalid', async () => {
    const worker = spawnWorkerProcess({ REDIS_URL: 'http://nope', PUBLISH_ATTEMPTS: 'many' });
    assert.equal(await worker.exited, 2);
    assert.match(worker.stderr(), /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
    assert.match(worker.stderr(), /PUBLISH_ATTEMPTS must be a whole number/);
    assert.doesNotMatch(worker.stderr(), /\n\s+at /, 'a stack trace was printed');
  });

  it('says what to start when Redis cannot be reached', async () => {
    const worker = spawnWorkerProcess({ REDIS_URL: 'redis://127.0.0.1:1', USE_MOCK_DB: 'true' });
    assert.equal(await worker.exited, 1);
    assert.match(worker.stderr(), /cannot reach Redis at 127\.0\.0\.1:1 .*start it/);
  });
});
