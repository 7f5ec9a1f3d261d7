/**
 * The LinkedIn publisher's first comment against the LinkedIn sandbox: what it sends to
 * `/rest/socialActions/{urn}/comments`, the id and link it returns, how refusals are classified, and
 * the look-up after a send whose answer was lost (docs/platform-apis.md §3.9).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLinkedInPublisher } from '../../src/platforms/linkedin/linkedin-publisher.ts';
import { MAX_COMMENT_LENGTH } from '../../src/platforms/linkedin/linkedin-comments.ts';
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
  createLinkedInPublisher({
    baseUrl: `${sb.url}/linkedin`,
    oauthBaseUrl: `${sb.url}/linkedin`,
    version: '202601',
    clientId: 'sandbox-linkedin-client',
    clientSecret: 'sandbox-linkedin-secret',
    allowPrivateMediaHosts: true,
    timeoutMs: 5000,
    now: () => sb.knobs.now(),
  });

function connect(scopes = ['openid', 'profile', 'w_member_social', 'r_member_social']): PublishAccount {
  const { urn, token } = sb.linkedin.createMember({ scopes });
  return {
    id: crypto.randomUUID(),
    externalId: urn,
    tokens: { accessToken: token.accessToken, refreshToken: token.refreshToken, expiresAt: token.expiresAt },
  };
}

async function livePost(account: PublishAccount): Promise<string> {
  const published = await publisher().publish({
    postId: crypto.randomUUID(),
    targetId: crypto.randomUUID(),
    content: { text: `Post ${crypto.randomUUID()}`, media: [] },
    account,
    attempt: 1,
    signal: AbortSignal.timeout(10_000),
  });
  return published.externalId;
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

describe('LinkedIn first comment', () => {
  it('posts {actor, object, message.text} to socialActions/{urn}/comments and returns the comment URN and link', async () => {
    const account = connect();
    const post = await livePost(account);
    const text = 'First comment (with #tags, @people and [brackets]) — sent as written';
    const published = await publisher().comment(commentRequest(account, post, text));
    const [stored] = sb.linkedin.comments().filter((c) => c.postId === post);
    assert.ok(stored, 'the sandbox recorded the comment');
    assert.deepEqual(stored.body, { actor: account.externalId, object: post, message: { text } });
    assert.equal(stored.text, text, 'comments are not little-text escaped');
    assert.equal(published.externalId, stored.id);
    assert.match(published.externalId, /^urn:li:comment:\(urn:li:share:\d+,\d+\)$/);
    assert.equal(
      published.url,
      `https://www.linkedin.com/feed/update/${post}/?commentUrn=${encodeURIComponent(stored.id)}`,
    );
    const sent = requestsEndingWith(sb.knobs, 'linkedin', 'POST', '/comments').at(-1);
    assert.equal(
      sent?.path,
      `/rest/socialActions/${encodeURIComponent(post)}/comments`,
      'the URN is url-encoded',
    );
    assert.equal(sent?.status, 201);
  });

  it('validates firstComment: required, at most 1250 characters, and comment() refuses before sending', async () => {
    const p = publisher();
    assert.deepEqual(p.validateComment('fine'), []);
    assert.deepEqual(p.validateComment('x'.repeat(MAX_COMMENT_LENGTH)), []);
    assert.deepEqual(p.validateComment('  ').map((v) => [v.rule, v.path]), [[
      'text_required',
      'firstComment',
    ]]);
    const long = p.validateComment('😀'.repeat(MAX_COMMENT_LENGTH + 1));
    assert.deepEqual(long.map((v) => [v.platform, v.rule, v.path]), [[
      'linkedin',
      'text_too_long',
      'firstComment',
    ]]);
    assert.match(long[0]!.message, /firstComment.*1251|1250.*firstComment has 1251/);
    const before = sb.knobs.requests('linkedin').length;
    const err = await publishError(p.comment(commentRequest(connect(), 'urn:li:share:1', '')));
    assert.equal(err.code, 'content_invalid');
    assert.equal(sb.knobs.requests('linkedin').length, before, 'nothing was sent');
  });

  it('classifies a missing post (404), a missing permission (403), a throttle (429) and a 5xx', async () => {
    const account = connect();
    const missing = await publishError(
      publisher().comment(commentRequest(account, 'urn:li:share:404', 'hi')),
    );
    assert.deepEqual([missing.code, missing.kind, missing.platformStatus], [
      'post_missing',
      'rejected',
      404,
    ]);
    assert.match(missing.message, /urn:li:share:404/);

    const post = await livePost(account);
    const readOnly = connect(['openid', 'profile']);
    const denied = await publishError(publisher().comment(commentRequest(readOnly, post, 'hi')));
    assert.deepEqual([denied.code, denied.platformCode], ['permission_denied', 'ACCESS_DENIED']);
    assert.match(denied.message, /w_member_social/);

    sb.knobs.setSettings({ 'linkedin.retryAfterHeader': true });
    sb.knobs.injectFault({
      platform: 'linkedin',
      mode: 'rate_limit',
      path: '/rest/socialActions/*',
      resetAfterSeconds: 120,
    });
    const throttled = await publishError(publisher().comment(commentRequest(account, post, 'hi')));
    sb.knobs.setSettings({ 'linkedin.retryAfterHeader': false });
    assert.equal(throttled.code, 'rate_limited');
    assert.ok(throttled.retryAt && throttled.retryAt.getTime() > sb.knobs.now().getTime());

    sb.knobs.injectFault({
      platform: 'linkedin',
      mode: 'status',
      status: 503,
      path: '/rest/socialActions/*',
    });
    const down = await publishError(publisher().comment(commentRequest(account, post, 'hi')));
    assert.deepEqual([down.code, down.kind], ['platform_unavailable', 'transient']);
    assert.equal(sb.linkedin.comments().filter((c) => c.postId === post).length, 0, 'no comment was made');
  });

  it('reconcileComment finds its own comment, ignoring other actors, other text and taken ids', async () => {
    const account = connect();
    const post = await livePost(account);
    const other = connect();
    const text = `Links in the comments ${crypto.randomUUID().slice(0, 6)}`;
    await publisher().comment(commentRequest(other, post, text)); // same text, another member
    await publisher().comment(commentRequest(account, post, 'something else'));
    const req = commentRequest(account, post, text);
    const before = await publisher().reconcileComment!(lookup(req));
    assert.deepEqual(before, { status: 'not_published' });
    const ours = await publisher().comment(req);
    const found = await publisher().reconcileComment!(lookup(req));
    assert.deepEqual(found, { status: 'published', published: ours });
    const taken = await publisher().reconcileComment!(lookup(req, { takenExternalIds: [ours.externalId] }));
    assert.deepEqual(taken, { status: 'not_published' });
    const older = await publisher().reconcileComment!(
      lookup(req, { sentAfter: new Date(sb.knobs.now().getTime() + 10 * 60_000) }),
    );
    assert.deepEqual(older, { status: 'not_published' }, 'a comment before the send window is not this send');
  });

  it('reconcileComment answers unknown for two look-alikes, and when the app may not list comments', async () => {
    const account = connect();
    const post = await livePost(account);
    const req = commentRequest(account, post, 'Twice');
    await publisher().comment(req);
    await publisher().comment(req);
    const twice = await publisher().reconcileComment!(lookup(req));
    assert.equal(twice.status, 'unknown');

    const writeOnly = connect(['openid', 'profile', 'w_member_social']);
    const post2 = await livePost(writeOnly);
    const blind = await publisher().reconcileComment!(lookup(commentRequest(writeOnly, post2, 'x')));
    assert.equal(blind.status, 'unknown');
    assert.match(blind.status === 'unknown' ? blind.reason : '', /r_member_social/);

    sb.knobs.injectFault({
      platform: 'linkedin',
      mode: 'status',
      status: 502,
      path: '/rest/socialActions/*',
    });
    const down = await publisher().reconcileComment!(lookup(req));
    assert.deepEqual(down.status === 'unknown' ? down.retryable : null, true);
  });
});
