/**
 * The Instagram publisher's first comment against the Instagram sandbox: what it sends to
 * `/{ig-media-id}/comments`, the id and link it returns, how refusals are classified, and the look-up
 * after a send whose answer was lost (docs/platform-apis.md §2.9).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createInstagramPublisher } from '../../src/platforms/instagram/instagram-publisher.ts';
import { MAX_COMMENT_LENGTH } from '../../src/platforms/instagram/instagram-comments.ts';
import type {
  CommentReconcileRequest,
  CommentRequest,
  PublishAccount,
} from '../../src/platforms/publisher.ts';
import { requestsEndingWith, type SocialSandbox, startSocialSandbox } from '../support/social-sandbox.ts';
import { publishError } from './publisher.contract.ts';

let sb: SocialSandbox;
before(async () => {
  sb = await startSocialSandbox();
});
after(async () => {
  await sb?.close();
});

const publisher = () =>
  createInstagramPublisher({
    baseUrl: `${sb.url}/instagram`,
    clientId: 'sandbox-instagram-client',
    clientSecret: 'sandbox-instagram-secret',
    allowPrivateMediaHosts: true,
    timeoutMs: 5000,
    now: () => sb.knobs.now(),
    containerWait: { pollIntervalMs: 5, maxWaitMs: 2000 },
  });

function connect(scopes?: string[]): PublishAccount {
  const { userId, token } = sb.instagram.createAccount(scopes ? { scopes } : {});
  return {
    id: crypto.randomUUID(),
    externalId: userId,
    tokens: { accessToken: token.accessToken, refreshToken: null, expiresAt: token.expiresAt },
  };
}

async function liveMedia(account: PublishAccount): Promise<{ id: string; url: string | null }> {
  const published = await publisher().publish({
    postId: crypto.randomUUID(),
    targetId: crypto.randomUUID(),
    content: {
      text: `Post ${crypto.randomUUID()}`,
      media: [{ url: `https://cdn.example.com/${crypto.randomUUID().slice(0, 6)}.jpg` }],
    },
    account,
    attempt: 1,
    signal: AbortSignal.timeout(10_000),
  });
  return { id: published.externalId, url: published.url };
}

function commentRequest(account: PublishAccount, on: string, text: string): CommentRequest {
  return {
    postId: crypto.randomUUID(),
    targetId: crypto.randomUUID(),
    on,
    text,
    account,
    attempt: 1,
    signal: AbortSignal.timeout(10_000),
  };
}

function lookup(req: CommentRequest, extra: Partial<CommentReconcileRequest> = {}): CommentReconcileRequest {
  return {
    ...req,
    attempt: 2,
    sentAfter: new Date(sb.knobs.now().getTime() - 5000),
    takenExternalIds: [],
    ...extra,
  };
}

describe('Instagram first comment', () => {
  it('posts message= to /{media-id}/comments and returns the comment id, linked by the media permalink', async () => {
    const account = connect();
    const media = await liveMedia(account);
    const text = 'First comment #launch @friend — link in bio';
    const published = await publisher().comment(commentRequest(account, media.id, text));
    const stored = sb.instagram.comments().filter((c) => c.postId === media.id);
    assert.equal(stored.length, 1);
    assert.deepEqual(
      { id: stored[0]!.id, text: stored[0]!.text, author: stored[0]!.author },
      { id: published.externalId, text, author: account.externalId },
    );
    assert.match(published.externalId, /^\d{17}$/, 'the exact id, beyond 2^53');
    assert.ok(media.url);
    assert.equal(published.url, media.url, 'comments have no permalink: the media’s is used');
    const sent = requestsEndingWith(sb.knobs, 'instagram', 'POST', '/comments').at(-1);
    assert.equal(sent?.path, `/v25.0/${media.id}/comments`);
    assert.equal(sent?.status, 200);
  });

  it('validates firstComment: required and at most 2200 characters; comment() refuses before sending', async () => {
    const p = publisher();
    assert.deepEqual(p.validateComment('x'.repeat(MAX_COMMENT_LENGTH)), []);
    assert.deepEqual(p.validateComment('').map((v) => [v.rule, v.path]), [['text_required', 'firstComment']]);
    const long = p.validateComment('x'.repeat(MAX_COMMENT_LENGTH + 1));
    assert.deepEqual(long.map((v) => [v.platform, v.rule, v.path]), [[
      'instagram',
      'text_too_long',
      'firstComment',
    ]]);
    assert.match(long[0]!.message, /2200.*firstComment has 2201/);
    const before = sb.knobs.requests('instagram').length;
    const err = await publishError(p.comment(commentRequest(connect(), '1', ' ')));
    assert.equal(err.code, 'content_invalid');
    assert.equal(sb.knobs.requests('instagram').length, before, 'nothing was sent');
  });

  it('classifies missing media (100/33), a missing permission (10), a throttle and a 5xx', async () => {
    const account = connect();
    const gone = await publishError(publisher().comment(commentRequest(account, '17999999999999999', 'hi')));
    assert.deepEqual([gone.code, gone.platformCode], ['post_missing', '100/33']);
    assert.match(gone.message, /17999999999999999/);

    const noComments = connect(['instagram_business_basic', 'instagram_business_content_publish']);
    const media = await liveMedia(noComments);
    const denied = await publishError(publisher().comment(commentRequest(noComments, media.id, 'hi')));
    assert.deepEqual([denied.code, denied.platformCode], ['permission_denied', '10']);
    assert.match(denied.message, /instagram_business_manage_comments/);

    const own = await liveMedia(account);
    sb.knobs.injectFault({ platform: 'instagram', mode: 'rate_limit', path: `/v25.0/${own.id}/comments` });
    const throttled = await publishError(publisher().comment(commentRequest(account, own.id, 'hi')));
    assert.deepEqual([throttled.code, throttled.kind], ['rate_limited', 'rate_limited']);
    assert.ok(throttled.retryAt, 'the usage header names when access is regained');

    sb.knobs.injectFault({
      platform: 'instagram',
      mode: 'status',
      status: 500,
      path: `/v25.0/${own.id}/comments`,
    });
    const down = await publishError(publisher().comment(commentRequest(account, own.id, 'hi')));
    assert.deepEqual([down.code, down.kind], ['platform_unavailable', 'transient']);
    assert.equal(sb.instagram.comments().filter((c) => c.postId === own.id).length, 0, 'no comment was made');
  });

  it('reconcileComment finds its own comment, ignoring other text and taken ids', async () => {
    const account = connect();
    const media = await liveMedia(account);
    const text = `Swipe for more ${crypto.randomUUID().slice(0, 6)}`;
    await publisher().comment(commentRequest(account, media.id, 'another comment'));
    const req = commentRequest(account, media.id, text);
    assert.deepEqual(await publisher().reconcileComment!(lookup(req)), { status: 'not_published' });
    const ours = await publisher().comment(req);
    assert.deepEqual(await publisher().reconcileComment!(lookup(req)), {
      status: 'published',
      published: ours,
    });
    assert.deepEqual(
      await publisher().reconcileComment!(lookup(req, { takenExternalIds: [ours.externalId] })),
      { status: 'not_published' },
    );
    assert.deepEqual(
      await publisher().reconcileComment!(
        lookup(req, { sentAfter: new Date(sb.knobs.now().getTime() + 600_000) }),
      ),
      { status: 'not_published' },
      'a comment before the send window is not this send',
    );
  });

  it('reconcileComment answers unknown for two look-alikes, and a retryable unknown when Instagram is down', async () => {
    const account = connect();
    const media = await liveMedia(account);
    const req = commentRequest(account, media.id, 'Twice');
    await publisher().comment(req);
    await publisher().comment(req);
    const twice = await publisher().reconcileComment!(lookup(req));
    assert.equal(twice.status, 'unknown');
    sb.knobs.injectFault({
      platform: 'instagram',
      mode: 'status',
      status: 503,
      path: `/v25.0/${media.id}/comments`,
    });
    const down = await publisher().reconcileComment!(lookup(req));
    assert.deepEqual(down.status === 'unknown' ? down.retryable : null, true);
  });
});
