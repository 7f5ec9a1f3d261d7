import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type {
  CommentReconcileRequest,
  CommentRequest,
  PublishAccount,
  PublishContent,
  Publisher,
  PublishRequest,
  ReconcileRequest,
} from '../../src/platforms/publisher.ts';
import { X_REPLY_VISIBILITY_GRACE_MS } from '../../src/platforms/x/x-errors.ts';
import { createXPublisher } from '../../src/platforms/x/x-publisher.ts';
import type { RunningSandbox } from '../../src/sandbox/start-sandbox.ts';
import { startSandbox } from '../../src/sandbox/start-sandbox.ts';
import { createFreshConnectionFetch } from '../support/fresh-connection-fetch.ts';
import { publishError } from './publisher.contract.ts';

// X threads (each part a reply to the part before) and first comments (a reply to the post),
// against the X sandbox. docs/platform-apis.md §1.4, §1.5, §1.9.

const CLIENT = { clientId: 'sandbox-x-client', clientSecret: 'sandbox-x-secret' };
let counter = 0;
const uniqueText = (prefix: string) => `${prefix} #${++counter} ${crypto.randomUUID().slice(0, 8)}`;

describe('X replies: threads and first comments', () => {
  let running: RunningSandbox;
  let fresh: ReturnType<typeof createFreshConnectionFetch>;
  let publisher: Publisher;
  before(async () => {
    running = await startSandbox({ port: 0 });
    // A fresh connection per request, so a dropped answer never makes fetch re-send on a reused one.
    fresh = createFreshConnectionFetch();
    publisher = createXPublisher({
      baseUrl: `${running.url}/x`,
      ...CLIENT,
      allowPrivateMediaHosts: true,
      timeoutMs: 5000,
      fetch: fresh.fetch,
      now: () => running.sandbox.knobs.now(),
    });
  });
  after(async () => {
    fresh?.close();
    await running?.close();
  });

  function connect(input: Parameters<RunningSandbox['sandbox']['x']['connectAccount']>[0] = {}) {
    const { user, token } = running.sandbox.x.connectAccount(input);
    const account: PublishAccount = {
      id: crypto.randomUUID(),
      externalId: user.id,
      tokens: {
        accessToken: token.accessToken,
        refreshToken: token.refreshToken,
        expiresAt: token.expiresAt,
      },
    };
    return { account, user, token };
  }

  const signal = () => AbortSignal.timeout(15_000);
  const request = (account: PublishAccount, content: PublishContent): PublishRequest => ({
    postId: crypto.randomUUID(),
    targetId: crypto.randomUUID(),
    content,
    account,
    attempt: 1,
    signal: signal(),
  });
  const reconcileRequest = (
    account: PublishAccount,
    content: PublishContent,
    sentAfter: Date,
    takenExternalIds: readonly string[] = [],
  ): ReconcileRequest => ({ ...request(account, content), sentAfter, takenExternalIds });
  const commentRequest = (account: PublishAccount, on: string, text: string): CommentRequest => ({
    postId: crypto.randomUUID(),
    targetId: crypto.randomUUID(),
    on,
    text,
    account,
    attempt: 1,
    signal: signal(),
  });
  const commentReconcileRequest = (
    account: PublishAccount,
    on: string,
    text: string,
    sentAfter: Date,
    takenExternalIds: readonly string[] = [],
  ): CommentReconcileRequest => ({ ...commentRequest(account, on, text), sentAfter, takenExternalIds });

  const recorded = (id: string) => running.sandbox.x.state.posts.find((p) => p.id === id);
  const received = (id: string) => running.sandbox.knobs.published('x').find((p) => p.id === id)?.received;
  const adopted = (id: string) => ({
    status: 'published',
    published: { externalId: id, url: `https://x.com/i/web/status/${id}` },
  });

  async function deletePost(account: PublishAccount, id: string): Promise<void> {
    const res = await fetch(`${running.url}/x/2/tweets/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${account.tokens.accessToken}` },
    });
    assert.deepEqual(await res.json(), { data: { deleted: true } });
  }

  /** Publishes, but the connection drops after X made the post live; returns the live post's id. */
  async function sendAndLoseAnswer(send: () => Promise<unknown>): Promise<string> {
    const before = running.sandbox.knobs.published('x').length;
    running.sandbox.knobs.injectFault({ platform: 'x', mode: 'drop', path: '/2/tweets' });
    const err = await publishError(send());
    assert.equal(err.code, 'outcome_unknown');
    const live = running.sandbox.knobs.published('x');
    assert.equal(live.length, before + 1, 'the sandbox did publish it');
    return live[live.length - 1]!.id;
  }

  describe('threads', () => {
    it('sends reply.in_reply_to_tweet_id for each part, and the sandbox records the chain', async () => {
      const { account } = connect();
      const first = await publisher.publish(request(account, { text: uniqueText('Thread 1/3'), media: [] }));
      const second = await publisher.publish(
        request(account, { text: uniqueText('Thread 2/3'), media: [], replyTo: first.externalId }),
      );
      const third = await publisher.publish(
        request(account, { text: uniqueText('Thread 3/3'), media: [], replyTo: second.externalId }),
      );
      assert.equal((received(first.externalId) as Record<string, unknown>).reply, undefined);
      assert.deepEqual(
        (received(second.externalId) as Record<string, unknown>).reply,
        { in_reply_to_tweet_id: first.externalId },
      );
      assert.deepEqual(
        (received(third.externalId) as Record<string, unknown>).reply,
        { in_reply_to_tweet_id: second.externalId },
      );
      assert.equal(recorded(first.externalId)!.inReplyToId, null);
      assert.equal(recorded(second.externalId)!.inReplyToId, first.externalId);
      assert.equal(recorded(third.externalId)!.inReplyToId, second.externalId);
      for (const part of [first, second, third]) {
        assert.equal(recorded(part.externalId)!.conversationId, first.externalId);
      }
    });

    it('refuses a reply to a deleted post with a permanent post_missing naming reply_target_missing', async () => {
      const { account } = connect();
      const first = await publisher.publish(request(account, { text: uniqueText('Soon gone'), media: [] }));
      await deletePost(account, first.externalId);
      // Past the grace in which X's refusal may be its lag right after a post (next test).
      running.sandbox.knobs.advanceClock(X_REPLY_VISIBILITY_GRACE_MS);
      const before = running.sandbox.knobs.published('x').length;
      const err = await publishError(
        publisher.publish(
          request(account, { text: uniqueText('Too late'), media: [], replyTo: first.externalId }),
        ),
      );
      assert.equal(err.code, 'post_missing');
      assert.equal(err.kind, 'rejected');
      assert.equal(err.retryable, false);
      assert.equal(err.platformStatus, 403);
      assert.equal(err.platformCode, 'reply_target_missing');
      assert.match(err.message, /deleted or is not visible/);
      assert.equal(running.sandbox.knobs.published('x').length, before, 'nothing was posted');
    });

    it("retries X's refusal of a reply to a post that went live moments ago, and the retry goes out once", async () => {
      const { account } = connect();
      running.sandbox.knobs.setSettings({ 'x.replyVisibilityLagMs': 5000 });
      try {
        const first = await publisher.publish(request(account, { text: uniqueText('Fresh'), media: [] }));
        const next = { text: uniqueText('Right after'), media: [], replyTo: first.externalId };
        const before = running.sandbox.knobs.published('x').length;
        const err = await publishError(publisher.publish(request(account, next)));
        assert.equal(err.code, 'post_missing');
        assert.equal(err.kind, 'transient', 'retried with backoff, not failed for good');
        assert.equal(err.retryable, true);
        assert.equal(err.platformCode, 'reply_target_missing');
        assert.match(err.message, /does not show the post this reply answers yet \(it went live 0 s ago/);
        assert.equal(running.sandbox.knobs.published('x').length, before, 'nothing was posted');

        running.sandbox.knobs.advanceClock(5000);
        const second = await publisher.publish(request(account, next));
        assert.equal(recorded(second.externalId)!.inReplyToId, first.externalId);
        assert.equal(running.sandbox.knobs.published('x').length, before + 1);
      } finally {
        running.sandbox.knobs.setSettings({ 'x.replyVisibilityLagMs': 0 });
      }
    });

    it('treats a deleted parent younger than the grace as that lag, and fails it for good once older', async () => {
      const { account } = connect();
      const first = await publisher.publish(request(account, { text: uniqueText('Gone fast'), media: [] }));
      await deletePost(account, first.externalId);
      const next = () =>
        request(account, { text: uniqueText('Orphan'), media: [], replyTo: first.externalId });
      const early = await publishError(publisher.publish(next()));
      assert.equal(early.kind, 'transient');
      running.sandbox.knobs.advanceClock(X_REPLY_VISIBILITY_GRACE_MS - 1000);
      assert.equal(
        (await publishError(publisher.publish(next()))).kind,
        'transient',
        'still inside the grace',
      );
      running.sandbox.knobs.advanceClock(1000);
      const late = await publishError(publisher.publish(next()));
      assert.equal(late.kind, 'rejected');
      assert.equal(late.platformCode, 'reply_target_missing');
    });

    it('refuses a replyTo that is not a numeric post id before sending anything', async () => {
      const { account } = connect();
      const content = { text: uniqueText('Bad parent'), media: [], replyTo: 'https://x.com/a/status/1' };
      assert.deepEqual(publisher.validate(content).map((v) => [v.rule, v.path]), [[
        'reply_to_invalid',
        'replyTo',
      ]]);
      const before = running.sandbox.knobs.requests('x').length;
      const err = await publishError(publisher.publish(request(account, content)));
      assert.equal(err.code, 'content_invalid');
      assert.equal(err.platformCode, 'reply_to_invalid');
      assert.equal(running.sandbox.knobs.requests('x').length, before, 'nothing was sent');
    });

    it('applies the post text rules to a reply part, which may have no media', () => {
      assert.deepEqual(publisher.validate({ text: 'ok', media: [], replyTo: '1900000000000000001' }), []);
      const rules = publisher.validate({ text: 'a'.repeat(281), media: [], replyTo: '1900000000000000001' })
        .map((v) => v.rule);
      assert.deepEqual(rules, ['text_too_long']);
      assert.deepEqual(
        publisher.validate({ text: ' ', media: [], replyTo: '1900000000000000001' }).map((v) => v.rule),
        ['text_required'],
      );
    });

    it('reconcile with replyTo adopts the reply, not an earlier post with the same text', async () => {
      const { account } = connect();
      const words = uniqueText('Same words');
      const root = await publisher.publish(request(account, { text: uniqueText('Root'), media: [] }));
      const sentAfter = running.sandbox.knobs.now();
      // Different links, so X takes both; once X has made them t.co links the texts look the same.
      const plain = await publisher.publish(
        request(account, { text: `${words} https://example.com/1`, media: [] }),
      );
      const content = { text: `${words} https://example.com/2`, media: [], replyTo: root.externalId };
      const reply = await sendAndLoseAnswer(() => publisher.publish(request(account, content)));
      assert.deepEqual(
        await publisher.reconcile!(reconcileRequest(account, content, sentAfter)),
        adopted(reply),
      );
      // And the other way round: a send that answered nothing is the plain post, never the reply.
      assert.deepEqual(
        await publisher.reconcile!(
          reconcileRequest(account, { text: `${words} https://example.com/1`, media: [] }, sentAfter),
        ),
        adopted(plain.externalId),
      );
    });

    it('reconcile with replyTo answers not_published when the only lookalike answers another post', async () => {
      const { account } = connect();
      const sentAfter = running.sandbox.knobs.now();
      const a = await publisher.publish(request(account, { text: uniqueText('Root A'), media: [] }));
      const b = await publisher.publish(request(account, { text: uniqueText('Root B'), media: [] }));
      const text = uniqueText('Answer');
      await publisher.publish(request(account, { text, media: [], replyTo: a.externalId }));
      assert.deepEqual(
        await publisher.reconcile!(
          reconcileRequest(account, { text, media: [], replyTo: b.externalId }, sentAfter),
        ),
        { status: 'not_published' },
      );
      assert.deepEqual(
        await publisher.reconcile!(reconcileRequest(account, { text, media: [] }, sentAfter)),
        { status: 'not_published' },
        "a reply is never a thread's first part",
      );
    });

    it('reconcile adopts a reply to someone else whose served text starts with their @handle', async () => {
      const other = connect({ username: `other_${counter}` });
      const { account, user } = connect();
      const theirs = await publisher.publish(
        request(other.account, { text: uniqueText(`Hi @${user.username}`), media: [] }),
      );
      const sentAfter = running.sandbox.knobs.now();
      const content = { text: uniqueText('Thanks'), media: [], replyTo: theirs.externalId };
      const reply = await sendAndLoseAnswer(() => publisher.publish(request(account, content)));
      assert.ok(recorded(reply)!.served.text.startsWith(`@${other.user.username} `));
      assert.deepEqual(
        await publisher.reconcile!(reconcileRequest(account, content, sentAfter)),
        adopted(reply),
      );
    });

    it('reconcile answers unknown when X serves referenced_tweets in a shape it does not know', async () => {
      const { account } = connect();
      const odd = createXPublisher({
        baseUrl: `${running.url}/x`,
        ...CLIENT,
        allowPrivateMediaHosts: true,
        fetch: async (input, init) => {
          const res = await fresh.fetch(input, init);
          if (!String(input instanceof Request ? input.url : input).includes('/tweets?')) return res;
          await res.arrayBuffer();
          const body = {
            data: [{
              id: '1900000000000000009',
              text: 'x',
              created_at: new Date().toISOString(),
              referenced_tweets: 'replied_to',
            }],
            meta: { result_count: 1 },
          };
          return Response.json(body);
        },
      });
      const result = await odd.reconcile!(reconcileRequest(account, { text: 'x', media: [] }, new Date()));
      assert.equal(result.status, 'unknown');
    });
  });

  describe('first comments', () => {
    it('comment() posts a reply to the post, without media, and returns its id and link', async () => {
      const { account } = connect();
      const post = await publisher.publish(request(account, { text: uniqueText('Launch day'), media: [] }));
      const text = uniqueText('Link in the first comment: https://example.com/launch');
      const comment = await publisher.comment(commentRequest(account, post.externalId, text));
      assert.equal(comment.url, `https://x.com/i/web/status/${comment.externalId}`);
      assert.deepEqual(received(comment.externalId), {
        text,
        reply: { in_reply_to_tweet_id: post.externalId },
      });
      assert.equal(recorded(comment.externalId)!.inReplyToId, post.externalId);
    });

    it('comment() on a deleted post fails with the permanent reply_target_missing error', async () => {
      const { account } = connect();
      const post = await publisher.publish(request(account, { text: uniqueText('Deleted soon'), media: [] }));
      await deletePost(account, post.externalId);
      running.sandbox.knobs.advanceClock(X_REPLY_VISIBILITY_GRACE_MS);
      const err = await publishError(
        publisher.comment(commentRequest(account, post.externalId, uniqueText('c'))),
      );
      assert.equal(err.code, 'post_missing');
      assert.equal(err.platformCode, 'reply_target_missing');
      assert.equal(err.retryable, false);
    });

    it('comment() refuses text X would refuse, and a target that is not a post id, without sending', async () => {
      const { account } = connect();
      const before = running.sandbox.knobs.requests('x').length;
      const long = await publishError(
        publisher.comment(commentRequest(account, '1900000000000000001', 'a'.repeat(300))),
      );
      assert.equal(long.code, 'content_invalid');
      assert.match(long.message, /^firstComment: /);
      const target = await publishError(publisher.comment(commentRequest(account, 'urn:li:share:1', 'hi')));
      assert.equal(target.code, 'content_invalid');
      assert.equal(target.platformCode, 'reply_to_invalid');
      assert.equal(running.sandbox.knobs.requests('x').length, before, 'nothing was sent');
    });

    it('reconcileComment adopts the reply a lost answer left, and not the post it is on', async () => {
      const { account } = connect();
      const sentAfter = running.sandbox.knobs.now();
      const post = await publisher.publish(request(account, { text: uniqueText('Main post'), media: [] }));
      const text = uniqueText('First comment');
      const comment = await sendAndLoseAnswer(() =>
        publisher.comment(commentRequest(account, post.externalId, text))
      );
      assert.deepEqual(
        await publisher.reconcileComment!(commentReconcileRequest(account, post.externalId, text, sentAfter)),
        adopted(comment),
      );
      assert.deepEqual(
        await publisher.reconcileComment!(
          commentReconcileRequest(account, post.externalId, text, sentAfter, [comment]),
        ),
        { status: 'not_published' },
        'a comment another target holds is never adopted',
      );
      assert.deepEqual(
        await publisher.reconcileComment!(
          commentReconcileRequest(account, post.externalId, uniqueText('Never sent'), sentAfter),
        ),
        { status: 'not_published' },
      );
    });

    it('validateComment applies the post text rules at path firstComment, and refuses empty text', () => {
      assert.deepEqual(publisher.validateComment('Thanks for reading! https://example.com/more'), []);
      assert.deepEqual(
        publisher.validateComment('   ').map((v) => [v.rule, v.path]),
        [['text_required', 'firstComment']],
      );
      const long = publisher.validateComment(`${'長'.repeat(141)} $AAPL $TSLA`);
      assert.deepEqual(long.map((v) => [v.rule, v.path]), [
        ['text_too_long', 'firstComment'],
        ['too_many_cashtags', 'firstComment'],
      ]);
      assert.match(long[0]!.message, /this firstComment has 294 /);
      // Links count 23 however long they are, as in a post.
      assert.deepEqual(
        publisher.validateComment(`${'a'.repeat(256)} https://example.com/${'b'.repeat(100)}`),
        [],
      );
      assert.deepEqual(publisher.validateComment('\uFFFE').map((v) => v.rule), ['text_invalid_characters']);
    });
  });
});
