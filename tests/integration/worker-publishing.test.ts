import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/wait-for.ts';
import type { Post } from '../../src/domain/post.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import { postJobId } from '../../src/queue/queue-names.ts';
import { enqueueTargetJobs } from '../../src/queue/target-queue.ts';
import { createFakeRegistry } from '../fakes/fake-publisher.ts';
import type { FakePublisherOptions, FakeStep } from '../fakes/fake-publisher.ts';
import { createWorkerHarness } from '../support/worker-harness.ts';
import type { HarnessOptions, WorkerHarness } from '../support/worker-harness.ts';
import {
  createCreator,
  createTestMemoryStore,
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

interface Backend {
  name: string;
  skip: string | false;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  store(): Promise<PostStore>;
  newUserId(): Promise<string>;
}

let db: TestDatabase | null = null;
let cipherKey: Uint8Array | null = null;

const BACKENDS: Backend[] = [
  {
    name: 'memory store',
    skip: false,
    async setUp() {},
    async tearDown() {},
    store: createTestMemoryStore,
    newUserId: () => Promise.resolve(crypto.randomUUID()),
  },
  {
    name: 'postgres store',
    skip: postgresSkip,
    async setUp() {
      db = await createTestDatabase();
      cipherKey = randomKey();
    },
    async tearDown() {
      await db?.drop();
    },
    store: async () => createPostgresPostStore({ sql: db!.sql, cipher: await createTokenCipher(cipherKey!) }),
    newUserId: () => createUser(db!.sql),
  },
];

for (const backend of BACKENDS) publishingSuite(backend);

function publishingSuite(backend: Backend) {
  let harness: WorkerHarness | null = null;
  /** A harness on this backend's store; creators get users the backend knows. */
  async function start(options: HarnessOptions = {}): Promise<WorkerHarness> {
    return await createWorkerHarness({ ...options, store: await backend.store() });
  }
  async function newCreator(store: PostStore) {
    return await createCreator(store, await backend.newUserId());
  }
  /** Starts a harness whose x fake behaves as given, publishes one post to x and waits for it. */
  async function settleOneXPost(x: Omit<FakePublisherOptions, 'platform'>, env: Record<string, string>) {
    harness = await start({ publishers: createFakeRegistry({ x }), env });
    const { store, producer, publishers } = harness;
    const post = await schedulePost(store, producer, await newCreator(store), { platforms: ['x'] });
    const done = await waitForPostSettled(store, post.id);
    return { store, publishers, done, x: done.targets[0]! };
  }
  /** The first send goes live unanswered; the re-send is refused as a duplicate (X's 403). */
  const LOST_THEN_DUPLICATE: FakeStep[] = [{ do: 'send-then-lose-answer' }, {
    do: 'fail',
    code: 'duplicate_content',
    platformStatus: 403,
  }];

  describe(`publishing worker (${backend.name})`, { skip: backend.skip }, () => {
    before(() => backend.setUp());
    after(() => backend.tearDown());
    afterEach(async () => {
      await harness?.stop();
      harness = null;
    });

    it('publishes a post at its time on every target and logs readiness once', async () => {
      harness = await start();
      const { store, producer, publishers } = harness;
      const creator = await newCreator(store);
      const post = await schedulePost(store, producer, creator, { inMs: 400 });

      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.status, 'published');
      for (const target of done.targets) {
        assert.equal(target.status, 'published');
        assert.equal(target.attempts, 1);
        assert.match(target.externalId ?? '', new RegExp(`^${target.platform}-`));
        assert.equal(publishers[target.platform].sentCount(target.id), 1);
        const call = publishers[target.platform].calls[0]!;
        assert.ok(call.at >= post.scheduledAt.getTime(), `${target.platform} was sent before its time`);
        assert.equal(call.accessToken, `token-${target.platform}`);
      }
      const ready = harness.lines.filter((l) => l.msg === 'worker ready');
      assert.equal(ready.length, 1);
      const published = harness.lines.filter((l) => l.msg === 'target published');
      assert.equal(published.length, 3);
      assert.ok(
        harness.lines.every((l) => !JSON.stringify(l).includes('token-x')),
        'a token reached the logs',
      );
      assert.ok(
        harness.lines.every((l) => !JSON.stringify(l).includes(post.text)),
        'the post text reached the logs',
      );
    });

    it('drops the job of a cancelled post without publishing', async () => {
      harness = await start();
      const { store, producer, publishers } = harness;
      const creator = await newCreator(store);
      const post = await schedulePost(store, producer, creator, { inMs: 300 });
      // Only the row changes; the job stays in the queue and must be dropped as stale.
      await store.cancelPost(post.id, creator.userId);

      assert.equal(await harness.postJobOutcome(postJobId(post.id, 1)), 'stale');
      const after = await store.getPost(post.id);
      assert.equal(after?.status, 'cancelled');
      assert.equal(
        publishers.x.calls.length + publishers.linkedin.calls.length + publishers.instagram.calls.length,
        0,
      );
    });

    it('publishes only the edited version when the old version job is still queued', async () => {
      harness = await start();
      const { store, producer, publishers } = harness;
      const creator = await newCreator(store);
      const post = await schedulePost(store, producer, creator, { inMs: 300, platforms: ['x', 'linkedin'] });
      const edited = await store.updatePost(post.id, creator.userId, {
        text: 'the edited text, longer than before',
      });
      await producer.schedule(edited); // the v1 job is deliberately left in the queue

      const [v1, v2] = await Promise.all([
        harness.postJobOutcome(postJobId(post.id, 1)),
        harness.postJobOutcome(postJobId(post.id, 2)),
      ]);
      assert.equal(v1, 'stale');
      assert.equal(v2, 'fanned_out');
      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.status, 'published');
      assert.equal(publishers.x.calls.length, 1);
      assert.equal(publishers.linkedin.calls.length, 1);
      assert.equal(publishers.x.calls[0]!.textLength, 'the edited text, longer than before'.length);
    });

    it('retries a transient failure with growing delays, then succeeds without re-sending the other targets', async () => {
      const failThrice: FakeStep[] = [
        { do: 'fail', code: 'platform_unavailable', platformStatus: 503 },
        { do: 'fail', code: 'platform_unavailable', platformStatus: 503 },
        { do: 'fail', code: 'network' },
      ];
      harness = await start({
        publishers: createFakeRegistry({ x: { script: failThrice } }),
        env: { PUBLISH_BACKOFF_MS: '200', PUBLISH_ATTEMPTS: '5' },
        random: () => 0.99999, // jitter at its top: delays are 200, 400, 800 ms
      });
      const { store, producer, publishers } = harness;
      const creator = await newCreator(store);
      const post = await schedulePost(store, producer, creator);

      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.status, 'published');
      const x = done.targets.find((t) => t.platform === 'x')!;
      assert.equal(x.attempts, 4);
      // The delays the worker chose (logged with each retry) double; no retry ran before its time.
      const planned = harness.lines
        .filter((l) => l.msg === 'publish failed; will retry' && l.platform === 'x')
        .map((l) => Date.parse(l.retryAt as string) - Date.parse(l.time as string));
      assert.equal(planned.length, 3);
      assert.ok(planned.every((d, i) => Math.abs(d - 200 * 2 ** i) <= 2), `planned delays: ${planned}`);
      const at = publishers.x.calls.map((c) => c.at);
      assert.equal(at.length, 4);
      const gaps = [at[1]! - at[0]!, at[2]! - at[1]!, at[3]! - at[2]!];
      assert.ok(
        gaps.every((g, i) => g >= planned[i]! - 5),
        `a retry ran early: gaps ${gaps}, planned ${planned}`,
      );
      assert.equal(publishers.linkedin.calls.length, 1);
      assert.equal(publishers.instagram.calls.length, 1);
      const log = await store.listAttempts(x.id);
      assert.deepEqual(log.map((a) => a.outcome), ['retrying', 'retrying', 'retrying', 'published']);
      assert.deepEqual(log.slice(0, 2).map((a) => a.platformStatus), [503, 503]);
    });

    it('gives up after PUBLISH_ATTEMPTS transient failures with the last error code', async () => {
      harness = await start({
        publishers: createFakeRegistry({
          linkedin: { script: () => ({ do: 'fail', code: 'platform_unavailable' }) },
        }),
        env: { PUBLISH_ATTEMPTS: '3', PUBLISH_BACKOFF_MS: '20' },
      });
      const { store, producer, publishers } = harness;
      const creator = await newCreator(store);
      const post = await schedulePost(store, producer, creator, { platforms: ['linkedin', 'x'] });

      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.status, 'partially_published');
      const linkedin = done.targets.find((t) => t.platform === 'linkedin')!;
      assert.equal(linkedin.status, 'failed');
      assert.equal(linkedin.errorCode, 'platform_unavailable');
      assert.match(linkedin.errorMessage ?? '', /gave up after 3 attempts/);
      assert.equal(publishers.linkedin.calls.length, 3);
    });

    it('stops at once on a permanent failure and records its code', async () => {
      harness = await start({
        publishers: createFakeRegistry({
          instagram: {
            script: [{ do: 'fail', code: 'content_invalid', message: 'caption has 31 hashtags; 30 allowed' }],
          },
        }),
      });
      const { store, producer, publishers } = harness;
      const creator = await newCreator(store);
      const post = await schedulePost(store, producer, creator);

      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.status, 'partially_published');
      const instagram = done.targets.find((t) => t.platform === 'instagram')!;
      assert.equal(instagram.status, 'failed');
      assert.equal(instagram.errorCode, 'content_invalid');
      assert.equal(instagram.errorMessage, 'caption has 31 hashtags; 30 allowed');
      assert.equal(instagram.attempts, 1);
      assert.equal(publishers.instagram.calls.length, 1);
      const log = await store.listAttempts(instagram.id);
      assert.deepEqual(log.map((a) => [a.outcome, a.errorCode]), [['failed', 'content_invalid']]);
    });

    it('fails every target as failed when none is published', async () => {
      harness = await start({
        publishers: createFakeRegistry({
          x: { script: [{ do: 'fail', code: 'auth_revoked' }] },
          linkedin: { script: [{ do: 'fail', code: 'duplicate_content' }] },
        }),
      });
      const { store, producer } = harness;
      const creator = await newCreator(store);
      const post = await schedulePost(store, producer, creator, { platforms: ['x', 'linkedin'] });
      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.status, 'failed');
      assert.deepEqual(done.targets.map((t) => t.errorCode).sort(), ['auth_revoked', 'duplicate_content']);
    });

    it('defers a rate-limited account until its reset without blocking another account', async () => {
      const resetAt = Date.now() + 1500;
      let limitedAccount = '';
      harness = await start({
        publishers: createFakeRegistry({
          x: {
            script: (call) =>
              call.accountId === limitedAccount && Date.now() < resetAt
                ? { do: 'fail', code: 'rate_limited', retryAt: new Date(resetAt), platformStatus: 429 }
                : { do: 'succeed' },
          },
        }),
      });
      const { store, producer, publishers } = harness;
      const limited = await newCreator(store);
      const other = await newCreator(store);
      limitedAccount = limited.accounts.x.id;

      const first = await schedulePost(store, producer, limited, { platforms: ['x', 'linkedin'] });
      await publishers.x.waitForCalls(1);
      // The worker learns the limit from the first answer; a post scheduled after that must wait.
      const firstX = (await store.getPost(first.id))!.targets.find((t) => t.platform === 'x')!;
      await waitFor(async () => (await store.listAttempts(firstX.id)).some((a) => a.outcome === 'deferred'), {
        what: 'the first x target to be deferred',
      });
      const second = await schedulePost(store, producer, limited, { platforms: ['x'] });
      const unaffected = await schedulePost(store, producer, other, { platforms: ['x'] });

      const otherDone = await waitForPostSettled(store, unaffected.id);
      assert.equal(otherDone.status, 'published');
      assert.ok(Date.now() < resetAt, 'the other account waited for the rate limit of the first');
      const firstLinkedin = (await store.getPost(first.id))!.targets.find((t) => t.platform === 'linkedin')!;
      assert.equal(firstLinkedin.status, 'published', 'a rate limit on x held up linkedin');

      const [firstDone, secondDone] = await Promise.all([
        waitForPostSettled(store, first.id),
        waitForPostSettled(store, second.id),
      ]);
      assert.equal(firstDone.status, 'published');
      assert.equal(secondDone.status, 'published');
      const limitedCalls = publishers.x.calls.filter((c) => c.accountId === limitedAccount);
      assert.equal(
        limitedCalls.filter((c) => c.at < resetAt).length,
        1,
        'the limited account was called again before its reset',
      );
      const x = firstDone.targets.find((t) => t.platform === 'x')!;
      assert.equal(x.attempts, 1, 'the deferral used an attempt');
      const log = await store.listAttempts(x.id);
      assert.deepEqual(log.map((a) => [a.outcome, a.errorCode]), [['deferred', 'rate_limited'], [
        'published',
        null,
      ]]);
      assert.ok(
        harness.lines.some((l) =>
          l.msg.startsWith('rate-limited') && l.retryAt === new Date(resetAt).toISOString()
        ),
      );
    });

    it('adopts a send whose answer was lost when the platform shows it live', async () => {
      harness = await start({
        publishers: createFakeRegistry({ x: { script: [{ do: 'send-then-lose-answer' }] } }),
      });
      const { store, producer, publishers } = harness;
      const creator = await newCreator(store);
      const post = await schedulePost(store, producer, creator, { platforms: ['x'] });

      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.status, 'published');
      const x = done.targets[0]!;
      assert.equal(publishers.x.sentCount(x.id), 1);
      assert.equal(publishers.x.calls.length, 1);
      assert.equal(x.externalId, publishers.x.live.get(x.id)![0]!.externalId);
      const log = await store.listAttempts(x.id);
      assert.deepEqual(log.map((a) => a.outcome), ['reconciled']);
    });

    it('marks a target unconfirmed instead of re-sending when the platform cannot be asked', async () => {
      harness = await start({
        publishers: createFakeRegistry({
          linkedin: { script: [{ do: 'send-then-lose-answer' }], reconcile: false },
        }),
      });
      const { store, producer, publishers } = harness;
      const creator = await newCreator(store);
      const post = await schedulePost(store, producer, creator, { platforms: ['linkedin', 'x'] });

      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.status, 'partially_published');
      const linkedin = done.targets.find((t) => t.platform === 'linkedin')!;
      assert.equal(linkedin.status, 'unconfirmed');
      assert.equal(linkedin.errorCode, 'outcome_unknown');
      assert.match(linkedin.errorMessage ?? '', /not sent again/);
      assert.equal(publishers.linkedin.calls.length, 1);
    });

    it('sends again after a timeout only when the platform confirms nothing went out', async () => {
      harness = await start({
        publishers: createFakeRegistry({
          instagram: { script: [{ do: 'hang' }] }, // times out; nothing went out
          x: { script: [{ do: 'send-then-hang' }] }, // times out after going live
        }),
        env: { PUBLISH_TIMEOUT_MS: '300', PUBLISH_BACKOFF_MS: '50' },
      });
      const { store, producer, publishers } = harness;
      const creator = await newCreator(store);
      const post = await schedulePost(store, producer, creator, { platforms: ['instagram', 'x'] });

      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.status, 'published');
      const instagram = done.targets.find((t) => t.platform === 'instagram')!;
      const x = done.targets.find((t) => t.platform === 'x')!;
      assert.equal(publishers.instagram.calls.length, 2);
      assert.equal(publishers.instagram.sentCount(instagram.id), 1);
      assert.equal(publishers.x.calls.length, 1);
      assert.equal(publishers.x.sentCount(x.id), 1);
      assert.deepEqual((await store.listAttempts(x.id)).map((a) => a.outcome), ['reconciled']);
      assert.deepEqual((await store.listAttempts(instagram.id)).map((a) => a.outcome), [
        'retrying',
        'published',
      ]);
    });

    it('sends once when its claim answers slowly while a second run of the target comes due', async () => {
      // The claim's answer takes 2.5 s (a busy database), longer than PUBLISH_TIMEOUT_MS, while a
      // second run of the same target (a publish job, as the reconciler restores one) arrives.
      let slowClaims = 1;
      let claimedSlowly: (() => void) | null = null;
      const claimMade = new Promise<void>((resolve) => (claimedSlowly = resolve));
      const base = await backend.store();
      const store: PostStore = {
        ...base,
        async claimTarget(targetId) {
          const claimed = await base.claimTarget(targetId);
          if (claimed && slowClaims-- > 0) {
            claimedSlowly!();
            await new Promise((resolve) => setTimeout(resolve, 2500));
          }
          return claimed;
        },
      };
      harness = await createWorkerHarness({
        store,
        env: { PUBLISH_TIMEOUT_MS: '1000', PUBLISH_BACKOFF_MS: '100' },
      });
      const { producer, publishers } = harness;
      const creator = await newCreator(store);
      const post = await schedulePost(store, producer, creator, { platforms: ['x'] });
      await claimMade;
      const x = post.targets[0]!;
      await enqueueTargetJobs(harness.workers[0]!.targetQueue, [{
        postId: post.id,
        version: post.version,
        targetId: x.id,
      }], 3);

      // Both runs must have ended before counting: the post job (the slow claim's run) and the post.
      await harness.postJobOutcome(postJobId(post.id, post.version));
      const done = await waitForPostSettled(store, post.id, 20_000);
      assert.equal(done.status, 'published');
      assert.equal(publishers.x.sentCount(x.id), 1, 'sent twice');
      assert.equal(done.targets[0]!.externalId, publishers.x.live.get(x.id)![0]!.externalId);
      const log = await store.listAttempts(x.id);
      assert.deepEqual(log.map((a) => [a.outcome, a.errorCode]), [['deferred', 'database_slow'], [
        'published',
        null,
      ]]);
    });

    it('adopts the live copy when a re-send after an unanswered send is refused as a duplicate', async () => {
      // The look-up right after the lost answer lags and misses the copy; the duplicate refusal proves it.
      const { store, publishers, done, x } = await settleOneXPost(
        { script: LOST_THEN_DUPLICATE, reconcileLag: 1 },
        { PUBLISH_BACKOFF_MS: '50' },
      );
      assert.equal(done.status, 'published', 'a live post was marked failed as a duplicate');
      assert.equal(publishers.x.sentCount(x.id), 1);
      assert.equal(x.externalId, publishers.x.live.get(x.id)![0]!.externalId);
      assert.deepEqual((await store.listAttempts(x.id)).map((a) => a.outcome), ['retrying', 'reconciled']);
      const windows = publishers.x.reconcileCalls.map((c) => c.sentAfter.getTime());
      assert.equal(windows.length, 2);
      assert.ok(windows[1]! - windows[0]! < 20, 'the second look-up searches from the first send on');
    });

    it('marks a duplicate refusal after an unanswered send unconfirmed, never failed, when the copy is never found', async () => {
      const { publishers, x } = await settleOneXPost(
        { script: LOST_THEN_DUPLICATE, reconcileLag: 1000 }, // the look-up never shows it
        { PUBLISH_BACKOFF_MS: '50', PUBLISH_TIMEOUT_MS: '150', RECONCILE_INTERVAL_MS: '600000' },
      );
      assert.equal(x.status, 'unconfirmed');
      assert.match(x.errorMessage ?? '', /refused a re-send as a duplicate/);
      assert.equal(publishers.x.sentCount(x.id), 1);
    });

    it('still fails a first send refused as a duplicate (the creator posted the same text before)', async () => {
      harness = await start({
        publishers: createFakeRegistry({
          x: { script: [{ do: 'fail', code: 'duplicate_content', platformStatus: 403 }] },
        }),
      });
      const { store, producer } = harness;
      const creator = await newCreator(store);
      const post = await schedulePost(store, producer, creator, { platforms: ['x'] });
      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.targets[0]!.status, 'failed');
      assert.equal(done.targets[0]!.errorCode, 'duplicate_content');
    });

    it('bounds every send by WORKER_RATE_MAX across workers, first attempts included', async () => {
      harness = await start({ env: { WORKER_RATE_MAX: '1', WORKER_RATE_DURATION_MS: '60000' } });
      await harness.addWorker();
      const { store, producer, publishers } = harness;
      const creator = await newCreator(store);
      const posts: Post[] = [];
      for (let i = 0; i < 5; i++) {
        posts.push(await schedulePost(store, producer, creator, { platforms: ['x'] }));
      }

      // Every post job has run its first attempt (sent, or deferred by the limit) once it completed.
      await Promise.all(posts.map((p) => harness!.postJobOutcome(postJobId(p.id, p.version))));
      assert.equal(publishers.x.calls.length, 1, 'more sends than WORKER_RATE_MAX in its window');
      const pending = [];
      for (const p of posts) {
        pending.push(...(await store.getPost(p.id))!.targets.filter((t) => t.status === 'pending'));
      }
      assert.equal(pending.length, 4, 'the others wait, pending, with no attempt used');
      assert.ok(pending.every((t) => t.attempts === 0));
    });

    it('defers a rate limit without a reset time with growing delays, using no attempt', async () => {
      harness = await start({
        publishers: createFakeRegistry({
          linkedin: {
            script: [1, 2].map(() => ({
              do: 'fail' as const,
              code: 'rate_limited' as const,
              platformStatus: 429,
            })),
          },
        }),
        env: { PUBLISH_BACKOFF_MS: '1000', PUBLISH_ATTEMPTS: '2' },
      });
      const { store, producer, publishers } = harness;
      const creator = await newCreator(store);
      const post = await schedulePost(store, producer, creator, { platforms: ['linkedin'] });
      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.status, 'published');
      assert.equal(done.targets[0]!.attempts, 1, 'a deferral used an attempt');
      const at = publishers.linkedin.calls.map((c) => c.at);
      assert.equal(at.length, 3);
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      assert.ok(gaps[0]! >= 1000, `first deferral ${gaps[0]} ms`);
      assert.ok(gaps[1]! >= 2000, `second deferral ${gaps[1]} ms: it should double`);
      assert.ok(gaps[1]! < 5000, `second deferral ${gaps[1]} ms`);
    });

    it('asks the platform again later when it cannot be asked after an unanswered send, and adopts the copy', async () => {
      const { publishers, done, x } = await settleOneXPost(
        { script: [{ do: 'send-then-lose-answer' }], reconcileDown: 2 },
        { PUBLISH_TIMEOUT_MS: '300', RECONCILE_INTERVAL_MS: '600000' },
      );
      assert.equal(done.status, 'published', 'given up while the platform was only briefly unreachable');
      assert.equal(publishers.x.sentCount(x.id), 1);
      assert.equal(publishers.x.calls.length, 1, 'sent again without knowing');
      assert.equal(x.externalId, publishers.x.live.get(x.id)![0]!.externalId);
      assert.equal(publishers.x.reconcileCalls.length, 3);
    });

    it('marks the target unconfirmed once the platform stayed unreachable for the whole recheck window', async () => {
      const { publishers, x } = await settleOneXPost(
        { script: [{ do: 'send-then-lose-answer' }], reconcileDown: 1000 },
        { PUBLISH_TIMEOUT_MS: '150', RECONCILE_INTERVAL_MS: '600000' },
      );
      assert.equal(x.status, 'unconfirmed');
      assert.match(x.errorMessage ?? '', /answers 503/);
      assert.equal(publishers.x.calls.length, 1);
      assert.ok(publishers.x.reconcileCalls.length >= 2, 'asked more than once');
    });

    it('retries a post job whose database call failed, with growing delays, then publishes', async () => {
      const inner = await backend.store();
      const claimCalls: number[] = [];
      // The database fails the post's claim twice (a connection blip), then answers again.
      const store = new Proxy(inner, {
        get(target, key) {
          if (key === 'claimPost') {
            return (id: string, version: number) => {
              claimCalls.push(Date.now());
              if (claimCalls.length <= 2) {
                return Promise.reject(new Error('connection terminated unexpectedly'));
              }
              return target.claimPost(id, version);
            };
          }
          return Reflect.get(target, key);
        },
      });
      harness = await createWorkerHarness({ store, postJobBackoffMs: 150 });
      const { producer, publishers } = harness;
      const post = await schedulePost(store, producer, await newCreator(store), { inMs: 100 });

      const done = await waitForPostSettled(store, post.id);
      assert.equal(done.status, 'published');
      assert.equal(claimCalls.length, 3);
      const [first, second, third] = claimCalls as [number, number, number];
      assert.ok(second - first >= 150, `first retry after ${second - first} ms, expected ≥ 150`);
      assert.ok(third - second >= 300, `second retry after ${third - second} ms, expected ≥ 300 (doubled)`);
      for (const target of done.targets) {
        assert.equal(publishers[target.platform].sentCount(target.id), 1);
      }
      const failures = harness.lines.filter((l) =>
        l.msg === 'job failed unexpectedly; BullMQ retries it if attempts remain'
      );
      assert.equal(failures.length, 2);
    });

    it('fails a post job with bad data with a clear reason and keeps running', async () => {
      harness = await start();
      await harness.producer.queue.add('post', { p: 'not-a-uuid', v: 0 } as never, {
        jobId: 'post-bad-data',
      });
      await assert.rejects(
        harness.postJobOutcome('post-bad-data'),
        /invalid post job data \(p must be a uuid; v must be 1 or more\)/,
      );
      const { store, producer } = harness;
      const post = await schedulePost(store, producer, await newCreator(store), { platforms: ['x'] });
      assert.equal((await waitForPostSettled(store, post.id)).status, 'published');
    });

    it('never publishes a target twice with two workers and duplicate post jobs', async () => {
      harness = await start({
        publishers: createFakeRegistry({
          x: { script: () => ({ do: 'succeed', afterMs: 15 }) },
          linkedin: { script: () => ({ do: 'succeed', afterMs: 15 }) },
          instagram: { script: () => ({ do: 'succeed', afterMs: 15 }) },
        }),
      });
      await harness.addWorker();
      const { store, producer, publishers } = harness;
      const creator = await newCreator(store);
      const posts = [];
      for (let i = 0; i < 20; i++) {
        const post = await schedulePost(store, producer, creator, { inMs: 200 });
        // A duplicate job for the same version under another id: both run, one claims.
        await producer.queue.add('post', { p: post.id, v: post.version }, {
          jobId: `dup-${post.id}`,
          delay: 200,
        });
        posts.push(post);
      }
      const done = await Promise.all(posts.map((p) => waitForPostSettled(store, p.id)));
      assert.ok(done.every((p) => p.status === 'published'));
      for (const post of done) {
        for (const target of post.targets) assert.equal(publishers[target.platform].sentCount(target.id), 1);
      }
      const calls = publishers.x.calls.length + publishers.linkedin.calls.length +
        publishers.instagram.calls.length;
      assert.equal(calls, 60);
      const readyWorkers = new Set(
        harness.lines.filter((l) => l.msg === 'worker ready').map((l) => l.workerId),
      );
      assert.equal(readyWorkers.size, 2);
    });
  });
}
