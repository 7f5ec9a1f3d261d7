import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Post } from '../../src/domain/post.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import { postJobId } from '../../src/queue/queue-names.ts';
import { createFakeRegistry } from '../fakes/fake-publisher.ts';
import { createWorkerHarness } from '../support/worker-harness.ts';
import type { WorkerHarness } from '../support/worker-harness.ts';
import {
  createCreator,
  createTestMemoryStore,
  deletePrefixKeys,
  schedulePost,
  waitForPostSettled,
} from '../support/worker-fixtures.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';

announcePostgresSkip();

let harness: WorkerHarness | null = null;
afterEach(async () => {
  await harness?.stop();
  harness = null;
});

async function countJobs(h: WorkerHarness): Promise<number> {
  const states = await h.producer.queue.getJobCounts('delayed', 'wait', 'active');
  return states.delayed! + states.wait! + states.active!;
}

describe('reconciler', () => {
  it('restores every scheduled post after the queue keys are deleted, with two workers reconciling at once', async () => {
    harness = await createWorkerHarness({ env: { RECONCILE_INTERVAL_MS: '250' } });
    await harness.addWorker();
    const { store, producer, publishers } = harness;
    const creator = await createCreator(store);
    const posts: Post[] = [];
    for (let i = 0; i < 6; i++) {
      posts.push(await schedulePost(store, producer, creator, { inMs: 1500 + i * 50 }));
    }
    assert.equal(await countJobs(harness), 6);

    // Redis loses everything of this queue (only this test's prefix).
    assert.ok((await deletePrefixKeys(harness.prefix)) >= 6);
    assert.equal(await countJobs(harness), 0);

    const done = await Promise.all(posts.map((p) => waitForPostSettled(store, p.id)));
    assert.ok(done.every((p) => p.status === 'published'));
    for (const post of done) {
      for (const t of post.targets) assert.equal(publishers[t.platform].sentCount(t.id), 1);
    }
    assert.ok(
      done.every((p, i) =>
        publishers.x.calls.find((c) => c.postId === p.id)!.at >= posts[i]!.scheduledAt.getTime()
      ),
    );
    const restored = harness.lines.filter((l) => l.msg === 'post job was missing from the queue; restored');
    assert.ok(restored.length >= 6, `restored ${restored.length}`);
  });

  it('fails a post overdue by more than MISSED_AFTER_MS as missed instead of sending it late', async () => {
    harness = await createWorkerHarness({ start: false, env: { MISSED_AFTER_MS: '60000' } });
    const { store, publishers } = harness;
    const creator = await createCreator(store);
    // Created while no worker ran and its job was lost: due two minutes ago.
    const post = await store.createPost({
      userId: creator.userId,
      text: 'too late',
      media: [],
      scheduledAt: new Date(Date.now() - 120_000),
      accountIds: [creator.accounts.x.id, creator.accounts.linkedin.id],
    });
    const recent = await store.createPost({
      userId: creator.userId,
      text: 'a little late',
      media: [],
      scheduledAt: new Date(Date.now() - 5_000),
      accountIds: [creator.accounts.x.id],
    });
    await harness.addWorker(); // the start-up pass sees both

    const missed = await waitForPostSettled(store, post.id);
    assert.equal(missed.status, 'failed');
    assert.equal(missed.errorCode, 'missed');
    assert.ok(missed.targets.every((t) => t.status === 'failed' && t.errorCode === 'missed'));
    assert.match(missed.errorMessage ?? '', /was not sent late/);
    assert.equal((await waitForPostSettled(store, recent.id)).status, 'published');
    assert.equal(publishers.x.calls.length, 1);
    assert.equal(publishers.x.calls[0]!.postId, recent.id);
  });

  it('fails a post as missed when its queued job comes due far too late', async () => {
    harness = await createWorkerHarness({ env: { MISSED_AFTER_MS: '60000' } });
    const { store, producer, publishers } = harness;
    const creator = await createCreator(store);
    const post = await store.createPost({
      userId: creator.userId,
      text: 'queued long ago',
      media: [],
      scheduledAt: new Date(Date.now() - 120_000),
      accountIds: [creator.accounts.x.id],
    });
    // The job was added when the post was scheduled, two minutes ago (the worker was down since).
    await producer.queue.add('post', { p: post.id, v: 1 }, {
      jobId: postJobId(post.id, 1),
      timestamp: Date.now() - 120_000,
    });
    assert.equal(await harness.postJobOutcome(postJobId(post.id, 1)), 'missed');
    assert.equal((await store.getPost(post.id))!.errorCode, 'missed');
    assert.equal(publishers.x.calls.length, 0);
  });

  it('recovers targets stuck in publishing: adopts live ones, re-sends confirmed unsent ones, marks the rest unconfirmed', async () => {
    // The store's clock is moved ahead below to age the claims: a minute by the store's clock, while
    // the worker's own clock stays put (claim ages are the store's to judge).
    let storeAhead = 0;
    harness = await createWorkerHarness({
      store: await createTestMemoryStore(() => new Date(Date.now() + storeAhead)),
      publishers: createFakeRegistry({ instagram: { reconcile: false } }),
      env: { STUCK_AFTER_MS: '1000', PUBLISH_TIMEOUT_MS: '500' },
    });
    const { store, publishers } = harness;
    const creator = await createCreator(store);
    const post = await store.createPost({
      userId: creator.userId,
      text: 'claimed by a worker that died',
      media: [],
      scheduledAt: new Date(Date.now() - 10_000),
      accountIds: [creator.accounts.x.id, creator.accounts.linkedin.id, creator.accounts.instagram.id],
    });
    // A worker claimed everything a minute ago and died; no job is left in the queue.
    assert.equal((await store.claimPost(post.id, 1)).outcome, 'claimed');
    for (const t of post.targets) assert.ok(await store.claimTarget(t.id));
    storeAhead = 60_000;
    const x = post.targets.find((t) => t.platform === 'x')!;
    publishers.x.live.set(x.id, [{ externalId: 'x-live-1', url: 'https://x.example.test/p/x-live-1' }]);

    const [a, b] = await Promise.all([harness.workers[0]!.reconcile(), harness.workers[0]!.reconcile()]);
    assert.equal(a.adopted + b.adopted, 1);
    assert.equal(a.requeued + b.requeued, 1);
    assert.equal(a.unconfirmed + b.unconfirmed, 1);

    const done = await waitForPostSettled(store, post.id);
    const by = Object.fromEntries(done.targets.map((t) => [t.platform, t]));
    assert.equal(by.x!.status, 'published');
    assert.equal(by.x!.externalId, 'x-live-1');
    assert.equal(publishers.x.calls.length, 0);
    assert.equal(by.linkedin!.status, 'published');
    assert.equal(publishers.linkedin.calls.length, 1);
    assert.equal(by.instagram!.status, 'unconfirmed');
    assert.equal(publishers.instagram.calls.length, 0);
    assert.equal(done.status, 'partially_published');
  });
});

describe('reconciler (postgres store)', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let store: PostStore;
  before(async () => {
    db = await createTestDatabase();
    store = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(randomKey()) });
  });
  after(async () => {
    await db?.drop();
  });

  it('restores scheduled posts from Postgres when a worker starts on an empty queue', async () => {
    harness = await createWorkerHarness({ store, start: false });
    const creator = await createCreator(store, await createUser(db.sql));
    const posts: Post[] = [];
    for (let i = 0; i < 3; i++) {
      posts.push(
        await store.createPost({
          userId: creator.userId,
          text: `never enqueued ${i}`,
          media: [],
          scheduledAt: new Date(Date.now() + 300),
          accountIds: [creator.accounts.x.id, creator.accounts.linkedin.id],
        }),
      );
    }
    await harness.addWorker();
    const done = await Promise.all(posts.map((p) => waitForPostSettled(store, p.id)));
    assert.ok(done.every((p) => p.status === 'published'));
    assert.equal(harness.publishers.x.calls.length, 3);
    assert.equal(harness.publishers.linkedin.calls.length, 3);
  });
});
