import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createInstagramPublisher } from '../../src/platforms/instagram/instagram-publisher.ts';
import type { InstagramPublisherOptions } from '../../src/platforms/instagram/instagram-publisher.ts';
import { classifyInstagramError } from '../../src/platforms/instagram/instagram-errors.ts';
import type {
  PublishAccount,
  PublishContent,
  PublishRequest,
  ReconcileRequest,
} from '../../src/platforms/publisher.ts';
import { createFreshConnectionFetch } from '../support/fresh-connection-fetch.ts';
import { requestsEndingWith, type SocialSandbox, startSocialSandbox } from '../support/social-sandbox.ts';
import { assertNoSecrets, publisherContract, publishError } from './publisher.contract.ts';

const CLIENT = { clientId: 'sandbox-instagram-client', clientSecret: 'sandbox-instagram-secret' };
const DAY_MS = 24 * 60 * 60 * 1000;
let counter = 0;
const uniqueCaption = (prefix = 'Sunset over the bay') =>
  `${prefix} #${++counter} ${crypto.randomUUID().slice(0, 8)}`;
const jpeg = (name = 'photo') => ({
  url: `https://cdn.example.com/${name}-${crypto.randomUUID().slice(0, 6)}.jpg`,
});

function igPublisher(sb: SocialSandbox, overrides: Partial<InstagramPublisherOptions> = {}) {
  return createInstagramPublisher({
    baseUrl: `${sb.url}/instagram`,
    ...CLIENT,
    allowPrivateMediaHosts: true,
    timeoutMs: 5000,
    now: () => sb.knobs.now(),
    containerWait: { pollIntervalMs: 5, maxWaitMs: 2000 },
    ...overrides,
  });
}

function connect(sb: SocialSandbox, input: Parameters<SocialSandbox['instagram']['createAccount']>[0] = {}) {
  const { userId, token } = sb.instagram.createAccount(input);
  const account: PublishAccount = {
    id: crypto.randomUUID(),
    externalId: userId,
    tokens: { accessToken: token.accessToken, refreshToken: null, expiresAt: token.expiresAt },
  };
  return account;
}

function request(
  account: PublishAccount,
  content: PublishContent,
  extra: Partial<PublishRequest> = {},
): PublishRequest {
  return {
    postId: crypto.randomUUID(),
    targetId: crypto.randomUUID(),
    content,
    account,
    attempt: 1,
    signal: AbortSignal.timeout(15_000),
    ...extra,
  };
}

/** A look-up of `req`'s ambiguous send, begun a moment ago by the sandbox clock. */
function lookup(
  sb: SocialSandbox,
  req: PublishRequest,
  extra: Partial<ReconcileRequest> = {},
): ReconcileRequest {
  return {
    ...req,
    attempt: req.attempt + 1,
    signal: AbortSignal.timeout(5000),
    sentAfter: new Date(sb.knobs.now().getTime() - 5000),
    takenExternalIds: [],
    ...extra,
  };
}

/** The contract injects faults at one exact path, so its accounts share one Instagram user id. */
const CONTRACT_USER = '17841400000000777';

publisherContract('Instagram', async () => {
  const sb = await startSocialSandbox();
  return {
    platform: 'instagram',
    knobs: sb.knobs,
    publisher: igPublisher(sb),
    connectAccount: () => Promise.resolve(connect(sb, { userId: CONTRACT_USER })),
    noRefreshReason: 'Instagram refreshes only unexpired long-lived tokens; an expired one needs a reconnect',
    validContent: () => ({ text: uniqueCaption(), media: [jpeg()] }),
    invalidContent: {
      content: {
        text: `${Array.from({ length: 31 }, (_, i) => `#tag${i}`).join(' ')} ${
          Array.from({ length: 21 }, (_, i) => `@user${i}`).join(' ')
        } ${'x'.repeat(2200)}`,
        media: [],
      },
      rules: ['media_required', 'text_too_long', 'too_many_hashtags', 'too_many_mentions'],
    },
    publishPath: `/v25.0/${CONTRACT_USER}/media_publish`,
    close: () => sb.close(),
  };
});

describe('Instagram publisher', () => {
  let sb: SocialSandbox;
  before(async () => {
    sb = await startSocialSandbox();
  });
  after(async () => {
    await sb?.close();
  });

  describe('publishing', () => {
    it('publishes one JPEG with its caption and returns the media id and permalink', async () => {
      const account = connect(sb);
      const caption = uniqueCaption('Coffee (oat) & #latte @barista');
      const image = jpeg();
      const published = await igPublisher(sb).publish(request(account, { text: caption, media: [image] }));
      const media = sb.instagram.media().filter((m) => m.owner === account.externalId);
      assert.equal(media.length, 1);
      assert.equal(published.externalId, media[0]!.id);
      assert.equal(published.url, media[0]!.permalink);
      assert.equal(media[0]!.caption, caption);
      assert.equal(media[0]!.mediaType, 'IMAGE');
      assert.deepEqual(media[0]!.mediaUrls, [image.url]);
    });

    it('publishes a carousel: one child per item without caption, the caption on the parent', async () => {
      const account = connect(sb);
      const items = [jpeg('a'), jpeg('b'), { url: 'https://cdn.example.com/clip.mp4' }];
      const caption = uniqueCaption('Three in a row');
      const published = await igPublisher(sb).publish(request(account, { text: caption, media: items }));
      const media = sb.instagram.media().find((m) => m.id === published.externalId);
      assert.equal(media?.mediaType, 'CAROUSEL_ALBUM');
      assert.deepEqual(media?.mediaUrls, items.map((i) => i.url));
      const containers = sb.instagram.containers().filter((c) => c.owner === account.externalId);
      const children = containers.filter((c) => c.isCarouselItem);
      assert.equal(children.length, 3);
      assert.ok(
        children.every((c) => c.params.caption === undefined && c.params.is_carousel_item === 'true'),
      );
      assert.equal(children[2]!.kind, 'VIDEO');
      assert.equal(containers.find((c) => c.kind === 'CAROUSEL')?.params.caption, caption);
    });

    it('publishes a reel after polling its container until FINISHED', async () => {
      sb.knobs.setSettings({ 'instagram.videoProcessingPolls': 3 });
      try {
        const account = connect(sb);
        const published = await igPublisher(sb).publish(
          request(account, { text: uniqueCaption(), media: [{ url: 'https://cdn.example.com/reel.mp4' }] }),
        );
        assert.equal(sb.instagram.media().find((m) => m.id === published.externalId)?.productType, 'REELS');
        const container = sb.instagram.containers().find((c) => c.owner === account.externalId)!;
        const polls = sb.knobs.requests('instagram').filter((r) =>
          r.method === 'GET' && r.path.endsWith(container.id)
        );
        assert.ok(polls.length >= 4, `polled ${polls.length} times`);
      } finally {
        sb.knobs.setSettings({ 'instagram.videoProcessingPolls': 2 });
      }
    });

    it('gives up on a container still processing after the bounded wait, without publishing', async () => {
      const account = connect(sb);
      const url = 'https://cdn.example.com/slow.mp4';
      sb.instagram.setMediaBehavior(url, { outcome: 'processing', polls: 1000 });
      const publisher = igPublisher(sb, { containerWait: { pollIntervalMs: 5, maxWaitMs: 60 } });
      const err = await publishError(
        publisher.publish(request(account, { text: uniqueCaption(), media: [{ url }] })),
      );
      assert.equal(err.code, 'platform_unavailable');
      assert.equal(err.retryable, true);
      assert.equal(sb.instagram.media().filter((m) => m.owner === account.externalId).length, 0);
    });
  });

  describe('validate', () => {
    const publisher = () => igPublisher(sb);
    const rules = (content: PublishContent) => publisher().validate(content).map((v) => v.rule);

    it('rejects a text-only post: Instagram needs media', async () => {
      assert.deepEqual(rules({ text: 'Just words', media: [] }), ['media_required']);
      const account = connect(sb);
      const seen = sb.knobs.requests('instagram').length;
      const err = await publishError(
        publisher().publish(request(account, { text: 'Just words', media: [] })),
      );
      assert.equal(err.code, 'content_invalid');
      assert.equal(sb.knobs.requests('instagram').length, seen, 'nothing was sent');
    });

    it('allows 30 hashtags and 20 mentions, and rejects 31 and 21', () => {
      const tags = (n: number) => Array.from({ length: n }, (_, i) => `#t${i}`).join(' ');
      const mentions = (n: number) => Array.from({ length: n }, (_, i) => `@u${i}`).join(' ');
      assert.deepEqual(rules({ text: `${tags(30)} ${mentions(20)}`, media: [jpeg()] }), []);
      assert.deepEqual(rules({ text: tags(31), media: [jpeg()] }), ['too_many_hashtags']);
      assert.deepEqual(rules({ text: mentions(21), media: [jpeg()] }), ['too_many_mentions']);
    });

    it('does not count e-mail addresses, URL fragments or #1-style numbers as mentions or hashtags', () => {
      const text = `${Array.from({ length: 25 }, (_, i) => `me${i}@mail.com`).join(' ')} ` +
        `${Array.from({ length: 35 }, (_, i) => `https://x.com/p#${i} #${i}`).join(' ')}`;
      assert.deepEqual(rules({ text, media: [jpeg()] }), []);
    });

    it('counts the caption in characters (2200 allowed, 2201 not; an emoji is one)', () => {
      assert.deepEqual(rules({ text: '😀'.repeat(2200), media: [jpeg()] }), []);
      assert.deepEqual(rules({ text: 'a'.repeat(2201), media: [jpeg()] }), ['text_too_long']);
      assert.equal(publisher().textLength('😀a'), 2);
      assert.equal(publisher().maxTextLength, 2200);
    });

    it('checks media: https, JPEG or MP4/MOV, carousels of at most 10', () => {
      assert.deepEqual(rules({ text: 'x', media: [{ url: 'http://cdn.example.com/a.jpg' }] }), [
        'media_url_not_https',
      ]);
      assert.deepEqual(rules({ text: 'x', media: [{ url: 'https://cdn.example.com/a.png' }] }), [
        'media_type_unsupported',
      ]);
      assert.deepEqual(
        rules({ text: 'x', media: [{ url: 'https://cdn.example.com/image' }] }),
        [],
        'no extension: unknown',
      );
      const eleven = Array.from({ length: 11 }, () => jpeg());
      assert.deepEqual(rules({ text: 'x', media: eleven }), ['too_many_media']);
    });
  });

  describe('errors', () => {
    it('turns a container that ends in ERROR into media_invalid, without publishing', async () => {
      const account = connect(sb);
      const url = 'https://cdn.example.com/broken.mp4';
      sb.instagram.setMediaBehavior(url, { outcome: 'error', subcode: 2207026 });
      const err = await publishError(
        igPublisher(sb).publish(request(account, { text: uniqueCaption(), media: [{ url }] })),
      );
      assert.equal(err.code, 'media_invalid');
      assert.equal(err.retryable, false);
      assert.equal(err.platformCode, 'ERROR/2207026');
      assert.equal(
        requestsEndingWith(sb.knobs, 'instagram', 'POST', '/media_publish').filter((r) =>
          r.path.includes(account.externalId)
        ).length,
        0,
      );
    });

    it('turns a media URL Instagram cannot download into media_unreachable', async () => {
      const account = connect(sb);
      const image = jpeg('gone');
      sb.instagram.setMediaBehavior(image.url, { outcome: 'unreachable' });
      const err = await publishError(
        igPublisher(sb).publish(request(account, { text: uniqueCaption(), media: [image] })),
      );
      assert.equal(err.code, 'media_unreachable');
      assert.equal(err.platformCode, '9004/2207052');
      assert.equal(err.platformStatus, 400);
      assert.match(err.platformMessage ?? '', /fbtrace_id/);
    });

    it('reports an expired token as auth_expired and a revoked one as auth_revoked, never showing the token', async () => {
      const publisher = igPublisher(sb);
      const expired = connect(sb);
      sb.knobs.tokens.expire('instagram', expired.tokens.accessToken);
      const e1 = await publishError(
        publisher.publish(request(expired, { text: uniqueCaption(), media: [jpeg()] })),
      );
      assert.equal(e1.code, 'auth_expired');
      assert.equal(e1.platformCode, '190/463');
      assertNoSecrets(e1, expired);
      const revoked = connect(sb);
      sb.knobs.tokens.revoke('instagram', revoked.tokens.accessToken);
      const e2 = await publishError(
        publisher.publish(request(revoked, { text: uniqueCaption(), media: [jpeg()] })),
      );
      assert.equal(e2.code, 'auth_revoked');
      assertNoSecrets(e2, revoked);
    });

    it('reports a token without instagram_business_content_publish as permission_denied', async () => {
      const account = connect(sb, { scopes: ['instagram_business_basic'] });
      const err = await publishError(
        igPublisher(sb).publish(request(account, { text: uniqueCaption(), media: [jpeg()] })),
      );
      assert.equal(err.code, 'permission_denied');
      assert.equal(err.retryable, false);
    });

    it('turns an account throttle into rate_limited with retryAt from estimated_time_to_regain_access', async () => {
      const account = connect(sb);
      sb.knobs.setQuota('instagram.accountCalls', 0);
      try {
        const before = sb.knobs.now().getTime();
        const err = await publishError(
          igPublisher(sb).publish(request(account, { text: uniqueCaption(), media: [jpeg()] })),
        );
        assert.equal(err.code, 'rate_limited');
        assert.equal(err.platformCode, '80002');
        assert.ok(
          err.retryAt && err.retryAt.getTime() > before && err.retryAt.getTime() <= before + 61 * 60_000,
        );
      } finally {
        sb.knobs.setQuota('instagram.accountCalls', 4800);
      }
    });

    it('turns a throttle without a reset estimate into rate_limited with no retryAt, so the worker picks the wait', () => {
      const now = new Date('2026-11-28T12:00:00Z');
      const classify = (status: number, json: unknown, headers = new Headers()) =>
        classifyInstagramError({ status, headers, json, bodyExcerpt: '', action: 'testing', now });
      for (const code of [4, 17, 32, 613]) {
        const err = classify(400, { error: { message: 'limit', code, fbtrace_id: 'T' } });
        assert.deepEqual(
          [err.code, err.kind, err.retryAt],
          ['rate_limited', 'rate_limited', null],
          `code ${code}`,
        );
      }
      assert.equal(classify(429, undefined).retryAt, null, 'a bare 429');
      const appUsage = new Headers({
        'x-app-usage': '{"call_count":100,"total_time":20,"total_cputime":10}',
      });
      assert.equal(classify(400, { error: { code: 4 } }, appUsage).retryAt, null, 'x-app-usage has no time');
      const estimated = new Headers({
        'x-business-use-case-usage': JSON.stringify({
          '1784': [{ call_count: 100, estimated_time_to_regain_access: 5 }],
        }),
      });
      assert.deepEqual(
        classify(400, { error: { code: 80002 } }, estimated).retryAt,
        new Date(now.getTime() + 5 * 60_000),
        'an estimate Instagram gives is honoured',
      );
    });

    it('classifies the Graph error table by code and subcode', () => {
      const classify = (status: number, error: Record<string, unknown>) =>
        classifyInstagramError({
          status,
          headers: new Headers(),
          json: { error: { message: 'm', type: 'OAuthException', fbtrace_id: 'T', ...error } },
          bodyExcerpt: '',
          action: 'testing',
          now: new Date('2026-11-28T12:00:00Z'),
        }).code;
      assert.equal(classify(400, { code: 190, error_subcode: 463 }), 'auth_expired');
      assert.equal(classify(400, { code: 190, error_subcode: 460 }), 'auth_revoked');
      assert.equal(classify(400, { code: 190 }), 'auth_expired');
      assert.equal(classify(403, { code: 10 }), 'permission_denied');
      assert.equal(classify(400, { code: 200 }), 'permission_denied');
      assert.equal(classify(400, { code: 4 }), 'rate_limited');
      assert.equal(classify(400, { code: 613 }), 'rate_limited');
      assert.equal(classify(400, { code: 9, error_subcode: 2207042 }), 'quota_exceeded');
      assert.equal(classify(400, { code: 4, error_subcode: 2207051 }), 'content_invalid');
      assert.equal(classify(400, { code: 9004, error_subcode: 2207052 }), 'media_unreachable');
      assert.equal(classify(400, { code: -2, error_subcode: 2207003 }), 'media_unreachable');
      assert.equal(classify(400, { code: 36001, error_subcode: 2207005 }), 'media_invalid');
      assert.equal(classify(400, { code: 36003, error_subcode: 2207009 }), 'media_invalid');
      assert.equal(classify(400, { code: 100, error_subcode: 2207028 }), 'media_invalid');
      assert.equal(classify(400, { code: 36004, error_subcode: 2207010 }), 'content_invalid');
      assert.equal(classify(400, { code: 100, error_subcode: 2207040 }), 'content_invalid');
      assert.equal(classify(400, { code: 25, error_subcode: 2207050 }), 'permission_denied');
      assert.equal(classify(400, { code: 9007, error_subcode: 2207027 }), 'platform_unavailable');
      assert.equal(classify(400, { code: 1, is_transient: true }), 'platform_unavailable');
      assert.equal(classify(500, { code: 12345 }), 'platform_unavailable');
      assert.equal(classify(400, { code: 12345 }), 'unknown');
    });
  });

  describe('publishing quota', () => {
    it('checks content_publishing_limit first: quota_exceeded with retryAt when the oldest post leaves the window', async () => {
      const account = connect(sb);
      const publisher = igPublisher(sb);
      sb.knobs.setQuota('instagram.publish', 1);
      try {
        const firstAt = sb.knobs.now().getTime();
        await publisher.publish(request(account, { text: uniqueCaption(), media: [jpeg()] }));
        const publishes = () =>
          requestsEndingWith(sb.knobs, 'instagram', 'POST', '/media_publish').filter((r) =>
            r.path.includes(account.externalId)
          ).length;
        assert.equal(publishes(), 1);
        const err = await publishError(
          publisher.publish(request(account, { text: uniqueCaption(), media: [jpeg()] })),
        );
        assert.equal(err.code, 'quota_exceeded');
        assert.equal(err.retryable, true);
        assert.ok(err.retryAt, 'retryAt is set');
        const expected = firstAt + DAY_MS;
        assert.ok(Math.abs(err.retryAt.getTime() - expected) < 5000, `retryAt ${err.retryAt.toISOString()}`);
        assert.equal(publishes(), 1, 'no publish was attempted over the quota');
      } finally {
        sb.knobs.setQuota('instagram.publish', 50);
      }
    });

    it('leaves retryAt empty when the quota is used up and no post of the window dates its reset', async () => {
      const account = connect(sb);
      sb.knobs.setQuota('instagram.publish', 0);
      try {
        const err = await publishError(
          igPublisher(sb).publish(request(account, { text: uniqueCaption(), media: [jpeg()] })),
        );
        assert.equal(err.code, 'quota_exceeded');
        assert.equal(err.kind, 'rate_limited');
        assert.equal(err.retryAt, null, 'no reset time is invented');
        assert.equal(sb.instagram.media().filter((m) => m.owner === account.externalId).length, 0);
      } finally {
        sb.knobs.setQuota('instagram.publish', 50);
      }
    });
  });

  describe('reconcile and never publishing twice', () => {
    // Deno's pooled fetch re-sends a POST whose connection closed unanswered; the product's Deno entry
    // gives adapters a fetch without connection reuse, and so do these accept-then-drop tests.
    let fresh: ReturnType<typeof createFreshConnectionFetch>;
    before(() => {
      fresh = createFreshConnectionFetch();
    });
    after(() => fresh.close());

    it('adopts a container that went live when the publish answer was lost, instead of publishing again', async () => {
      const account = connect(sb);
      sb.knobs.injectFault({
        platform: 'instagram',
        mode: 'drop',
        method: 'POST',
        path: `/v25.0/${account.externalId}/media_publish`,
      });
      const published = await igPublisher(sb, { fetch: fresh.fetch }).publish(
        request(account, { text: uniqueCaption(), media: [jpeg()] }),
      );
      const media = sb.instagram.media().filter((m) => m.owner === account.externalId);
      assert.equal(media.length, 1);
      assert.equal(published.externalId, media[0]!.id);
      const publishes = requestsEndingWith(sb.knobs, 'instagram', 'POST', '/media_publish')
        .filter((r) => r.path.includes(account.externalId));
      assert.equal(publishes.length, 1, 'the publish was sent once');
    });

    it('reconcile finds the PUBLISHED container of an earlier attempt, and a retry adopts it', async () => {
      const account = connect(sb);
      const publisher = igPublisher(sb, { fetch: fresh.fetch });
      const req = request(account, { text: uniqueCaption(), media: [jpeg()] });
      sb.knobs.injectFault({
        platform: 'instagram',
        mode: 'drop',
        method: 'POST',
        path: `/v25.0/${account.externalId}/media_publish`,
      });
      // The container check after the lost answer sees PUBLISHED, but the media listing is down.
      sb.knobs.injectFault({
        platform: 'instagram',
        mode: 'status',
        status: 503,
        method: 'GET',
        path: `/v25.0/${account.externalId}/media`,
      });
      const err = await publishError(publisher.publish(req));
      assert.equal(err.code, 'outcome_unknown');

      const result = await publisher.reconcile!(lookup(sb, req));
      const media = sb.instagram.media().filter((m) => m.owner === account.externalId);
      assert.equal(media.length, 1);
      assert.deepEqual(result, {
        status: 'published',
        published: { externalId: media[0]!.id, url: media[0]!.permalink },
      });

      const again = await publisher.publish({ ...req, attempt: 2, signal: AbortSignal.timeout(5000) });
      assert.equal(again.externalId, media[0]!.id);
      assert.equal(sb.instagram.media().filter((m) => m.owner === account.externalId).length, 1);
      const publishes = requestsEndingWith(sb.knobs, 'instagram', 'POST', '/media_publish')
        .filter((r) => r.path.includes(account.externalId));
      assert.equal(publishes.length, 1, 'the publish was sent once, the retry adopted it');
    });

    it('reconcile from another process finds the post among recent media by its caption', async () => {
      const account = connect(sb);
      const req = request(account, { text: uniqueCaption(), media: [jpeg()] });
      const published = await igPublisher(sb).publish(req);
      const result = await igPublisher(sb).reconcile!(lookup(sb, req));
      assert.deepEqual(result, { status: 'published', published });
    });

    it('reconcile says not_published when nothing went live, and unknown for an empty caption it cannot match', async () => {
      const account = connect(sb);
      const publisher = igPublisher(sb);
      assert.deepEqual(
        await publisher.reconcile!(lookup(sb, request(account, { text: uniqueCaption(), media: [jpeg()] }))),
        {
          status: 'not_published',
        },
      );
      const blank = await publisher.reconcile!(lookup(sb, request(account, { text: '  ', media: [jpeg()] })));
      assert.equal(blank.status, 'unknown');
    });

    it('reuses a FINISHED container of an earlier attempt rather than building another', async () => {
      const account = connect(sb);
      const publisher = igPublisher(sb);
      const req = request(account, { text: uniqueCaption(), media: [jpeg()] });
      sb.knobs.injectFault({
        platform: 'instagram',
        mode: 'status',
        status: 503,
        method: 'POST',
        path: `/v25.0/${account.externalId}/media_publish`,
      });
      assert.equal((await publishError(publisher.publish(req))).code, 'platform_unavailable');
      await publisher.publish({ ...req, attempt: 2 });
      const containers = sb.instagram.containers().filter((c) => c.owner === account.externalId);
      assert.equal(containers.length, 1);
    });

    /** Attempt 1 of `req`: the publish goes live but its answer is lost, and the listing is down. */
    async function liveButUnanswered(publisher: ReturnType<typeof igPublisher>, req: PublishRequest) {
      const userId = req.account.externalId;
      sb.knobs.injectFault({
        platform: 'instagram',
        mode: 'drop',
        method: 'POST',
        path: `/v25.0/${userId}/media_publish`,
      });
      sb.knobs.injectFault({
        platform: 'instagram',
        mode: 'status',
        status: 503,
        method: 'GET',
        path: `/v25.0/${userId}/media`,
      });
      assert.equal((await publishError(publisher.publish(req))).code, 'outcome_unknown');
      const containers = sb.instagram.containers().filter((c) => c.owner === userId);
      assert.equal(containers.length, 1);
      return containers[0]!.id;
    }

    /** The container's status answer: 200 with a body that is not the Graph JSON. */
    function unreadableStatus(containerId: string) {
      sb.knobs.injectFault({
        platform: 'instagram',
        mode: 'status',
        status: 200,
        body: '<html>oops</html>',
        method: 'GET',
        path: `/v25.0/${containerId}`,
      });
    }

    const ownMedia = (account: PublishAccount) =>
      sb.instagram.media().filter((m) => m.owner === account.externalId);
    const ownContainers = (account: PublishAccount) =>
      sb.instagram.containers().filter((c) => c.owner === account.externalId);

    it('adopts the post found among recent media, and builds no second container, when an earlier container’s status is unreadable', async () => {
      const account = connect(sb);
      const publisher = igPublisher(sb, { fetch: fresh.fetch });
      const req = request(account, { text: uniqueCaption(), media: [jpeg()] });
      const containerId = await liveButUnanswered(publisher, req);
      unreadableStatus(containerId);
      const again = await publisher.publish({ ...req, attempt: 2, signal: AbortSignal.timeout(5000) });
      const media = ownMedia(account);
      assert.equal(media.length, 1, 'published once');
      assert.deepEqual(again, { externalId: media[0]!.id, url: media[0]!.permalink });
      assert.equal(ownContainers(account).length, 1, 'no second container');
    });

    it('turns an unclear container status into outcome_unknown when its post cannot be found, never a second container', async () => {
      const account = connect(sb);
      const publisher = igPublisher(sb, { fetch: fresh.fetch });
      const req = request(account, { text: uniqueCaption(), media: [jpeg()] });
      const containerId = await liveButUnanswered(publisher, req);
      sb.knobs.injectFault({
        platform: 'instagram',
        mode: 'status',
        status: 502,
        method: 'GET',
        path: `/v25.0/${containerId}`,
      });
      sb.knobs.injectFault({
        platform: 'instagram',
        mode: 'status',
        status: 503,
        method: 'GET',
        path: `/v25.0/${account.externalId}/media`,
      });
      const err = await publishError(
        publisher.publish({ ...req, attempt: 2, signal: AbortSignal.timeout(5000) }),
      );
      assert.equal(err.code, 'outcome_unknown');
      assert.equal(err.kind, 'outcome_unknown', 'the worker reconciles, then marks it unconfirmed');
      assert.match(err.message, new RegExp(containerId));
      assert.equal(ownContainers(account).length, 1, 'no second container');
      assert.equal(ownMedia(account).length, 1, 'no second post');
    });

    it('reconcile looks among recent media when the container’s status is unreadable, instead of calling it not published', async () => {
      const account = connect(sb);
      const publisher = igPublisher(sb, { fetch: fresh.fetch });
      const req = request(account, { text: uniqueCaption(), media: [jpeg()] });
      const containerId = await liveButUnanswered(publisher, req);
      unreadableStatus(containerId);
      const result = await publisher.reconcile!(lookup(sb, req));
      const media = ownMedia(account);
      assert.deepEqual(result, {
        status: 'published',
        published: { externalId: media[0]!.id, url: media[0]!.permalink },
      });
    });

    it('reconcile never adopts media another target holds, nor media published before the send window', async () => {
      const account = connect(sb);
      const req = request(account, { text: uniqueCaption(), media: [jpeg()] });
      const publishedAt = sb.knobs.now().getTime();
      const published = await igPublisher(sb).publish(req);
      const elsewhere = igPublisher(sb); // another process: no container remembered
      assert.deepEqual(
        await elsewhere.reconcile!(lookup(sb, req, { takenExternalIds: [published.externalId] })),
        { status: 'not_published' },
        'the only match is another target’s post',
      );
      sb.knobs.advanceClock(10 * 60 * 1000);
      try {
        assert.deepEqual(
          await elsewhere.reconcile!(lookup(sb, req)),
          { status: 'not_published' },
          'a post from before sentAfter (minus 60 s of skew) is not this send',
        );
        const justBefore = await elsewhere.reconcile!(
          lookup(sb, req, { sentAfter: new Date(publishedAt + 30_000) }),
        );
        assert.deepEqual(justBefore, { status: 'published', published }, 'within the skew it still counts');
      } finally {
        sb.knobs.advanceClock(-10 * 60 * 1000);
      }
    });
  });

  describe('tokens', () => {
    it('refreshes a long-lived token only once it is at least 24 hours old', async () => {
      const publisher = igPublisher(sb, { refreshWindowMs: 70 * DAY_MS });
      const account = connect(sb);
      const now = sb.knobs.now();
      assert.equal(publisher.needsRefresh(account.tokens, now), false, 'a fresh token is too young');
      const attempts = () => sb.knobs.tokens.refreshAttempts('instagram').length;
      const seen = attempts();
      assert.deepEqual(await publisher.refresh(account, AbortSignal.timeout(5000)), account.tokens);
      assert.equal(attempts(), seen, 'a young token is not sent for refresh');

      sb.knobs.advanceClock(25 * 60 * 60 * 1000);
      try {
        assert.equal(publisher.needsRefresh(account.tokens, sb.knobs.now()), true);
        const fresh = await publisher.refresh(account, AbortSignal.timeout(5000));
        assert.notEqual(fresh.accessToken, account.tokens.accessToken);
        assert.equal(fresh.refreshToken, null);
        assert.ok(
          fresh.expiresAt &&
            Math.abs(fresh.expiresAt.getTime() - (sb.knobs.now().getTime() + 60 * DAY_MS)) < 5000,
        );
        assert.equal(attempts(), seen + 1);
        const published = await publisher.publish(
          request({ ...account, tokens: fresh }, { text: uniqueCaption(), media: [jpeg()] }),
        );
        assert.ok(published.externalId);
      } finally {
        sb.knobs.advanceClock(-25 * 60 * 60 * 1000);
      }
    });

    it('by default refreshes during the last 7 days, and an expired token fails as auth_expired', async () => {
      const publisher = igPublisher(sb);
      const at = new Date('2026-11-28T12:00:00Z');
      const tokens = (msLeft: number) => ({
        accessToken: 't',
        refreshToken: null,
        expiresAt: new Date(at.getTime() + msLeft),
      });
      assert.equal(publisher.needsRefresh(tokens(8 * DAY_MS), at), false);
      assert.equal(publisher.needsRefresh(tokens(6 * DAY_MS), at), true);
      assert.equal(
        publisher.needsRefresh({ accessToken: 't', refreshToken: null, expiresAt: null }, at),
        false,
      );
      const account = connect(sb);
      const expired = {
        ...account,
        tokens: { ...account.tokens, expiresAt: new Date(sb.knobs.now().getTime() - 1000) },
      };
      const err = await publishError(publisher.refresh(expired, AbortSignal.timeout(5000)));
      assert.equal(err.code, 'auth_expired');
    });

    it('connects an account: authorize, code exchange, long-lived token, exact 17-digit user id', async () => {
      const publisher = igPublisher(sb);
      const userId = '17841499999999999';
      sb.knobs.setSettings({ 'instagram.authorizeAs': userId });
      const redirectUri = 'https://app.example.com/oauth/instagram/callback';
      const url = new URL(publisher.authorizationUrl({ state: 'st-1', redirectUri }));
      assert.equal(
        url.searchParams.get('scope'),
        'instagram_business_basic,instagram_business_content_publish,instagram_business_manage_comments',
      );
      assert.equal(url.searchParams.get('client_id'), CLIENT.clientId);
      const res = await fetch(url, { redirect: 'manual' });
      await res.body?.cancel();
      const back = new URL(res.headers.get('location')!);
      assert.equal(back.searchParams.get('state'), 'st-1');
      const connected = await publisher.exchangeCode(
        { code: back.searchParams.get('code')!, redirectUri },
        AbortSignal.timeout(5000),
      );
      assert.equal(connected.externalId, userId);
      assert.deepEqual(connected.scopes, [
        'instagram_business_basic',
        'instagram_business_content_publish',
        'instagram_business_manage_comments',
      ]);
      assert.equal(connected.tokens.refreshToken, null);
      assert.ok(
        connected.tokens.expiresAt &&
          connected.tokens.expiresAt.getTime() - sb.knobs.now().getTime() > 59 * DAY_MS,
      );
      const err = await publishError(
        publisher.exchangeCode(
          { code: back.searchParams.get('code')!, redirectUri },
          AbortSignal.timeout(5000),
        ),
      );
      assert.equal(err.code, 'auth_expired', 'a used code is refused');
    });
  });

  it('refuses options it cannot work with, naming each problem', () => {
    assert.throws(
      () =>
        createInstagramPublisher({
          baseUrl: 'graph.instagram.com',
          clientId: '',
          clientSecret: null,
          allowPrivateMediaHosts: false,
        }),
      (err: Error & { code?: string }) =>
        err.code === 'config_invalid' && /baseUrl/.test(err.message) && /clientId/.test(err.message),
    );
  });
});
