// Content per platform end to end (issue 15): the worker sends each target its own text, posts X
// threads part by part as reply chains through the real X adapter against the X sandbox (faults
// injected on exactly the part a case names), and posts first comments once, also after a crash.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Platform } from '../../src/domain/platform.ts';
import type { Post, SocialAccount } from '../../src/domain/post.ts';
import type { Publisher } from '../../src/platforms/publisher.ts';
import { X_REPLY_VISIBILITY_GRACE_MS } from '../../src/platforms/x/x-errors.ts';
import { createXPublisher } from '../../src/platforms/x/x-publisher.ts';
import type { RunningSandbox } from '../../src/sandbox/start-sandbox.ts';
import { startSandbox } from '../../src/sandbox/start-sandbox.ts';
import type { FaultRuleInput } from '../../src/sandbox/sandbox-faults.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import type { NewPost, PostStore } from '../../src/store/post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import type { AccountTokenSource } from '../../src/worker/account-tokens.ts';
import { createFakeRegistry } from '../fakes/fake-publisher.ts';
import type { FakeRegistry } from '../fakes/fake-publisher.ts';
import { createFreshConnectionFetch } from '../support/fresh-connection-fetch.ts';
import { createWorkerHarness } from '../support/worker-harness.ts';
import type { WorkerHarness } from '../support/worker-harness.ts';
import { createTestMemoryStore, waitForPostSettled } from '../support/worker-fixtures.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

announcePostgresSkip();

interface Backend {
  name: string;
  skip: string | false;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** A store whose clock runs `offset()` ms ahead of the real one (claims can be aged). */
  store(offset: () => number): Promise<PostStore>;
  newUserId(): Promise<string>;
}

let db: TestDatabase | null = null;
const BACKENDS: Backend[] = [
  {
    name: 'memory store',
    skip: false,
    async setUp() {},
    async tearDown() {},
    store: (offset) => createTestMemoryStore(() => new Date(Date.now() + offset())),
    newUserId: () => Promise.resolve(crypto.randomUUID()),
  },
  {
    name: 'postgres store',
    skip: postgresSkip,
    async setUp() {
      db = await createTestDatabase();
    },
    async tearDown() {
      await db?.drop();
    },
    // Postgres judges claim ages by its own clock: the crash case ages the claim in SQL instead.
    store: async () =>
      createPostgresPostStore({ sql: db!.sql, cipher: await createTokenCipher(randomKey()) }),
    newUserId: () => createUser(db!.sql),
  },
];

for (const backend of BACKENDS) contentSuite(backend);

function contentSuite(backend: Backend) {
  describe(`content per platform through the worker (${backend.name})`, { skip: backend.skip }, () => {
    let sandbox: RunningSandbox;
    let fresh: ReturnType<typeof createFreshConnectionFetch>;
    let harness: WorkerHarness | null = null;
    let clockOffset = 0;
    /** Faults to inject just before the n-th POST /2/tweets (1-based) of the current case. */
    let faultOnTweet = new Map<number, FaultRuleInput>();
    /** Runs just before the n-th POST /2/tweets is sent. */
    let beforeTweet = new Map<number, () => void>();
    /** Sees every POST /2/tweets answer. */
    let onTweetAnswer: ((res: Response) => void) | null = null;
    let tweetPosts = 0;

    before(async () => {
      await backend.setUp();
      sandbox = await startSandbox({ port: 0 });
      fresh = createFreshConnectionFetch();
    });
    after(async () => {
      fresh?.close();
      await sandbox?.close();
      await backend.tearDown();
    });
    afterEach(async () => {
      await harness?.stop();
      harness = null;
      faultOnTweet = new Map();
      beforeTweet = new Map();
      onTweetAnswer = null;
      tweetPosts = 0;
      clockOffset = 0;
      sandbox.sandbox.knobs.clearFaults();
      sandbox.sandbox.knobs.setSettings({ 'x.replyVisibilityLagMs': 0 });
    });

    /** The X adapter against the sandbox; counts tweet creations to fault exactly the one a case names. */
    function xPublisher(): Publisher {
      const fetchWithFaults: typeof fetch = (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        if ((init?.method ?? 'GET') === 'POST' && url.pathname.endsWith('/2/tweets')) {
          const n = ++tweetPosts;
          beforeTweet.get(n)?.();
          const fault = faultOnTweet.get(n);
          if (fault) sandbox.sandbox.knobs.injectFault(fault);
          return fresh.fetch(input, init).then((res) => {
            onTweetAnswer?.(res);
            return res;
          });
        }
        return fresh.fetch(input, init);
      };
      return createXPublisher({
        baseUrl: `${sandbox.url}/x`,
        clientId: 'sandbox-x-client',
        clientSecret: 'sandbox-x-secret',
        allowPrivateMediaHosts: true,
        timeoutMs: 5000,
        fetch: fetchWithFaults,
        now: () => sandbox.sandbox.knobs.now(),
      });
    }

    /** A harness whose X is the real adapter on the sandbox and the other platforms fakes. */
    async function start(): Promise<
      { h: WorkerHarness; fakes: FakeRegistry; x: SocialAccount; li: SocialAccount }
    > {
      const store = await backend.store(() => clockOffset);
      const userId = await backend.newUserId();
      const { user, token } = sandbox.sandbox.x.connectAccount({});
      const x = await store.createAccount({
        userId,
        platform: 'x',
        externalId: user.id,
        displayName: '@creator',
        scopes: [],
        tokens: { accessToken: token.accessToken, refreshToken: null, expiresAt: null },
      });
      const li = await store.createAccount({
        userId,
        platform: 'linkedin',
        externalId: `urn:li:person:${userId.slice(0, 8)}`,
        displayName: 'creator',
        scopes: [],
        tokens: { accessToken: 'token-linkedin', refreshToken: null, expiresAt: null },
      });
      const fakes = createFakeRegistry();
      const publishers = { ...fakes, x: xPublisher() } as unknown as FakeRegistry;
      const tokens: AccountTokenSource = {
        tokensFor: (account) => store.getAccountTokens(account.id),
      };
      harness = await createWorkerHarness({ store, publishers, tokens });
      return { h: harness, fakes, x, li };
    }

    async function schedule(h: WorkerHarness, input: Omit<NewPost, 'media' | 'scheduledAt'>): Promise<Post> {
      const post = await h.store.createPost({ ...input, media: [], scheduledAt: new Date() });
      await h.producer.schedule(post);
      return post;
    }

    function xPostsOf(userExternalId: string) {
      return sandbox.sandbox.x.state.posts.filter((p) => p.authorId === userExternalId);
    }

    const parts = (tag: string, n: number) =>
      Array.from({ length: n }, (_, i) => `${tag} part ${i + 1} of ${n} ${crypto.randomUUID().slice(0, 6)}`);

    it('sends each target its own text, and the post text where it has none', async () => {
      const { h, fakes, x, li } = await start();
      const xText = `short for X ${crypto.randomUUID().slice(0, 8)}`;
      const post = await schedule(h, {
        userId: x.userId,
        text: `The long LinkedIn version. ${'Details. '.repeat(60)}`,
        accountIds: [x.id, li.id],
        targetContents: [{ text: xText }, undefined],
      });
      const done = await waitForPostSettled(h.store, post.id);
      assert.equal(done.status, 'published');
      const live = xPostsOf(x.externalId);
      assert.deepEqual(live.map((p) => p.text), [xText]);
      assert.deepEqual(fakes.linkedin.calls.map((c) => c.text), [post.text]);
    });

    it('posts a thread whose part 3 hits a 503 once: every part live once, in order, each replying to the one before', async () => {
      const { h, x } = await start();
      faultOnTweet.set(3, { platform: 'x', mode: 'status', status: 503, path: '/2/tweets', method: 'POST' });
      const thread = parts('retry', 4);
      const post = await schedule(h, {
        userId: x.userId,
        text: 'unused',
        accountIds: [x.id],
        targetContents: [{ thread }],
      });
      const done = await waitForPostSettled(h.store, post.id);
      assert.equal(done.status, 'published');
      const target = done.targets[0]!;
      assert.equal(target.status, 'published');
      const live = xPostsOf(x.externalId);
      assert.deepEqual(live.map((p) => p.text), thread, 'each part once, in order');
      assert.equal(live[0]!.inReplyToId, null);
      for (let i = 1; i < live.length; i++) assert.equal(live[i]!.inReplyToId, live[i - 1]!.id);
      assert.deepEqual(target.thread!.map((p) => p.externalId), live.map((p) => p.id));
      assert.equal(target.externalId, live[0]!.id, "the target's id is the thread's first post");
      assert.equal(tweetPosts, 5, 'four parts and one refused try of part 3');
    });

    it("retries each part X refuses as a reply to a missing post right after the part before (X's lag): live once, in order", async () => {
      const { h, x } = await start();
      sandbox.sandbox.knobs.setSettings({ 'x.replyVisibilityLagMs': 10_000 });
      // X shows the part before to the reply check by the time the refusal is answered.
      onTweetAnswer = (res) => {
        if (res.status === 403) sandbox.sandbox.knobs.advanceClock(10_000);
      };
      const thread = parts('lag', 3);
      const post = await schedule(h, {
        userId: x.userId,
        text: 'unused',
        accountIds: [x.id],
        targetContents: [{ thread }],
      });
      const done = await waitForPostSettled(h.store, post.id);
      assert.equal(done.status, 'published', JSON.stringify(done.targets[0]));
      const live = xPostsOf(x.externalId);
      assert.deepEqual(live.map((p) => p.text), thread, 'each part once, in order');
      for (let i = 1; i < live.length; i++) assert.equal(live[i]!.inReplyToId, live[i - 1]!.id);
      assert.equal(tweetPosts, 5, 'three parts, and one refused try each of parts 2 and 3');
      assert.deepEqual(done.targets[0]!.thread!.map((p) => p.externalId), live.map((p) => p.id));
    });

    it('leaves a thread whose part 2 fails for good partially_published, with part 1 live and linked', async () => {
      const { h, x } = await start();
      // Part 1 is older than X's lag grace when part 2 is refused: the refusal is for good.
      beforeTweet.set(2, () => sandbox.sandbox.knobs.advanceClock(X_REPLY_VISIBILITY_GRACE_MS));
      faultOnTweet.set(2, {
        platform: 'x',
        mode: 'status',
        status: 403,
        path: '/2/tweets',
        method: 'POST',
        contentType: 'application/json',
        body: JSON.stringify({
          title: 'Forbidden',
          type: 'about:blank',
          status: 403,
          detail: 'You attempted to reply to a Tweet that is deleted or not visible to you.',
        }),
      });
      const thread = parts('cut', 3);
      const post = await schedule(h, {
        userId: x.userId,
        text: 'unused',
        accountIds: [x.id],
        targetContents: [{ thread }],
      });
      const done = await waitForPostSettled(h.store, post.id);
      const target = done.targets[0]!;
      assert.equal(target.status, 'partially_published');
      assert.equal(done.status, 'partially_published');
      const live = xPostsOf(x.externalId);
      assert.deepEqual(live.map((p) => p.text), [thread[0]]);
      assert.equal(target.externalId, live[0]!.id);
      assert.match(target.externalUrl ?? '', new RegExp(live[0]!.id));
      assert.deepEqual(target.thread!.map((p) => p.externalId), [live[0]!.id, null, null]);
      assert.match(target.errorMessage ?? '', /parts 1-1 of 3/);
    });

    it('reconciles a dropped connection on part 2 without a second copy, and finishes the thread', async () => {
      const { h, x } = await start();
      faultOnTweet.set(2, { platform: 'x', mode: 'drop', path: '/2/tweets', method: 'POST' });
      const thread = parts('drop', 3);
      const post = await schedule(h, {
        userId: x.userId,
        text: 'unused',
        accountIds: [x.id],
        targetContents: [{ thread }],
      });
      const done = await waitForPostSettled(h.store, post.id);
      assert.equal(done.status, 'published');
      const live = xPostsOf(x.externalId);
      assert.deepEqual(
        live.map((p) => p.text),
        thread,
        'part 2 exists once: found by the look-up, not sent again',
      );
      assert.equal(tweetPosts, 3);
      assert.deepEqual(done.targets[0]!.thread!.map((p) => p.externalId), live.map((p) => p.id));
      const attempts = await h.store.listAttempts(done.targets[0]!.id);
      assert.ok(attempts.some((a) => a.outcome === 'reconciled' && a.externalId === live[1]!.id));
    });

    it('posts the first comment once the post is live: an X reply to it, a LinkedIn comment through the adapter', async () => {
      const { h, fakes, x, li } = await start();
      const comment = `link in the comments ${crypto.randomUUID().slice(0, 8)}`;
      const post = await schedule(h, {
        userId: x.userId,
        text: `launch ${crypto.randomUUID().slice(0, 8)}`,
        firstComment: comment,
        accountIds: [x.id, li.id],
      });
      await waitFor(async () => {
        const p = await h.store.getPost(post.id);
        return p?.targets.every((t) => t.comment?.status === 'published') ? p : null;
      }, { timeoutMs: 15_000 });
      const live = xPostsOf(x.externalId);
      assert.equal(live.length, 2);
      assert.equal(live[1]!.text, comment);
      assert.equal(live[1]!.inReplyToId, live[0]!.id);
      assert.equal(fakes.linkedin.commentCalls.length, 1);
      assert.equal(fakes.linkedin.commentCalls[0]!.text, comment);
      const done = (await h.store.getPost(post.id))!;
      assert.equal(done.status, 'published');
      assert.equal(done.targets.find((t) => t.platform === 'x')!.comment!.externalId, live[1]!.id);
    });

    it('posts a first comment once after a crash left it claimed: the takeover finds it live and adopts it', async () => {
      const { h, x } = await start();
      const comment = `after the crash ${crypto.randomUUID().slice(0, 8)}`;
      const post = await h.store.createPost({
        userId: x.userId,
        text: `crash ${crypto.randomUUID().slice(0, 8)}`,
        firstComment: comment,
        media: [],
        scheduledAt: new Date(),
        accountIds: [x.id],
      });
      // A worker publishes the post, claims the comment, sends it, and dies before recording it.
      await h.store.claimPost(post.id, post.version);
      const claimed = (await h.store.claimTarget(post.targets[0]!.id))!;
      const publisher = xPublisher();
      const tokens = await h.store.getAccountTokens(x.id);
      const account = { id: x.id, externalId: x.externalId, tokens };
      const signal = AbortSignal.timeout(5000);
      const sent = await publisher.publish({
        postId: post.id,
        targetId: claimed.id,
        content: { text: post.text, media: [] },
        account,
        attempt: 1,
        signal,
      });
      await h.store.settleTarget(claimed.id, claimed.claimToken!, {
        status: 'published',
        externalId: sent.externalId,
        externalUrl: sent.url,
      }, { startedAt: new Date(), finishedAt: new Date() });
      await h.store.rollUpPost(post.id);
      assert.ok(await h.store.claimComment(claimed.id));
      const reply = await publisher.comment({
        postId: post.id,
        targetId: claimed.id,
        on: sent.externalId,
        text: comment,
        account,
        attempt: 1,
        signal,
      });
      // Later, the claim is old enough to be judged abandoned (by the store's own clock).
      if (db && backend.name === 'postgres store') {
        await db
          .sql`update public.post_targets set comment_claimed_at = now() - interval '1 hour' where id = ${claimed.id}`;
      } else clockOffset = 3_600_000;
      const report = await h.workers[0]!.reconcile();
      assert.equal(report.commentsRestored, 1);
      const settled = await waitFor(async () => {
        const p = await h.store.getPost(post.id);
        const c = p?.targets[0]?.comment;
        return c && c.status !== 'publishing' ? c : null;
      }, { timeoutMs: 15_000 });
      assert.equal(settled.status, 'published');
      assert.equal(settled.externalId, reply.externalId, 'the comment that went out before the crash');
      const replies = xPostsOf(x.externalId).filter((p) => p.text === comment);
      assert.equal(replies.length, 1, 'never posted twice');
    });
  });
}

export type { Platform };
