import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLinkedInPublisher } from '../../src/platforms/linkedin/linkedin-publisher.ts';
import type { LinkedInPublisherOptions } from '../../src/platforms/linkedin/linkedin-publisher.ts';
import { decodeRestliId } from '../../src/platforms/linkedin/linkedin-api.ts';
import { classifyLinkedInError } from '../../src/platforms/linkedin/linkedin-errors.ts';
import { escapeLittleText } from '../../src/platforms/linkedin/linkedin-little-text.ts';
import type {
  PublishAccount,
  PublishContent,
  PublishRequest,
  ReconcileRequest,
} from '../../src/platforms/publisher.ts';
import { createFreshConnectionFetch } from '../support/fresh-connection-fetch.ts';
import { requestsEndingWith, type SocialSandbox, startSocialSandbox } from '../support/social-sandbox.ts';
import { assertNoSecrets, publisherContract, publishError } from './publisher.contract.ts';

const CLIENT = { clientId: 'sandbox-linkedin-client', clientSecret: 'sandbox-linkedin-secret' };
const DAY_MS = 24 * 60 * 60 * 1000;
let counter = 0;
const uniqueText = (prefix = 'Shipping day') => `${prefix} ${++counter} ${crypto.randomUUID().slice(0, 8)}`;
const RESERVED_TEXT =
  'Launch (beta) [v2] {new} <fast> #ship @team *bold* _it_ ~strike~ a|b back\\slash C:\\path\\ @[Not](a mention)';

function liPublisher(sb: SocialSandbox, overrides: Partial<LinkedInPublisherOptions> = {}) {
  return createLinkedInPublisher({
    baseUrl: `${sb.url}/linkedin`,
    oauthBaseUrl: `${sb.url}/linkedin`,
    version: '202601',
    ...CLIENT,
    allowPrivateMediaHosts: true,
    timeoutMs: 5000,
    now: () => sb.knobs.now(),
    ...overrides,
  });
}

function connect(sb: SocialSandbox, input: Parameters<SocialSandbox['linkedin']['createMember']>[0] = {}) {
  const { urn, token } = sb.linkedin.createMember(input);
  const account: PublishAccount = {
    id: crypto.randomUUID(),
    externalId: urn,
    tokens: { accessToken: token.accessToken, refreshToken: token.refreshToken, expiresAt: token.expiresAt },
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
    sentAfter: new Date(sb.knobs.now().getTime() - 5000),
    takenExternalIds: [],
    ...extra,
  };
}

const postsOf = (sb: SocialSandbox, account: PublishAccount) =>
  sb.linkedin.posts().filter((p) => p.author === account.externalId);

publisherContract('LinkedIn', async () => {
  const sb = await startSocialSandbox();
  // LinkedIn documents no Retry-After; the contract checks that a reset the platform states is honoured.
  sb.knobs.setSettings({ 'linkedin.retryAfterHeader': true });
  return {
    platform: 'linkedin',
    knobs: sb.knobs,
    publisher: liPublisher(sb),
    connectAccount: () => Promise.resolve(connect(sb)),
    expireAccessToken: (account) => sb.knobs.tokens.expire('linkedin', account.tokens.accessToken),
    validContent: () => ({ text: uniqueText(), media: [] }),
    invalidContent: {
      content: {
        text: 'x'.repeat(3001),
        media: Array.from({ length: 21 }, (_, i) => ({ url: `https://cdn.example.com/${i}.mp4` })),
      },
      rules: ['text_too_long', 'too_many_media', 'media_type_unsupported'],
    },
    publishPath: '/rest/posts',
    close: () => sb.close(),
  };
});

describe('LinkedIn publisher', () => {
  let sb: SocialSandbox;
  before(async () => {
    sb = await startSocialSandbox();
  });
  after(async () => {
    await sb?.close();
  });

  describe('publishing', () => {
    it('publishes a text post with the versioned headers and returns the decoded x-restli-id', async () => {
      const account = connect(sb);
      const text = uniqueText();
      const published = await liPublisher(sb).publish(request(account, { text, media: [] }));
      const [post] = postsOf(sb, account);
      assert.ok(post);
      assert.match(published.externalId, /^urn:li:share:\d+$/, 'the percent-encoded header was decoded');
      assert.equal(published.externalId, post.id);
      assert.equal(published.url, `https://www.linkedin.com/feed/update/${post.id}/`);
      assert.equal(post.shown, text);
      assert.deepEqual(
        { ...post.body, commentary: undefined },
        {
          author: account.externalId,
          commentary: undefined,
          visibility: 'PUBLIC',
          distribution: {
            feedDistribution: 'MAIN_FEED',
            targetEntities: [],
            thirdPartyDistributionChannels: [],
          },
          lifecycleState: 'PUBLISHED',
          isReshareDisabledByAuthor: false,
        },
      );
    });

    it('delivers a text full of reserved characters intact (every one escaped)', async () => {
      sb.knobs.setSettings({ 'linkedin.unescapedText': 'reject' });
      try {
        const account = connect(sb);
        const text = `${RESERVED_TEXT} ${crypto.randomUUID().slice(0, 6)}`;
        await liPublisher(sb).publish(request(account, { text, media: [] }));
        const [post] = postsOf(sb, account);
        assert.equal(post?.commentary, escapeLittleText(text), 'the commentary arrived exactly as escaped');
        assert.equal(
          post?.shown,
          text,
          "LinkedIn shows the creator's text, nothing cut or turned into markup",
        );
        assert.equal(sb.knobs.published('linkedin').find((p) => p.id === post?.id)?.text, text);
      } finally {
        sb.knobs.setSettings({ 'linkedin.unescapedText': 'truncate' });
      }
    });

    it('publishes one image: download, initializeUpload, PUT, then the image URN in the post', async () => {
      const account = connect(sb);
      const media = [{ url: `${sb.url}/_sandbox/media/sample.jpg`, altText: 'A sample' }];
      await liPublisher(sb).publish(request(account, { text: uniqueText(), media }));
      const [post] = postsOf(sb, account);
      const content = post?.content as { media: { id: string; altText: string } };
      assert.match(content.media.id, /^urn:li:image:/);
      assert.equal(content.media.altText, 'A sample');
      assert.equal(
        requestsEndingWith(sb.knobs, 'linkedin', 'PUT', '').filter((r) => r.path.startsWith('/dms-uploads/'))
          .length >= 1,
        true,
      );
    });

    it('publishes several images as multiImage', async () => {
      const account = connect(sb);
      const media = [{ url: `${sb.url}/_sandbox/media/sample.png` }, {
        url: `${sb.url}/_sandbox/media/sample.gif`,
      }];
      await liPublisher(sb).publish(request(account, { text: uniqueText(), media }));
      const content = postsOf(sb, account)[0]?.content as { multiImage: { images: { id: string }[] } };
      assert.equal(content.multiImage.images.length, 2);
    });

    it('posts for an organization the member administers, and refuses one it does not', async () => {
      const member = connect(sb, { scopes: ['openid', 'w_member_social', 'w_organization_social'] });
      const org = 'urn:li:organization:4242';
      sb.linkedin.addOrganizationAdmin(org, member.externalId);
      await liPublisher(sb).publish(
        request({ ...member, externalId: org }, { text: uniqueText(), media: [] }),
      );
      assert.equal(sb.linkedin.posts().filter((p) => p.author === org).length, 1);
      const err = await publishError(
        liPublisher(sb).publish(
          request({ ...member, externalId: 'urn:li:organization:999' }, { text: uniqueText(), media: [] }),
        ),
      );
      assert.equal(err.code, 'permission_denied');
    });
  });

  describe('duplicates and reconcile', () => {
    it('turns 422 DUPLICATE_POST into duplicate_content naming the live post on a first attempt', async () => {
      const account = connect(sb);
      const text = uniqueText();
      const first = await liPublisher(sb).publish(request(account, { text, media: [] }));
      const err = await publishError(liPublisher(sb).publish(request(account, { text, media: [] })));
      assert.equal(err.code, 'duplicate_content');
      assert.equal(err.platformStatus, 422);
      assert.equal(err.platformCode, 'DUPLICATE_POST');
      assert.equal(err.existingExternalId, first.externalId);
      assert.equal(err.retryable, false);
    });

    it('adopts the post the duplicate names on a retry of the same target', async () => {
      const account = connect(sb);
      const req = request(account, { text: uniqueText(), media: [] });
      const first = await liPublisher(sb).publish(req);
      const again = await liPublisher(sb).publish({ ...req, attempt: 2 });
      assert.deepEqual(again, first);
      assert.equal(postsOf(sb, account).length, 1);
    });

    it('reconciles a lost answer: the re-send is refused as a duplicate and the named post adopted', async () => {
      const account = connect(sb);
      // Deno's pooled fetch re-sends a POST whose connection closed unanswered; the Deno entry gives
      // adapters a fetch without connection reuse, and so does this accept-then-drop test.
      const fresh = createFreshConnectionFetch();
      try {
        const publisher = liPublisher(sb, { fetch: fresh.fetch });
        const req = request(account, { text: uniqueText(), media: [] });
        sb.knobs.injectFault({ platform: 'linkedin', mode: 'drop', method: 'POST', path: '/rest/posts' });
        const err = await publishError(publisher.publish(req));
        assert.equal(postsOf(sb, account).length, 1, 'the post went live although the answer was lost');
        assert.equal(err.code, 'outcome_unknown');
        const result = await publisher.reconcile!(lookup(sb, req));
        assert.deepEqual(result, {
          status: 'published',
          published: {
            externalId: postsOf(sb, account)[0]!.id,
            url: `https://www.linkedin.com/feed/update/${postsOf(sb, account)[0]!.id}/`,
          },
        });
        assert.equal(postsOf(sb, account).length, 1, 'still exactly one post');
      } finally {
        fresh.close();
      }
    });

    it('reconciles through the author finder when the token may read posts', async () => {
      const account = connect(sb, { scopes: ['openid', 'w_member_social', 'r_member_social'] });
      const publisher = liPublisher(sb);
      const req = request(account, {
        text: uniqueText(),
        media: [{ url: `${sb.url}/_sandbox/media/sample.jpg` }],
      });
      const published = await publisher.publish(req);
      assert.deepEqual(await publisher.reconcile!(lookup(sb, req)), { status: 'published', published });
      const other = request(account, {
        text: uniqueText(),
        media: [{ url: `${sb.url}/_sandbox/media/sample.jpg` }],
      });
      assert.deepEqual(await publisher.reconcile!(lookup(sb, other)), { status: 'not_published' });
    });

    it('reconciles a lost answer for a post with images: the re-send is refused as a duplicate and the named post adopted', async () => {
      const account = connect(sb);
      const fresh = createFreshConnectionFetch();
      try {
        const publisher = liPublisher(sb, { fetch: fresh.fetch });
        const req = request(account, {
          text: uniqueText('With a photo'),
          media: [{ url: `${sb.url}/_sandbox/media/sample.jpg`, altText: 'A sample' }],
        });
        sb.knobs.injectFault({ platform: 'linkedin', mode: 'drop', method: 'POST', path: '/rest/posts' });
        assert.equal((await publishError(publisher.publish(req))).code, 'outcome_unknown');
        const [live] = postsOf(sb, account);
        assert.ok(live, 'the post went live although the answer was lost');
        const result = await publisher.reconcile!(lookup(sb, req));
        assert.deepEqual(result, {
          status: 'published',
          published: { externalId: live.id, url: `https://www.linkedin.com/feed/update/${live.id}/` },
        });
        assert.equal(postsOf(sb, account).length, 1, 'still exactly one post');
      } finally {
        fresh.close();
      }
    });

    it('reconciles a send that never went out by making the re-send the post (201)', async () => {
      const account = connect(sb);
      const publisher = liPublisher(sb);
      const req = request(account, {
        text: uniqueText('Never arrived'),
        media: [{ url: `${sb.url}/_sandbox/media/sample.png` }],
      });
      const result = await publisher.reconcile!(lookup(sb, req));
      const posts = postsOf(sb, account);
      assert.equal(posts.length, 1, 'exactly one post: the re-send');
      assert.deepEqual(result, {
        status: 'published',
        published: { externalId: posts[0]!.id, url: `https://www.linkedin.com/feed/update/${posts[0]!.id}/` },
      });
      assert.match((posts[0]!.content as { media: { id: string } }).media.id, /^urn:li:image:/);
    });

    it('does not adopt the post a duplicate names when it is already another target’s', async () => {
      const account = connect(sb);
      const publisher = liPublisher(sb);
      const req = request(account, { text: uniqueText('Said twice'), media: [] });
      const other = await publisher.publish(req);
      const result = await publisher.reconcile!(
        lookup(sb, { ...req, targetId: crypto.randomUUID() }, { takenExternalIds: [other.externalId] }),
      );
      assert.equal(result.status, 'unknown');
      assert.match(result.status === 'unknown' ? result.reason : '', /another target/);
      assert.equal(postsOf(sb, account).length, 1);
    });

    it('leaves a media-only post without text unknown rather than re-sending it', async () => {
      const account = connect(sb);
      const req = request(account, { text: '', media: [{ url: `${sb.url}/_sandbox/media/sample.jpg` }] });
      const seen = requestsEndingWith(sb.knobs, 'linkedin', 'POST', '/rest/posts').length;
      const result = await liPublisher(sb).reconcile!(lookup(sb, req));
      assert.equal(result.status, 'unknown');
      assert.match(result.status === 'unknown' ? result.reason : '', /no text/);
      assert.equal(
        requestsEndingWith(sb.knobs, 'linkedin', 'POST', '/rest/posts').length,
        seen,
        'nothing re-sent',
      );
      assert.equal(postsOf(sb, account).length, 0);
    });

    it('stays unknown when the re-send gets no clear answer (5xx)', async () => {
      const account = connect(sb);
      sb.knobs.injectFault({
        platform: 'linkedin',
        mode: 'status',
        status: 503,
        method: 'POST',
        path: '/rest/posts',
      });
      const req = request(account, { text: uniqueText(), media: [] });
      const result = await liPublisher(sb).reconcile!(lookup(sb, req));
      assert.equal(result.status, 'unknown');
      assert.equal(postsOf(sb, account).length, 0);
    });

    it('the author finder adopts neither another target’s post nor one created before the send window', async () => {
      const account = connect(sb, { scopes: ['openid', 'w_member_social', 'r_member_social'] });
      const publisher = liPublisher(sb);
      const req = request(account, { text: uniqueText('Listed'), media: [] });
      const live = await publisher.publish(req);
      const taken = await publisher.reconcile!(lookup(sb, req, { takenExternalIds: [live.externalId] }));
      assert.equal(taken.status, 'unknown', 'another target’s post is never adopted');
      sb.knobs.advanceClock(10 * 60 * 1000);
      try {
        const late = await publisher.reconcile!(lookup(sb, req));
        assert.equal(late.status, 'unknown', 'a post from before sentAfter is not this send');
        assert.match(late.status === 'unknown' ? late.reason : '', /before this send/);
      } finally {
        sb.knobs.advanceClock(-10 * 60 * 1000);
      }
      assert.equal(postsOf(sb, account).length, 1, 'nothing was re-sent');
    });
  });

  describe('errors', () => {
    it('answers a retired LinkedIn-Version (426) with a permanent error telling the operator what to change', async () => {
      const account = connect(sb);
      const err = await publishError(
        liPublisher(sb, { version: '202301' }).publish(request(account, { text: uniqueText(), media: [] })),
      );
      assert.equal(err.platformStatus, 426);
      assert.equal(err.platformCode, 'NONEXISTENT_VERSION');
      assert.equal(err.retryable, false);
      assert.match(err.message, /LINKEDIN_VERSION/);
      assert.match(err.message, /202301/);
    });

    it('reports expired, revoked and invalid tokens as auth errors, never showing the token', async () => {
      const publisher = liPublisher(sb);
      const expired = connect(sb);
      sb.knobs.tokens.expire('linkedin', expired.tokens.accessToken);
      const e1 = await publishError(publisher.publish(request(expired, { text: uniqueText(), media: [] })));
      assert.deepEqual([e1.code, e1.platformCode], ['auth_expired', 'EXPIRED_ACCESS_TOKEN']);
      const revoked = connect(sb);
      sb.knobs.tokens.revoke('linkedin', revoked.tokens.accessToken);
      const e2 = await publishError(publisher.publish(request(revoked, { text: uniqueText(), media: [] })));
      assert.deepEqual([e2.code, e2.platformCode], ['auth_revoked', 'REVOKED_ACCESS_TOKEN']);
      const invalid = { ...expired, tokens: { ...expired.tokens, accessToken: 'not-a-token' } };
      const e3 = await publishError(publisher.publish(request(invalid, { text: uniqueText(), media: [] })));
      assert.equal(e3.code, 'auth_expired');
      for (const [err, account] of [[e1, expired], [e2, revoked], [e3, invalid]] as const) {
        assertNoSecrets(err, account);
      }
    });

    it('reports a token without w_member_social as permission_denied', async () => {
      const account = connect(sb, { scopes: ['openid', 'profile'] });
      const err = await publishError(
        liPublisher(sb).publish(request(account, { text: uniqueText(), media: [] })),
      );
      assert.deepEqual([err.code, err.platformStatus, err.platformCode], [
        'permission_denied',
        403,
        'ACCESS_DENIED',
      ]);
    });

    it('refuses an account id that is not an author URN without sending anything', async () => {
      const account = { ...connect(sb), externalId: '12345' };
      const seen = sb.knobs.requests('linkedin').length;
      const err = await publishError(
        liPublisher(sb).publish(request(account, { text: uniqueText(), media: [] })),
      );
      assert.equal(err.code, 'permission_denied');
      assert.equal(sb.knobs.requests('linkedin').length, seen);
    });

    it('turns the daily member limit (429, no Retry-After) into rate_limited without inventing a reset time', async () => {
      const account = connect(sb);
      sb.knobs.setQuota('linkedin.memberPosts', 1);
      try {
        await liPublisher(sb).publish(request(account, { text: uniqueText(), media: [] }));
        const err = await publishError(
          liPublisher(sb).publish(request(account, { text: uniqueText(), media: [] })),
        );
        assert.equal(err.code, 'rate_limited');
        assert.equal(err.kind, 'rate_limited');
        assert.equal(err.platformStatus, 429);
        assert.equal(err.retryAt, null, 'the worker chooses the wait when LinkedIn names none');
        assert.match(err.message, /no reset time/);
      } finally {
        sb.knobs.setQuota('linkedin.memberPosts', 150);
      }
    });

    it('uses Retry-After when LinkedIn sends one', async () => {
      const account = connect(sb);
      sb.knobs.setSettings({ 'linkedin.retryAfterHeader': true });
      try {
        sb.knobs.injectFault({
          platform: 'linkedin',
          mode: 'rate_limit',
          path: '/rest/posts',
          resetAfterSeconds: 120,
        });
        const before = sb.knobs.now().getTime();
        const err = await publishError(
          liPublisher(sb).publish(request(account, { text: uniqueText(), media: [] })),
        );
        assert.equal(err.code, 'rate_limited');
        assert.ok(err.retryAt && Math.abs(err.retryAt.getTime() - (before + 120_000)) < 3000);
      } finally {
        sb.knobs.setSettings({ 'linkedin.retryAfterHeader': false });
      }
    });

    it('reports media it cannot fetch as media_unreachable and a non-image as media_invalid', async () => {
      const account = connect(sb);
      const e1 = await publishError(
        liPublisher(sb).publish(
          request(account, { text: uniqueText(), media: [{ url: `${sb.url}/_sandbox/media/missing.jpg` }] }),
        ),
      );
      assert.equal(e1.code, 'media_unreachable');
      assert.equal(e1.retryable, false, 'a 404 from the media host fails the target');
      const e2 = await publishError(
        liPublisher(sb).publish(
          request(account, {
            text: uniqueText(),
            media: [{ url: `${sb.url}/_sandbox/media/sample.jpg?type=text/html` }],
          }),
        ),
      );
      assert.equal(e2.code, 'media_invalid');
      const e3 = await publishError(
        liPublisher(sb, { allowPrivateMediaHosts: false }).publish(
          request(account, { text: uniqueText(), media: [{ url: 'https://127.0.0.1/a.jpg' }] }),
        ),
      );
      assert.equal(e3.code, 'media_unreachable', 'private hosts are refused unless allowed');
      assert.equal(postsOf(sb, account).length, 0);
    });

    it('classifies LinkedIn error bodies from their structured fields', () => {
      const classify = (status: number, json: unknown) =>
        classifyLinkedInError({
          status,
          headers: new Headers(),
          json,
          bodyExcerpt: JSON.stringify(json),
          action: 'testing',
          version: '202601',
          now: new Date(),
        });
      assert.equal(
        classify(401, { serviceErrorCode: 65600, message: 'Invalid access token', status: 401 }).code,
        'auth_expired',
      );
      assert.equal(
        classify(401, { serviceErrorCode: 65601, code: 'REVOKED_ACCESS_TOKEN', status: 401 }).code,
        'auth_revoked',
      );
      assert.equal(
        classify(401, { serviceErrorCode: 65602, code: 'EXPIRED_ACCESS_TOKEN', status: 401 }).code,
        'auth_expired',
      );
      assert.equal(
        classify(403, { serviceErrorCode: 100, code: 'ACCESS_DENIED', status: 403 }).code,
        'permission_denied',
      );
      const tooLong = classify(400, {
        message:
          'ShareCommentary text length (8694 characters) exceeded the maximum allowed (3000 characters)',
        errorDetails: {
          inputErrors: [{
            code: 'FIELD_ARRAY_SIZE_TOO_HIGH',
            input: { inputPath: { fieldPath: '/commentary' } },
          }],
        },
        status: 400,
      });
      assert.deepEqual([tooLong.code, tooLong.platformCode], [
        'content_invalid',
        'FIELD_ARRAY_SIZE_TOO_HIGH',
      ]);
      const badMedia = classify(422, {
        errorDetails: {
          inputErrors: [{
            code: 'INVALID_VALUE_FOR_FIELD',
            input: { inputPath: { fieldPath: '/content/media/id' } },
          }],
        },
        status: 422,
      });
      assert.equal(badMedia.code, 'media_invalid');
      const dup = classify(422, {
        message: 'BadRequestResponseException: Content is a duplicate of urn:li:share:7141138937766391808',
        errorDetails: {
          inputErrors: [{ description: 'Duplicate post is detected', input: {}, code: 'DUPLICATE_POST' }],
        },
        status: 422,
      });
      assert.deepEqual([dup.code, dup.existingExternalId], [
        'duplicate_content',
        'urn:li:share:7141138937766391808',
      ]);
      assert.equal(classify(503, null).code, 'platform_unavailable');
      assert.equal(classify(404, { status: 404 }).code, 'unknown');
    });

    it('decodes x-restli-id whether or not it is percent-encoded', () => {
      assert.equal(decodeRestliId('urn%3Ali%3Ashare%3A123'), 'urn:li:share:123');
      assert.equal(decodeRestliId('urn:li:ugcPost:456'), 'urn:li:ugcPost:456');
      assert.equal(decodeRestliId('%E0%A4%A'), null);
      assert.equal(decodeRestliId(null), null);
    });
  });

  describe('validate', () => {
    it('measures the escaped commentary against 3000 characters', () => {
      const publisher = liPublisher(sb);
      assert.deepEqual(publisher.validate({ text: 'a'.repeat(3000), media: [] }), []);
      assert.equal(publisher.textLength('(a)'), 5);
      const rules = publisher.validate({ text: '('.repeat(1501), media: [] }).map((v) => v.rule);
      assert.deepEqual(rules, ['text_too_long']);
      assert.deepEqual(publisher.validate({ text: '  ', media: [] }).map((v) => v.rule), ['text_required']);
      assert.deepEqual(
        publisher.validate({ text: '', media: [{ url: 'https://cdn.example.com/a.jpg' }] }),
        [],
      );
    });
  });

  describe('tokens', () => {
    it('refreshes with the refresh token after expiry, and the new token publishes', async () => {
      const publisher = liPublisher(sb);
      const account = connect(sb);
      sb.knobs.tokens.expire('linkedin', account.tokens.accessToken);
      const err = await publishError(publisher.publish(request(account, { text: uniqueText(), media: [] })));
      assert.equal(err.code, 'auth_expired');
      const expiredTokens = { ...account.tokens, expiresAt: new Date(sb.knobs.now().getTime() - 1) };
      assert.equal(publisher.needsRefresh(expiredTokens, sb.knobs.now()), true);
      const fresh = await publisher.refresh({ ...account, tokens: expiredTokens }, AbortSignal.timeout(5000));
      assert.notEqual(fresh.accessToken, account.tokens.accessToken);
      assert.equal(fresh.refreshToken, account.tokens.refreshToken, 'LinkedIn refresh tokens do not rotate');
      assert.ok(fresh.expiresAt && fresh.expiresAt.getTime() - sb.knobs.now().getTime() > 59 * DAY_MS);
      const published = await publisher.publish(
        request({ ...account, tokens: fresh }, { text: uniqueText(), media: [] }),
      );
      assert.ok(published.externalId);
    });

    it('without a refresh token asks for reconnection an hour before expiry, without calling LinkedIn', async () => {
      const publisher = liPublisher(sb);
      const account = connect(sb, { refreshToken: false });
      assert.equal(account.tokens.refreshToken, null);
      const at = sb.knobs.now();
      const expiring = (ms: number) => ({ ...account.tokens, expiresAt: new Date(at.getTime() + ms) });
      assert.equal(publisher.needsRefresh(expiring(2 * 60 * 60 * 1000), at), false);
      assert.equal(publisher.needsRefresh(expiring(30 * 60 * 1000), at), true);
      const seen = sb.knobs.requests('linkedin').length;
      const err = await publishError(
        publisher.refresh({ ...account, tokens: expiring(30 * 60 * 1000) }, AbortSignal.timeout(5000)),
      );
      assert.equal(err.code, 'auth_expired');
      assert.match(err.message, /reconnect/);
      assert.equal(sb.knobs.requests('linkedin').length, seen);
    });

    it('with a refresh token refreshes during the last 7 days', () => {
      const publisher = liPublisher(sb);
      const at = new Date('2026-11-28T12:00:00Z');
      const tokens = (ms: number) => ({
        accessToken: 'a',
        refreshToken: 'r',
        expiresAt: new Date(at.getTime() + ms),
      });
      assert.equal(publisher.needsRefresh(tokens(8 * DAY_MS), at), false);
      assert.equal(publisher.needsRefresh(tokens(6 * DAY_MS), at), true);
    });

    it('a refused refresh token becomes auth_expired', async () => {
      const account = connect(sb);
      const err = await publishError(
        liPublisher(sb).refresh(
          { ...account, tokens: { ...account.tokens, refreshToken: 'spent' } },
          AbortSignal.timeout(5000),
        ),
      );
      assert.equal(err.code, 'auth_expired');
      assertNoSecrets(err, account);
    });

    it('connects a member: authorize, code exchange, /v2/userinfo → urn:li:person', async () => {
      const publisher = liPublisher(sb);
      sb.knobs.setSettings({ 'linkedin.authorizeAs': 'urn:li:person:abcConnect' });
      const redirectUri = 'https://app.example.com/oauth/linkedin/callback';
      const url = new URL(publisher.authorizationUrl({ state: 's-9', redirectUri }));
      assert.equal(url.pathname.endsWith('/oauth/v2/authorization'), true);
      assert.equal(url.searchParams.get('scope'), 'openid profile w_member_social');
      const res = await fetch(url, { redirect: 'manual' });
      await res.body?.cancel();
      const back = new URL(res.headers.get('location')!);
      assert.equal(back.searchParams.get('state'), 's-9');
      const connected = await publisher.exchangeCode(
        { code: back.searchParams.get('code')!, redirectUri },
        AbortSignal.timeout(5000),
      );
      assert.equal(connected.externalId, 'urn:li:person:abcConnect');
      assert.ok(connected.tokens.refreshToken);
      assert.deepEqual(connected.scopes, ['openid', 'profile', 'w_member_social']);
      const published = await publisher.publish(
        request({ id: 'x', externalId: connected.externalId, tokens: connected.tokens }, {
          text: uniqueText(),
          media: [],
        }),
      );
      assert.ok(published.externalId);
    });
  });

  it('refuses options it cannot work with, naming each problem', () => {
    assert.throws(
      () =>
        createLinkedInPublisher({
          baseUrl: 'nope',
          version: '2026-01',
          clientId: null,
          clientSecret: null,
          allowPrivateMediaHosts: false,
        }),
      (err: Error & { code?: string }) =>
        err.code === 'config_invalid' && /baseUrl/.test(err.message) && /version/.test(err.message),
    );
  });
});
