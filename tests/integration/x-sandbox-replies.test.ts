import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningSandbox } from '../../src/sandbox/start-sandbox.ts';
import { startSandbox } from '../../src/sandbox/start-sandbox.ts';
import { xPostCreatedAt } from '../../src/platforms/x/x-snowflake.ts';

// Replies in the X sandbox: POST /2/tweets with reply.in_reply_to_tweet_id, and the reply fields
// (referenced_tweets, conversation_id, in_reply_to_user_id) served only when asked for.

const REPLY_TARGET_MISSING = {
  title: 'Forbidden',
  type: 'about:blank',
  status: 403,
  detail: 'You attempted to reply to a Tweet that is deleted or not visible to you.',
};

describe('X sandbox replies', () => {
  let running: RunningSandbox;
  let base: string;
  before(async () => {
    running = await startSandbox({ port: 0 });
    base = `${running.url}/x`;
  });
  after(async () => {
    await running?.close();
  });

  let counter = 0;
  const text = (prefix: string) => `${prefix} ${++counter} ${crypto.randomUUID().slice(0, 8)}`;
  const account = (input = {}) => running.sandbox.x.connectAccount(input);
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const tweet = (token: string, body: unknown) =>
    fetch(`${base}/2/tweets`, {
      method: 'POST',
      headers: { ...auth(token), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  async function created(token: string, body: unknown): Promise<string> {
    const res = await tweet(token, body);
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { data: { id: string } }).data.id;
  }
  const get = async (token: string, path: string) => {
    const res = await fetch(`${base}${path}`, { headers: auth(token) });
    assert.equal(res.status, 200);
    return await res.json();
  };
  const recorded = (id: string) => running.sandbox.x.state.posts.find((p) => p.id === id)!;

  it('records a reply with inReplyToId and the conversation of the post it answers', async () => {
    const { token } = account();
    const root = await created(token.accessToken, { text: text('root') });
    const second = await created(token.accessToken, {
      text: text('two'),
      reply: { in_reply_to_tweet_id: root },
    });
    const third = await created(token.accessToken, {
      text: text('three'),
      reply: { in_reply_to_tweet_id: second },
    });
    assert.equal(recorded(root).inReplyToId, null);
    assert.equal(recorded(root).inReplyToUserId, null);
    assert.equal(recorded(second).inReplyToId, root);
    assert.equal(recorded(third).inReplyToId, second);
    assert.deepEqual([root, second, third].map((id) => recorded(id).conversationId), [root, root, root]);
  });

  it("refuses a reply to an unknown or deleted post with X's 403, and records nothing", async () => {
    const { token } = account();
    const gone = await created(token.accessToken, { text: text('gone') });
    const del = await fetch(`${base}/2/tweets/${gone}`, {
      method: 'DELETE',
      headers: auth(token.accessToken),
    });
    assert.deepEqual(await del.json(), { data: { deleted: true } });
    const before = running.sandbox.x.state.posts.length;
    for (const target of ['1234567890123456789', gone]) {
      const res = await tweet(token.accessToken, {
        text: text('orphan'),
        reply: { in_reply_to_tweet_id: target },
      });
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      assert.ok(res.headers.has('x-rate-limit-remaining'));
      assert.deepEqual(await res.json(), REPLY_TARGET_MISSING);
    }
    assert.equal(running.sandbox.x.state.posts.length, before);
  });

  it('hands out post ids that are snowflakes of its clock, increasing also within one millisecond', async () => {
    const { token } = account();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await created(token.accessToken, { text: text('stamp') }));
    for (const id of ids) {
      const age = running.sandbox.knobs.now().getTime() - xPostCreatedAt(id)!.getTime();
      assert.ok(age >= 0 && age < 5000, `id ${id} is ${age} ms old`);
      assert.equal(
        xPostCreatedAt(id)!.getTime(),
        recorded(id).createdAt.getTime(),
        'the id carries created_at',
      );
    }
    assert.ok(BigInt(ids[0]!) < BigInt(ids[1]!) && BigInt(ids[1]!) < BigInt(ids[2]!));
  });

  it('with x.replyVisibilityLagMs, refuses a reply to a post younger than the lag as X does right after a post', async () => {
    const { token } = account();
    running.sandbox.knobs.setSettings({ 'x.replyVisibilityLagMs': 2000 });
    try {
      const root = await created(token.accessToken, { text: text('fresh root') });
      const reply = { text: text('too soon'), reply: { in_reply_to_tweet_id: root } };
      const early = await tweet(token.accessToken, reply);
      assert.equal(early.status, 403);
      assert.deepEqual(await early.json(), REPLY_TARGET_MISSING);
      running.sandbox.knobs.advanceClock(2000);
      const id = await created(token.accessToken, reply);
      assert.equal(recorded(id).inReplyToId, root);
    } finally {
      running.sandbox.knobs.setSettings({ 'x.replyVisibilityLagMs': 0 });
    }
  });

  it('refuses a reply id that is not numeric as an invalid request', async () => {
    const { token } = account();
    const res = await tweet(token.accessToken, { text: text('bad'), reply: { in_reply_to_tweet_id: 'abc' } });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.type, 'https://api.twitter.com/2/problems/invalid-request');
  });

  it("refuses a reply repeating an earlier post's text as a duplicate, as any post", async () => {
    const { token } = account();
    const words = text('echo');
    const root = await created(token.accessToken, { text: words });
    const res = await tweet(token.accessToken, { text: words, reply: { in_reply_to_tweet_id: root } });
    assert.equal(res.status, 403);
    assert.equal(
      (await res.json()).detail,
      'You are not allowed to create a Tweet with duplicate content.',
    );
  });

  it('serves referenced_tweets, conversation_id and in_reply_to_user_id only when asked for', async () => {
    const { token, user } = account();
    const root = await created(token.accessToken, { text: text('root') });
    const reply = await created(token.accessToken, {
      text: text('reply'),
      reply: { in_reply_to_tweet_id: root },
    });

    const plain = await get(token.accessToken, `/2/tweets/${reply}`);
    for (const field of ['referenced_tweets', 'conversation_id', 'in_reply_to_user_id']) {
      assert.equal(field in plain.data, false, `${field} served unasked`);
    }
    const fields = 'tweet.fields=referenced_tweets,conversation_id,in_reply_to_user_id';
    const asked = await get(token.accessToken, `/2/tweets/${reply}?${fields}`);
    assert.deepEqual(asked.data.referenced_tweets, [{ type: 'replied_to', id: root }]);
    assert.equal(asked.data.conversation_id, root);
    assert.equal(asked.data.in_reply_to_user_id, user.id);
    // A post that starts a conversation is its own conversation and references nothing.
    const first = await get(token.accessToken, `/2/tweets/${root}?${fields}`);
    assert.equal(first.data.conversation_id, root);
    assert.equal('referenced_tweets' in first.data, false);
    assert.equal('in_reply_to_user_id' in first.data, false);

    const timeline = await get(token.accessToken, `/2/users/${user.id}/tweets?${fields}`);
    const byId = new Map(timeline.data.map((p: { id: string }) => [p.id, p]));
    assert.deepEqual((byId.get(reply) as Record<string, unknown>).referenced_tweets, [{
      type: 'replied_to',
      id: root,
    }]);
    assert.equal('referenced_tweets' in (byId.get(root) as object), false);
    const bare = await get(token.accessToken, `/2/users/${user.id}/tweets`);
    assert.ok(bare.data.every((p: object) => !('referenced_tweets' in p) && !('conversation_id' in p)));
  });

  it('leaves replies out of the timeline with exclude=replies, and refuses an unknown exclude value', async () => {
    const { token, user } = account();
    const root = await created(token.accessToken, { text: text('root') });
    await created(token.accessToken, { text: text('reply'), reply: { in_reply_to_tweet_id: root } });
    const all = await get(token.accessToken, `/2/users/${user.id}/tweets`);
    assert.equal(all.data.length, 2);
    const roots = await get(token.accessToken, `/2/users/${user.id}/tweets?exclude=replies`);
    assert.deepEqual(roots.data.map((p: { id: string }) => p.id), [root]);
    const bad = await fetch(`${base}/2/users/${user.id}/tweets?exclude=likes`, {
      headers: auth(token.accessToken),
    });
    assert.equal(bad.status, 400);
  });

  it('expands referenced_tweets.id and in_reply_to_user_id into includes', async () => {
    const author = account({ username: `author_${counter}` });
    const { token } = account();
    const theirs = await created(author.token.accessToken, { text: text('theirs') });
    const reply = await created(token.accessToken, {
      text: text('mine'),
      reply: { in_reply_to_tweet_id: theirs },
    });
    const body = await get(
      token.accessToken,
      `/2/tweets/${reply}?tweet.fields=in_reply_to_user_id&expansions=referenced_tweets.id,in_reply_to_user_id`,
    );
    assert.deepEqual(body.includes.tweets.map((t: { id: string }) => t.id), [theirs]);
    assert.deepEqual(body.includes.users.map((u: { id: string }) => u.id), [author.user.id]);
  });

  it('serves a reply to someone else with their @handle in front, and a self-reply without', async () => {
    const author = account({ username: `handle_${counter}` });
    const { token } = account();
    const theirs = await created(author.token.accessToken, { text: text('theirs') });
    const words = text('hello');
    const res = await tweet(token.accessToken, { text: words, reply: { in_reply_to_tweet_id: theirs } });
    assert.equal(res.status, 201);
    assert.equal((await res.json()).data.text, `@${author.user.username} ${words}`);
    const own = await created(token.accessToken, { text: text('own') });
    const selfWords = text('self');
    const selfReply = await tweet(token.accessToken, {
      text: selfWords,
      reply: { in_reply_to_tweet_id: own },
    });
    assert.equal((await selfReply.json()).data.text, selfWords);
  });
});
