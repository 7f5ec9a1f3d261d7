import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SocialAccount } from '../../src/domain/post.ts';
import type {
  PublishAccount,
  PublishContent,
  Publisher,
  PublishRequest,
  ReconcileRequest,
} from '../../src/platforms/publisher.ts';
import type { PublisherRegistry } from '../../src/platforms/registry.ts';
import { createTokenProvider } from '../../src/platforms/token-provider.ts';
import { createXPublisher } from '../../src/platforms/x/x-publisher.ts';
import type { XPublisherOptions } from '../../src/platforms/x/x-publisher.ts';
import { createPkceVerifier, pkceChallenge } from '../../src/platforms/x/x-oauth.ts';
import { xTextLength } from '../../src/platforms/x/x-text.ts';
import type { RunningSandbox } from '../../src/sandbox/start-sandbox.ts';
import { startSandbox } from '../../src/sandbox/start-sandbox.ts';
import { Redis } from 'ioredis';
import { createRedisRefreshLock } from '../../src/queue/refresh-lock.ts';
import { createAccountStore } from '../support/account-store.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-redis.ts';
import { createFreshConnectionFetch } from '../support/fresh-connection-fetch.ts';
import { assertNoSecrets, publisherContract, publishError } from './publisher.contract.ts';

const CLIENT = { clientId: 'sandbox-x-client', clientSecret: 'sandbox-x-secret' };
let textCounter = 0;
const uniqueText = (prefix = 'Hello from SoloSpark') =>
  `${prefix} #${++textCounter} ${crypto.randomUUID().slice(0, 8)}`;

function connect(
  running: RunningSandbox,
  input: Parameters<RunningSandbox['sandbox']['x']['connectAccount']>[0] = {},
) {
  const { user, token } = running.sandbox.x.connectAccount(input);
  const account: PublishAccount = {
    id: crypto.randomUUID(),
    externalId: user.id,
    tokens: { accessToken: token.accessToken, refreshToken: token.refreshToken, expiresAt: token.expiresAt },
  };
  return account;
}

function xPublisher(running: RunningSandbox, overrides: Partial<XPublisherOptions> = {}) {
  return createXPublisher({
    baseUrl: `${running.url}/x`,
    ...CLIENT,
    allowPrivateMediaHosts: true,
    timeoutMs: 5000,
    ...overrides,
  });
}

function request(
  account: PublishAccount,
  content: PublishContent,
  signal = AbortSignal.timeout(15_000),
): PublishRequest {
  return { postId: crypto.randomUUID(), targetId: crypto.randomUUID(), content, account, attempt: 1, signal };
}

function reconcileRequest(
  account: PublishAccount,
  content: PublishContent,
  sentAfter: Date,
  takenExternalIds: readonly string[] = [],
): ReconcileRequest {
  return { ...request(account, content), sentAfter, takenExternalIds };
}

publisherContract('X', async () => {
  const running = await startSandbox({ port: 0 });
  return {
    platform: 'x',
    knobs: running.sandbox.knobs,
    publisher: xPublisher(running),
    connectAccount: () => Promise.resolve(connect(running)),
    expireAccessToken: (account) => running.sandbox.knobs.tokens.expire('x', account.tokens.accessToken),
    validContent: () => ({ text: uniqueText(), media: [] }),
    invalidContent: {
      content: {
        text: `${'長'.repeat(141)} $AAPL $TSLA`,
        media: [1, 2, 3, 4, 5].map((n) => ({ url: `ftp://example.com/${n}.png` })),
      },
      rules: ['text_too_long', 'too_many_cashtags', 'too_many_media', 'media_url_invalid'],
    },
    publishPath: '/2/tweets',
    close: () => running.close(),
  };
});

describe('X publisher', () => {
  let running: RunningSandbox;
  before(async () => {
    running = await startSandbox({ port: 0 });
  });
  after(async () => {
    await running?.close();
  });

  describe('weighted length (twitter-text)', () => {
    it('counts any URL as 23 characters', () => {
      assert.equal(xTextLength('https://example.com/'), 23);
      assert.equal(xTextLength(`https://example.com/${'a'.repeat(200)}`), 23);
      assert.equal(xTextLength('see example.com now'), 4 + 23 + 4);
    });

    it('counts emoji, including ZWJ sequences and skin tones, as 2', () => {
      assert.equal(xTextLength('😀'), 2);
      assert.equal(xTextLength('👩‍👩‍👧‍👦'), 2);
      assert.equal(xTextLength('👍🏽'), 2);
    });

    it('counts CJK characters as 2 and Latin as 1', () => {
      assert.equal(xTextLength('日本語'), 6);
      assert.equal(xTextLength('한국어'), 6);
      assert.equal(xTextLength('abc'), 3);
      assert.equal(xTextLength('é'), 1);
    });

    it('accepts exactly 280 weighted characters and rejects 281', () => {
      const publisher = xPublisher(running);
      assert.deepEqual(publisher.validate({ text: '字'.repeat(140), media: [] }), []);
      const over = publisher.validate({ text: `${'a'.repeat(257)} https://example.com`, media: [] });
      assert.deepEqual(over.map((v) => v.rule), ['text_too_long']);
      assert.match(over[0]!.message, /281/);
    });

    it('publishes a post whose weighted length is exactly 280', async () => {
      const publisher = xPublisher(running);
      const text = `${'字'.repeat(130)} ${'😀'.repeat(4)} x${textCounter++}`.slice(0, 200);
      const fitted = text + 'a'.repeat(280 - xTextLength(text));
      assert.equal(xTextLength(fitted), 280);
      const published = await publisher.publish(request(connect(running), { text: fitted, media: [] }));
      assert.ok(running.sandbox.knobs.published('x').some((p) => p.id === published.externalId));
    });
  });

  it('publishes an image post: uploads the image, then posts with its media id', async () => {
    const publisher = xPublisher(running);
    const content = {
      text: uniqueText('With a picture'),
      media: [{ url: `${running.url}/_sandbox/media/sample.png` }],
    };
    const published = await publisher.publish(request(connect(running), content));
    const record = running.sandbox.knobs.published('x').find((p) => p.id === published.externalId);
    assert.ok(record, 'the post reached X');
    assert.equal(record.media.length, 1);
    assert.match(record.media[0]!, /^[0-9]{1,19}$/);
    assert.deepEqual((record.received as { media: unknown }).media, { media_ids: record.media });
    assert.equal(running.sandbox.x.state.media.get(record.media[0]!)?.category, 'tweet_image');
  });

  it('publishes a video through the chunked upload and waits for processing', async () => {
    running.sandbox.knobs.setSettings({ 'x.videoCheckAfterSecs': 0, 'x.videoProcessingPolls': 2 });
    const publisher = xPublisher(running);
    const url = `${running.url}/_sandbox/media/sample.mp4?bytes=${5 * 1024 * 1024}`;
    const published = await publisher.publish(
      request(connect(running), { text: uniqueText('Video'), media: [{ url }] }),
    );
    const record = running.sandbox.knobs.published('x').find((p) => p.id === published.externalId)!;
    const media = running.sandbox.x.state.media.get(record.media[0]!)!;
    assert.equal(media.category, 'tweet_video');
    assert.equal(media.segments.size, 2, 'two APPEND chunks for 5 MiB');
    assert.equal(media.state, 'succeeded');
  });

  it('reports a video X fails to process as media_invalid, and posts nothing', async () => {
    running.sandbox.knobs.setSettings({
      'x.videoCheckAfterSecs': 0,
      'x.videoProcessingPolls': 1,
      'x.videoProcessingOutcome': 'failed',
    });
    try {
      const before = running.sandbox.knobs.published('x').length;
      const url = `${running.url}/_sandbox/media/sample.mp4`;
      const err = await publishError(
        xPublisher(running).publish(request(connect(running), { text: uniqueText(), media: [{ url }] })),
      );
      assert.equal(err.code, 'media_invalid');
      assert.equal(running.sandbox.knobs.published('x').length, before);
    } finally {
      running.sandbox.knobs.setSettings({ 'x.videoProcessingOutcome': 'succeeded' });
    }
  });

  it('maps a 403 duplicate to duplicate_content, not retryable', async () => {
    const publisher = xPublisher(running);
    const account = connect(running);
    const content = { text: uniqueText('Same words'), media: [] };
    await publisher.publish(request(account, content));
    const err = await publishError(publisher.publish(request(account, content)));
    assert.equal(err.code, 'duplicate_content');
    assert.equal(err.retryable, false);
    assert.equal(err.platformStatus, 403);
  });

  it('maps an expired token to auth_expired and a missing scope to permission_denied', async () => {
    const publisher = xPublisher(running);
    const expired = connect(running, { accessTtlSeconds: 1 });
    running.sandbox.knobs.tokens.expire('x', expired.tokens.accessToken);
    const a = await publishError(publisher.publish(request(expired, { text: uniqueText(), media: [] })));
    assert.equal(a.code, 'auth_expired');
    assert.equal(a.kind, 'auth');
    const readOnly = connect(running, { scopes: ['tweet.read', 'users.read'] });
    const b = await publishError(publisher.publish(request(readOnly, { text: uniqueText(), media: [] })));
    assert.equal(b.code, 'permission_denied');
    for (const [err, account] of [[a, expired], [b, readOnly]] as const) assertNoSecrets(err, account);
  });

  it('uses the latest exhausted window for retryAt when the 15-minute limit runs out', async () => {
    const knobs = running.sandbox.knobs;
    knobs.setQuota('x.tweets.user15m', 1);
    try {
      const publisher = xPublisher(running);
      const account = connect(running);
      await publisher.publish(request(account, { text: uniqueText(), media: [] }));
      const err = await publishError(publisher.publish(request(account, { text: uniqueText(), media: [] })));
      assert.equal(err.code, 'rate_limited');
      const expected = knobs.now().getTime() + 15 * 60_000;
      assert.ok(Math.abs(err.retryAt!.getTime() - expected) < 5000, `retryAt ${err.retryAt?.toISOString()}`);
    } finally {
      knobs.setQuota('x.tweets.user15m', 100);
    }
  });

  describe('ambiguous outcomes', () => {
    it('reports a send whose connection dropped as outcome_unknown, and reconcile adopts the live post', async () => {
      const fresh = createFreshConnectionFetch();
      try {
        const publisher = xPublisher(running, { fetch: fresh.fetch });
        const account = connect(running);
        const content = { text: uniqueText('Dropped'), media: [] };
        const sentAfter = running.sandbox.knobs.now();
        running.sandbox.knobs.injectFault({ platform: 'x', mode: 'drop', path: '/2/tweets' });
        const err = await publishError(publisher.publish(request(account, content)));
        assert.equal(err.code, 'outcome_unknown');
        assert.equal(err.kind, 'outcome_unknown');
        const live = running.sandbox.knobs.published('x').filter((p) => p.text === content.text);
        assert.equal(live.length, 1, 'the sandbox did publish it');
        const result = await publisher.reconcile!(reconcileRequest(account, content, sentAfter));
        assert.deepEqual(result, {
          status: 'published',
          published: { externalId: live[0]!.id, url: `https://x.com/i/web/status/${live[0]!.id}` },
        });
      } finally {
        fresh.close();
      }
    });

    it('never leaves two posts after a dropped send, even with a fetch that re-sends on a reused connection', async () => {
      const publisher = xPublisher(running);
      const account = connect(running);
      await publisher.publish(request(account, { text: uniqueText('warm the connection'), media: [] }));
      const content = { text: uniqueText('Dropped on a reused connection'), media: [] };
      running.sandbox.knobs.injectFault({ platform: 'x', mode: 'drop', path: '/2/tweets' });
      const err = await publishError(publisher.publish(request(account, content)));
      // Node: outcome_unknown. Deno's pooled fetch re-sends the POST, and X refuses the copy.
      assert.ok(['outcome_unknown', 'duplicate_content'].includes(err.code), err.code);
      assert.equal(running.sandbox.knobs.published('x').filter((p) => p.text === content.text).length, 1);
    });

    it('reconcile says not_published when the post never went live', async () => {
      const result = await xPublisher(running).reconcile!(
        reconcileRequest(connect(running), { text: uniqueText(), media: [] }, running.sandbox.knobs.now()),
      );
      assert.deepEqual(result, { status: 'not_published' });
    });

    it('reconcile answers unknown with a reason when X cannot be asked', async () => {
      const account = connect(running);
      running.sandbox.knobs.tokens.expire('x', account.tokens.accessToken);
      const result = await xPublisher(running).reconcile!(
        reconcileRequest(account, { text: uniqueText(), media: [] }, running.sandbox.knobs.now()),
      );
      assert.equal(result.status, 'unknown');
      assert.ok(result.status === 'unknown' && result.reason.length > 0);
    });

    it('reports a connection that never opened as network (nothing was sent)', async () => {
      const closed = await startSandbox({ port: 0 });
      const baseUrl = `${closed.url}/x`;
      await closed.close();
      const err = await publishError(
        createXPublisher({ baseUrl, ...CLIENT, allowPrivateMediaHosts: true }).publish(
          request(connect(running), { text: uniqueText(), media: [] }),
        ),
      );
      assert.equal(err.code, 'network');
      assert.equal(err.retryable, true);
    });
  });

  describe('reconcile recognises a post as X serves it', () => {
    // Its own sandbox: these tests move the sandbox clock.
    let sandbox: RunningSandbox;
    let fresh: ReturnType<typeof createFreshConnectionFetch>;
    let publisher: Publisher;
    before(async () => {
      sandbox = await startSandbox({ port: 0 });
      fresh = createFreshConnectionFetch();
      publisher = xPublisher(sandbox, { fetch: fresh.fetch, now: () => sandbox.sandbox.knobs.now() });
    });
    after(async () => {
      fresh?.close();
      await sandbox?.close();
    });

    const image = () => ({ url: `${sandbox.url}/_sandbox/media/sample.png` });
    const livePosts = (account: PublishAccount) =>
      sandbox.sandbox.knobs.published('x').filter((p) => p.subject === account.externalId);
    const creates = () =>
      sandbox.sandbox.knobs.requests('x').filter((r) => r.method === 'POST' && r.path === '/2/tweets').length;
    const adopted = (id: string) => ({
      status: 'published',
      published: { externalId: id, url: `https://x.com/i/web/status/${id}` },
    });

    /** Publishes, but the connection drops after X made the post live; returns the live post's id. */
    async function sendAndLoseAnswer(account: PublishAccount, content: PublishContent): Promise<string> {
      const before = livePosts(account).length;
      sandbox.sandbox.knobs.injectFault({ platform: 'x', mode: 'drop', path: '/2/tweets' });
      const err = await publishError(publisher.publish(request(account, content)));
      assert.equal(err.code, 'outcome_unknown');
      const live = livePosts(account);
      assert.equal(live.length, before + 1, 'the sandbox did publish it');
      return live[live.length - 1]!.id;
    }

    it('adopts a text-and-image post whose create answer was lost, without sending it again', async () => {
      const account = connect(sandbox);
      const content = {
        text: uniqueText('Launch day https://example.com/launch and example.org'),
        media: [image()],
      };
      const sentAfter = sandbox.sandbox.knobs.now();
      const id = await sendAndLoseAnswer(account, content);
      const served = sandbox.sandbox.x.state.posts.find((p) => p.id === id)!.served.text;
      assert.notEqual(served, content.text, 'X serves it rewritten');
      const sends = creates();
      const result = await publisher.reconcile!(reconcileRequest(account, content, sentAfter));
      assert.deepEqual(result, adopted(id));
      assert.equal(creates(), sends, 'reconcile sent nothing');
      assert.equal(livePosts(account).length, 1);
    });

    it('adopts a media-only post whose create answer was lost, and never an older media-only post from before the send', async () => {
      const knobs = sandbox.sandbox.knobs;
      const account = connect(sandbox);
      const content = { text: '', media: [image()] };
      const older = await publisher.publish(request(account, content));
      knobs.advanceClock(10 * 60_000);
      const sentAfter = knobs.now();
      const id = await sendAndLoseAnswer(account, content);
      assert.notEqual(id, older.externalId);
      assert.deepEqual(
        await publisher.reconcile!(reconcileRequest(account, content, sentAfter)),
        adopted(id),
      );

      knobs.advanceClock(10 * 60_000);
      const result = await publisher.reconcile!(reconcileRequest(account, content, knobs.now()));
      assert.deepEqual(result, { status: 'not_published' }, 'posts from before the send are not this send');
    });

    it('never adopts a post whose id another target already holds', async () => {
      const account = connect(sandbox);
      const content = { text: uniqueText('Held elsewhere'), media: [] };
      const sentAfter = sandbox.sandbox.knobs.now();
      const id = await sendAndLoseAnswer(account, content);
      const result = await publisher.reconcile!(reconcileRequest(account, content, sentAfter, [id]));
      assert.deepEqual(result, { status: 'not_published' });
    });

    it('answers unknown, saying how many, when two posts in the window look like this one', async () => {
      const account = connect(sandbox);
      const content = { text: '', media: [image()] };
      const sentAfter = sandbox.sandbox.knobs.now();
      const first = await publisher.publish(request(account, content));
      const id = await sendAndLoseAnswer(account, content);
      const result = await publisher.reconcile!(reconcileRequest(account, content, sentAfter));
      assert.equal(result.status, 'unknown');
      assert.match(result.status === 'unknown' ? result.reason : '', /^2 posts on X/);
      const withTaken = await publisher.reconcile!(
        reconcileRequest(account, content, sentAfter, [first.externalId]),
      );
      assert.deepEqual(withTaken, adopted(id), 'the one no other target holds is adopted');
    });
  });

  describe('rotating refresh tokens', () => {
    async function storedExpiredAccount() {
      const { store, userId } = await createAccountStore();
      const connected = connect(running);
      running.sandbox.knobs.tokens.expire('x', connected.tokens.accessToken);
      const tokens = { ...connected.tokens, expiresAt: new Date(Date.now() - 1000) };
      const account: SocialAccount = await store.createAccount({
        userId,
        platform: 'x',
        externalId: connected.externalId,
        tokens,
      });
      const publishers = { x: xPublisher(running) } as unknown as PublisherRegistry;
      return { store, account, tokens, publishers };
    }

    it('refreshes once for two concurrent jobs of one account, and both get the new token', async () => {
      const { store, account, tokens, publishers } = await storedExpiredAccount();
      const provider = createTokenProvider({ store, publishers });
      const refreshesBefore = running.sandbox.knobs.tokens.refreshAttempts('x').length;
      const [a, b] = await Promise.all([
        provider.tokensFor(account, AbortSignal.timeout(10_000)),
        provider.tokensFor(account, AbortSignal.timeout(10_000)),
      ]);
      const attempts = running.sandbox.knobs.tokens.refreshAttempts('x').slice(refreshesBefore);
      assert.equal(attempts.length, 1, 'exactly one refresh request reached X');
      assert.equal(attempts[0]!.outcome, 'rotated');
      assert.deepEqual(a, b);
      assert.notEqual(a.accessToken, tokens.accessToken);
      assert.notEqual(a.refreshToken, tokens.refreshToken);
      assert.deepEqual(await store.getAccountTokens(account.id), a);
      const published = await publishers.x.publish(
        request({ id: account.id, externalId: account.externalId, tokens: a }, {
          text: uniqueText(),
          media: [],
        }),
      );
      assert.ok(published.externalId);
      await store.close();
    });

    it('a second process that read the old pair adopts the stored new pair instead of spending the old refresh token', async () => {
      const { store, account, tokens, publishers } = await storedExpiredAccount();
      const processA = createTokenProvider({ store, publishers });
      const processB = createTokenProvider({ store, publishers });
      const refreshesBefore = running.sandbox.knobs.tokens.refreshAttempts('x').length;
      const fromA = await processA.tokensFor(account, AbortSignal.timeout(10_000));
      // B had read `tokens` before A stored its pair, and X rejected them.
      const fromB = await processB.refreshAfterRejection(account, tokens, AbortSignal.timeout(10_000));
      assert.deepEqual(fromB, fromA);
      assert.equal(running.sandbox.knobs.tokens.refreshAttempts('x').length - refreshesBefore, 1);
      assert.ok(
        !running.sandbox.knobs.tokens.refreshAttempts('x').slice(refreshesBefore).some((r) =>
          r.outcome === 'spent'
        ),
        'the spent refresh token was never sent again',
      );
      await store.close();
    });

    it('refreshes once when two worker processes need the same account at the same moment (Redis lock)', async () => {
      const { store, account, tokens, publishers } = await storedExpiredAccount();
      const prefix = `{${uniqueQueuePrefix('refresh-lock')}}`;
      const redisA = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
      const redisB = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
      try {
        // Two providers = two processes: separate in-process single-flight, one store, one Redis.
        const processA = createTokenProvider({
          store,
          publishers,
          refreshLock: createRedisRefreshLock({ redis: redisA, prefix }),
        });
        const processB = createTokenProvider({
          store,
          publishers,
          refreshLock: createRedisRefreshLock({ redis: redisB, prefix }),
        });
        const refreshesBefore = running.sandbox.knobs.tokens.refreshAttempts('x').length;
        const [a, b] = await Promise.all([
          processA.tokensFor(account, AbortSignal.timeout(10_000)),
          processB.tokensFor(account, AbortSignal.timeout(10_000)),
        ]);
        const attempts = running.sandbox.knobs.tokens.refreshAttempts('x').slice(refreshesBefore);
        assert.deepEqual(
          attempts.map((r) => r.outcome),
          ['rotated'],
          'one refresh; the spent token never re-sent',
        );
        assert.deepEqual(a, b);
        assert.notEqual(a.refreshToken, tokens.refreshToken);
        assert.equal(await redisA.exists(`${prefix}:token-refresh:${account.id}`), 0, 'the lock is released');
      } finally {
        await redisA.quit();
        await redisB.quit();
        await store.close();
      }
    });

    it('marks the account needs_reconnect when X refuses the refresh token, with a message that says so', async () => {
      const { store, account, tokens, publishers } = await storedExpiredAccount();
      running.sandbox.knobs.tokens.revoke('x', tokens.refreshToken!);
      const provider = createTokenProvider({ store, publishers, raceGraceMs: 50 });
      const err = await publishError(provider.tokensFor(account, AbortSignal.timeout(10_000)));
      assert.ok(err.code === 'auth_expired' || err.code === 'auth_revoked');
      assert.match(err.message, /reconnect/);
      assert.equal((await store.getAccount(account.id))?.status, 'needs_reconnect');
      assertNoSecrets(err, { id: account.id, externalId: account.externalId, tokens });
      await store.close();
    });
  });

  describe('OAuth 2.0 PKCE', () => {
    it('builds the authorize URL, exchanges the code and learns the user id', async () => {
      const publisher = xPublisher(running);
      const verifier = createPkceVerifier();
      const redirectUri = 'https://app.example.com/oauth/x/callback';
      const url = new URL(
        publisher.authorizationUrl({
          state: 'st-1',
          redirectUri,
          codeChallenge: await pkceChallenge(verifier),
        }),
      );
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(url.searchParams.get('response_type'), 'code');
      assert.match(url.searchParams.get('scope')!, /offline\.access/);
      const approve = await fetch(url, { redirect: 'manual' });
      assert.equal(approve.status, 302);
      const callback = new URL(approve.headers.get('location')!);
      assert.equal(callback.searchParams.get('state'), 'st-1');
      const connected = await publisher.exchangeCode(
        { code: callback.searchParams.get('code')!, redirectUri, codeVerifier: verifier },
        AbortSignal.timeout(5000),
      );
      assert.match(connected.externalId, /^[0-9]+$/);
      assert.ok(connected.tokens.refreshToken);
      assert.ok(connected.tokens.expiresAt && connected.tokens.expiresAt.getTime() > Date.now());
      assert.ok(connected.scopes.includes('tweet.write'));
    });

    it('refuses a code exchanged with the wrong verifier', async () => {
      const publisher = xPublisher(running);
      const redirectUri = 'https://app.example.com/cb';
      const url = publisher.authorizationUrl({
        state: 's',
        redirectUri,
        codeChallenge: await pkceChallenge(createPkceVerifier()),
      });
      const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
      const err = await publishError(
        publisher.exchangeCode({
          code: callback.searchParams.get('code')!,
          redirectUri,
          codeVerifier: createPkceVerifier(),
        }, AbortSignal.timeout(5000)),
      );
      assert.equal(err.code, 'auth_expired');
      assert.equal(err.platformStatus, 400);
    });

    it('needs HTTP Basic client authentication: a wrong secret is permission_denied', async () => {
      const publisher = xPublisher(running, { clientSecret: 'wrong' });
      const account = connect(running);
      const err = await publishError(publisher.refresh(account, AbortSignal.timeout(5000)));
      assert.equal(err.code, 'permission_denied');
      assert.equal(err.platformStatus, 401);
      assertNoSecrets(err, account);
    });
  });

  describe('media URLs', () => {
    it('refuses loopback, private and link-local media hosts unless private hosts are allowed', async () => {
      const strict = xPublisher(running, {
        allowPrivateMediaHosts: false,
        resolveHost: () => Promise.resolve(['10.0.0.7']),
      });
      for (
        const url of [
          'https://127.0.0.1/a.png',
          'https://169.254.169.254/latest',
          'https://[::1]/a.png',
          'https://internal.example/a.png',
        ]
      ) {
        const err = await publishError(
          strict.publish(request(connect(running), { text: uniqueText(), media: [{ url }] })),
        );
        assert.equal(err.code, 'media_unreachable', url);
        assert.match(err.message, /private|loopback|link-local/);
      }
      assert.equal(
        strict.validate({ text: 'x', media: [{ url: `${running.url}/_sandbox/media/sample.png` }] })[0]?.rule,
        'media_url_invalid',
        'http is refused when private hosts are not allowed',
      );
    });

    it('refuses media of the wrong type or over the size limit as media_invalid', async () => {
      const publisher = xPublisher(running);
      const html = `${running.url}/_sandbox/media/sample.png?type=text/html`;
      const huge = `${running.url}/_sandbox/media/sample.png?bytes=${6 * 1024 * 1024}`;
      for (const url of [html, huge]) {
        const err = await publishError(
          publisher.publish(request(connect(running), { text: uniqueText(), media: [{ url }] })),
        );
        assert.equal(err.code, 'media_invalid', url);
      }
    });

    it('reports a media URL that answers 404 as media_unreachable', async () => {
      const url = `${running.url}/_sandbox/media/missing.png`;
      const err = await publishError(
        xPublisher(running).publish(request(connect(running), { text: uniqueText(), media: [{ url }] })),
      );
      assert.equal(err.code, 'media_unreachable');
    });
  });
});
