/**
 * The reconciler's second half of docs/operations.md invariant 1 (no lost post): a post that already left
 * `scheduled` must still finish when its publish jobs are gone — Redis lost its data after the fan-out,
 * or the enqueue after a retry of failed targets never happened — and a post whose targets are all
 * settled must get its final status even if the worker died before rolling it up. Every scenario runs
 * on the memory store and on Postgres, with real Redis under a unique prefix.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Post, PostTarget } from '../../src/domain/post.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createMemoryPostState } from '../../src/store/memory-post-state.ts';
import type { MemoryPostState } from '../../src/store/memory-post-state.ts';
import { createMemoryPostStore } from '../../src/store/memory-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import type { TokenCipher } from '../../src/store/token-cipher.ts';
import { unrollMemoryPost, unrollPostgresPost } from '../support/unroll-post.ts';
import { targetJobStates } from '../../src/queue/target-queue.ts';
import type { FakeStep } from '../fakes/fake-publisher.ts';
import { createFakeRegistry } from '../fakes/fake-publisher.ts';
import { createWorkerHarness } from '../support/worker-harness.ts';
import type { HarnessOptions, WorkerHarness } from '../support/worker-harness.ts';
import {
  createCreator,
  deletePrefixKeys,
  schedulePost,
  waitForPostSettled,
} from '../support/worker-fixtures.ts';
import type { Creator } from '../support/worker-fixtures.ts';
import { waitFor } from '../support/wait-for.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';

announcePostgresSkip();

const RESTORED_MSG = 'publish job of a pending target was missing from the queue; restored';

let harness: WorkerHarness | null = null;
afterEach(async () => {
  await harness?.stop();
  harness = null;
});

interface StoreSource {
  /** The store for the harness; undefined: the harness makes a memory store. */
  store(): PostStore | undefined;
  /** A user id the store accepts as an owner. */
  userId(): Promise<string>;
  /** Puts a rolled-up post back to `publishing`: what a worker that died before the roll-up leaves. */
  unrollPost(postId: string): Promise<void>;
}

function targetOn(post: Post, platform: PostTarget['platform']): PostTarget {
  return post.targets.find((t) => t.platform === platform)!;
}

function lostTargetScenarios(source: StoreSource) {
  async function start(options: Omit<HarnessOptions, 'store'> = {}) {
    const store = source.store();
    harness = await createWorkerHarness({ ...options, ...(store ? { store } : {}) });
    const creator: Creator = await createCreator(harness.store, await source.userId());
    return { h: harness, creator };
  }

  it('publishes every target of a fanned-out post after Redis loses the queue keys', async () => {
    const firstCall = (retry: FakeStep) => (_call: unknown, index: number) => index === 0 ? retry : undefined;
    const { h, creator } = await start({
      publishers: createFakeRegistry({
        x: {
          script: (call, index) =>
            index === 0 ? { do: 'fail', code: 'rate_limited', retryAt: new Date(call.at + 3000) } : undefined,
        },
        linkedin: { script: firstCall({ do: 'fail', code: 'platform_unavailable' }) },
      }),
      env: { PUBLISH_BACKOFF_MS: '4000', PUBLISH_BACKOFF_MAX_MS: '4000' },
      random: () => 0.5, // linkedin retries 3 s after its failure
    });
    const { store, publishers } = h;
    const worker = h.workers[0]!;
    const post = await schedulePost(store, h.producer, creator);
    const x = targetOn(post, 'x');
    const linkedin = targetOn(post, 'linkedin');
    const instagram = targetOn(post, 'instagram');

    // Fanned out: instagram went out, x is deferred (rate limit) and linkedin waits for its retry.
    await waitFor(async () => {
      const now = await store.getPost(post.id);
      return now?.status === 'publishing' && targetOn(now, 'instagram').status === 'published' &&
        targetOn(now, 'x').errorCode === 'rate_limited' &&
        targetOn(now, 'linkedin').errorCode === 'platform_unavailable';
    }, { what: 'the fan-out and the first attempts' });
    const ids = [x.id, linkedin.id];
    // A target sent inside its post job gets its own publish job only after its settle is recorded.
    await waitFor(
      async () => (await targetJobStates(worker.targetQueue, ids)).every((state) => state === 'present'),
      { what: 'a publish job for each target that comes again' },
    );

    // Redis loses everything of this queue (only this test's prefix) while the post is publishing.
    assert.ok((await deletePrefixKeys(h.prefix)) >= 2);
    assert.deepEqual(await targetJobStates(worker.targetQueue, ids), ['missing', 'missing']);

    const report = await worker.reconcile();
    assert.equal(report.targetsRestored, 2);
    const restored = h.lines.filter((l) => l.msg === RESTORED_MSG);
    assert.deepEqual(restored.map((l) => l.targetId).sort(), [...ids].sort());
    for (const line of restored) {
      assert.equal(line.postId, post.id);
      assert.ok(
        typeof line.delayMs === 'number' && line.delayMs > 0 && line.delayMs <= 3000,
        `due at the target's nextAttemptAt, not at once: ${line.delayMs}`,
      );
    }

    const done = await waitForPostSettled(store, post.id);
    assert.equal(done.status, 'published');
    for (const t of [x, linkedin, instagram]) {
      assert.equal(targetOn(done, t.platform).status, 'published', t.platform);
      assert.equal(publishers[t.platform].sentCount(t.id), 1, `${t.platform} went out once`);
    }
    assert.equal(publishers.instagram.calls.length, 1, 'a published target is never sent again');
    const [firstX, secondX] = publishers.x.calls;
    assert.ok(secondX!.at >= firstX!.at + 3000, 'x waited for its rate limit to reset');
  });

  it('publishes a retried post whose enqueue after retryFailedTargets never happened', async () => {
    const { h, creator } = await start({
      publishers: createFakeRegistry({ linkedin: { script: [{ do: 'fail', code: 'content_invalid' }] } }),
    });
    const { store, publishers } = h;
    const post = await schedulePost(store, h.producer, creator, { platforms: ['x', 'linkedin'] });
    assert.equal((await waitForPostSettled(store, post.id)).status, 'partially_published');

    // The creator retries; the API's enqueue after the commit fails (here: it never happens).
    const retried = await store.retryFailedTargets(post.id, creator.userId);
    assert.equal(retried.status, 'publishing');
    const linkedin = targetOn(retried, 'linkedin');
    assert.deepEqual(await targetJobStates(h.workers[0]!.targetQueue, [linkedin.id]), ['missing']);

    const report = await h.workers[0]!.reconcile();
    assert.equal(report.targetsRestored, 1, 'only the pending target; the published one needs no job');
    assert.equal(report.restored, 0, 'a publishing post is not re-scheduled');

    const done = await waitForPostSettled(store, post.id);
    assert.equal(done.status, 'published');
    assert.equal(done.version, 2);
    assert.equal(targetOn(done, 'linkedin').attempts, 1);
    assert.equal(publishers.linkedin.calls.length, 2);
    assert.equal(publishers.linkedin.sentCount(linkedin.id), 1);
    assert.equal(publishers.x.calls.length, 1, 'the published x target is not sent again');
  });

  it('rolls up a publishing post whose targets are all settled but never rolled up', async () => {
    const { h, creator } = await start();
    const { store, publishers } = h;
    /** A worker claimed and settled every target, then died before the roll-up. */
    async function settledWithoutRollUp(outcomes: ('published' | 'failed')[]): Promise<Post> {
      const post = await store.createPost({
        userId: creator.userId,
        text: 'settled, never rolled up',
        media: [],
        scheduledAt: new Date(Date.now() - 1000),
        accountIds: [creator.accounts.x.id, creator.accounts.linkedin.id],
      });
      assert.equal((await store.claimPost(post.id, 1)).outcome, 'claimed');
      for (const [i, outcome] of outcomes.entries()) {
        const held = await store.claimTarget(post.targets[i]!.id);
        const attempt = { startedAt: new Date(), finishedAt: new Date() };
        await store.settleTarget(
          held!.id,
          held!.claimToken!,
          outcome === 'published'
            ? { status: 'published', externalId: `ext-${held!.id}`, externalUrl: null }
            : { status: 'failed', errorCode: 'content_invalid', errorMessage: 'refused' },
          attempt,
        );
      }
      // The last settle rolled the post up; the worker died before that step.
      await source.unrollPost(post.id);
      const stuck = await store.getPost(post.id);
      assert.equal(stuck!.status, 'publishing');
      return stuck!;
    }
    const allPublished = await settledWithoutRollUp(['published', 'published']);
    const oneFailed = await settledWithoutRollUp(['published', 'failed']);

    const report = await h.workers[0]!.reconcile();
    assert.equal(report.rolledUp, 2);
    assert.equal(report.targetsRestored, 0);
    assert.equal((await store.getPost(allPublished.id))!.status, 'published');
    const partial = (await store.getPost(oneFailed.id))!;
    assert.equal(partial.status, 'partially_published');
    assert.equal(partial.errorCode, 'content_invalid');
    const rolled = h.lines.filter((l) =>
      l.msg === 'post was left publishing with every target settled; rolled up'
    );
    assert.deepEqual(rolled.map((l) => l.postId).sort(), [allPublished.id, oneFailed.id].sort());
    assert.equal(publishers.x.calls.length + publishers.linkedin.calls.length, 0, 'nothing was sent');
    assert.equal((await h.workers[0]!.reconcile()).rolledUp, 0, 'a second pass has nothing to do');
  });

  it('never sends a target twice when two workers reconcile lost jobs at once', async () => {
    const slow: FakeStep = { do: 'succeed', afterMs: 25 };
    const { h, creator } = await start({
      publishers: createFakeRegistry({
        x: { script: () => slow },
        linkedin: { script: () => slow },
        instagram: { script: () => slow },
      }),
    });
    const { store, publishers } = h;
    await h.addWorker();
    const [a, b] = h.workers;
    // Five posts claimed by a worker that fanned out into a Redis that then lost everything.
    const posts: Post[] = [];
    for (let i = 0; i < 5; i++) {
      const post = await store.createPost({
        userId: creator.userId,
        text: `lost fan-out ${i}`,
        media: [],
        scheduledAt: new Date(Date.now() - 500),
        accountIds: [creator.accounts.x.id, creator.accounts.linkedin.id, creator.accounts.instagram.id],
      });
      assert.equal((await store.claimPost(post.id, 1)).outcome, 'claimed');
      posts.push(post);
    }
    const targets = posts.flatMap((p) => p.targets);

    // Both reconcile at once, again and again while the restored jobs run.
    let restored = 0;
    for (let round = 0; round < 6; round++) {
      const [ra, rb] = await Promise.all([a!.reconcile(), b!.reconcile()]);
      restored += ra.targetsRestored + rb.targetsRestored;
    }
    assert.ok(restored >= targets.length, `restored ${restored} of ${targets.length}`);

    const done = await Promise.all(posts.map((p) => waitForPostSettled(store, p.id)));
    assert.ok(done.every((p) => p.status === 'published'));
    for (const t of targets) {
      const publisher = publishers[t.platform];
      assert.equal(publisher.sentCount(t.id), 1, `${t.platform} target ${t.id} went out once`);
      assert.equal(publisher.calls.filter((c) => c.targetId === t.id).length, 1, 'and was sent once');
    }
    const attempts = await Promise.all(targets.map((t) => store.listAttempts(t.id)));
    assert.ok(attempts.every((list) => list.length === 1), 'one attempt each');
  });
}

describe('reconciler: lost publish jobs (memory store)', () => {
  let cipher: TokenCipher;
  let state: MemoryPostState;
  before(async () => {
    cipher = await createTokenCipher(randomKey());
  });
  lostTargetScenarios({
    store: () => {
      state = createMemoryPostState();
      return createMemoryPostStore({ cipher, state });
    },
    userId: () => Promise.resolve(crypto.randomUUID()),
    unrollPost: (postId) => unrollMemoryPost(state, postId),
  });
});

describe('reconciler: lost publish jobs (postgres store)', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let store: PostStore;
  before(async () => {
    db = await createTestDatabase();
    store = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(randomKey()) });
  });
  after(async () => {
    await store?.close();
    await db?.drop();
  });

  lostTargetScenarios({
    store: () => store,
    userId: () => createUser(db.sql),
    unrollPost: (postId) => unrollPostgresPost(db.sql, postId),
  });
});
