import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createApiHarness, inMinutes } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';
import { unstorableTextCases } from '../support/unstorable-text-cases.ts';
import type { SocialAccount } from '../../src/domain/post.ts';

describe('API posts routes', () => {
  let h: ApiHarness;
  let aliceX: SocialAccount;
  let aliceLinkedIn: SocialAccount;

  beforeEach(async () => {
    h = await createApiHarness();
    aliceX = await h.connect(h.alice, 'x');
    aliceLinkedIn = await h.connect(h.alice, 'linkedin');
  });

  async function schedule(body: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    return await h.call('POST', '/posts', {
      body: { text: 'Hello world', scheduledAt: inMinutes(30), targets: [{ accountId: aliceX.id }], ...body },
      headers,
    });
  }

  describe('POST /posts', () => {
    it('schedules a post, answers 201 with the post at the top level and enqueues its job', async () => {
      const scheduledAt = inMinutes(45);
      const res = await schedule({
        scheduledAt,
        targets: [{ accountId: aliceX.id }, { accountId: aliceLinkedIn.id }],
        media: [{ url: 'https://cdn.example.com/a.jpg', altText: 'A cat' }],
      });
      assert.equal(res.status, 201);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const post = await res.json();
      assert.equal(res.headers.get('etag'), '"1"');
      assert.equal(res.headers.get('location'), `/posts/${post.id}`);
      assert.equal(post.status, 'scheduled');
      assert.equal(post.version, 1);
      assert.equal(post.text, 'Hello world');
      assert.equal(post.scheduledAt, scheduledAt);
      assert.equal(post.publishedAt, null);
      assert.equal(post.queued, true);
      assert.deepEqual(post.media, [{ url: 'https://cdn.example.com/a.jpg', altText: 'A cat' }]);
      // Targets created together are ordered by id, not by request order.
      assert.deepEqual(post.targets.map((t: { platform: string }) => t.platform).sort(), ['linkedin', 'x']);
      assert.deepEqual(Object.keys(post.targets[0]).sort(), [
        'accountId',
        'attempts',
        'comment',
        'errorCode',
        'errorMessage',
        'externalId',
        'externalUrl',
        'id',
        'nextAttemptAt',
        'ownText',
        'platform',
        'publishedAt',
        'status',
        'text',
        'thread',
      ]);
      // Each target shows what it publishes: here the post's own text, no thread, no first comment.
      assert.equal(post.targets[0].text, 'Hello world');
      assert.equal(post.targets[0].ownText, false);
      assert.equal(post.targets[0].thread, null);
      assert.equal(post.targets[0].comment, null);
      assert.equal(post.firstComment, null);
      assert.equal(post.targets[0].status, 'pending');
      assert.deepEqual(h.postScheduler.calls, [{ action: 'schedule', postId: post.id, version: 1 }]);
      const stored = await h.store.getPost(post.id, h.alice);
      assert.equal(stored?.targets.length, 2);
    });

    it('accepts "now" and schedules at the current time', async () => {
      const before = Date.now();
      const res = await schedule({ scheduledAt: 'now' });
      assert.equal(res.status, 201);
      const post = await res.json();
      const at = Date.parse(post.scheduledAt);
      assert.ok(at >= before - 1 && at <= Date.now() + 1, `${post.scheduledAt} is about now`);
    });

    it('accepts an explicit non-UTC offset and stores the same instant', async () => {
      const res = await schedule({ scheduledAt: '2099-01-01T10:00:00+02:00' });
      assert.equal(res.status, 201);
      assert.equal((await res.json()).scheduledAt, '2099-01-01T08:00:00.000Z');
    });

    it("resolves platforms (with twitter as an alias of x) to the caller's single account on each", async () => {
      const res = await schedule({ targets: undefined, platforms: ['twitter', 'linkedin'] });
      assert.equal(res.status, 201);
      const post = await res.json();
      assert.deepEqual(
        post.targets.map((t: { accountId: string }) => t.accountId).sort(),
        [aliceX.id, aliceLinkedIn.id].sort(),
      );
    });

    it('refuses a platform with no connected account with 422 naming the platform', async () => {
      const res = await schedule({ targets: undefined, platforms: ['instagram'] });
      assert.equal(res.status, 422);
      const problem = await res.json();
      assert.equal(problem.code, 'account_ambiguous');
      assert.equal(problem.errors[0].path, 'platforms[0]');
      assert.match(problem.errors[0].message, /no connected instagram account/);
      assert.equal(h.postScheduler.calls.length, 0);
      assert.equal((await h.store.listPosts(h.alice)).items.length, 0);
    });

    it('refuses a platform with several connected accounts with 422 asking for an account id', async () => {
      await h.connect(h.alice, 'x', 'second-x');
      const res = await schedule({ targets: undefined, platforms: ['x'] });
      assert.equal(res.status, 422);
      const problem = await res.json();
      assert.equal(problem.code, 'account_ambiguous');
      assert.match(problem.errors[0].message, /2 connected x accounts.*accountId/);
    });

    it('refuses an unknown platform with 422 listing the valid ones', async () => {
      for (const name of ['myspace', 'constructor', '__proto__']) {
        const res = await schedule({ targets: undefined, platforms: [name] });
        assert.equal(res.status, 422, name);
        const problem = await res.json();
        assert.equal(problem.errors[0].path, 'platforms[0]');
        assert.match(problem.errors[0].message, /unknown platform ".*".*x, instagram, linkedin/);
      }
    });

    it('refuses a time more than 60 s in the past with schedule_in_past', async () => {
      const res = await schedule({ scheduledAt: new Date(Date.now() - 5 * 60_000).toISOString() });
      assert.equal(res.status, 422);
      const problem = await res.json();
      assert.equal(problem.code, 'schedule_in_past');
      assert.deepEqual(problem.errors.map((e: { path: string }) => e.path), ['scheduledAt']);
      assert.equal((await h.store.listPosts(h.alice)).items.length, 0);
    });

    it('accepts a time a few seconds in the past (within the tolerance)', async () => {
      const res = await schedule({ scheduledAt: new Date(Date.now() - 10_000).toISOString() });
      assert.equal(res.status, 201);
    });

    it('refuses a time without an offset with 422 naming the fix', async () => {
      const res = await schedule({ scheduledAt: '2099-01-01T10:00:00' });
      assert.equal(res.status, 422);
      const problem = await res.json();
      assert.equal(problem.code, 'validation_failed');
      assert.equal(problem.errors[0].path, 'scheduledAt');
      assert.match(problem.errors[0].message, /no UTC offset; add Z/);
    });

    it('refuses an impossible date with 422', async () => {
      const res = await schedule({ scheduledAt: '2099-02-30T10:00:00Z' });
      assert.equal(res.status, 422);
      assert.match((await res.json()).errors[0].message, /not a real date/);
    });

    it('validates the content for every target platform and lists each broken rule, storing nothing', async () => {
      const instagram = await h.connect(h.alice, 'instagram');
      const res = await schedule({
        text: 'x'.repeat(300),
        targets: [{ accountId: aliceX.id }, { accountId: instagram.id }, { accountId: aliceLinkedIn.id }],
      });
      assert.equal(res.status, 422);
      const problem = await res.json();
      assert.equal(problem.code, 'content_invalid');
      assert.deepEqual(
        problem.errors.map((
          e: { platform: string; rule: string; path: string },
        ) => [e.platform, e.rule, e.path]),
        [['x', 'text_too_long', 'text'], ['instagram', 'media_required', 'media']],
      );
      assert.equal((await h.store.listPosts(h.alice)).items.length, 0);
      assert.equal(h.postScheduler.calls.length, 0);
    });

    it("refuses another user's account id with 422 naming the field, and writes nothing", async () => {
      const bobX = await h.connect(h.bob, 'x');
      const res = await schedule({ targets: [{ accountId: bobX.id }] });
      assert.equal(res.status, 422);
      const problem = await res.json();
      assert.equal(problem.errors[0].path, 'targets[0].accountId');
      assert.match(problem.errors[0].message, /GET \/accounts/);
      assert.equal((await h.store.listPosts(h.alice)).items.length, 0);
      assert.equal((await h.store.listPosts(h.bob)).items.length, 0);
    });

    it('refuses a non-uuid account id with 422', async () => {
      const res = await schedule({ targets: [{ accountId: 'abc' }] });
      assert.equal(res.status, 422);
      const problem = await res.json();
      assert.equal(problem.errors[0].path, 'targets[0].accountId');
      assert.match(problem.errors[0].message, /must be a uuid/);
    });

    it('refuses a body with both targets and platforms, or with neither', async () => {
      const both = await schedule({ platforms: ['x'] });
      assert.equal(both.status, 422);
      assert.match((await both.json()).errors[0].message, /either targets or platforms/);
      const neither = await schedule({ targets: undefined });
      assert.equal(neither.status, 422);
      assert.equal((await neither.json()).errors[0].path, 'targets');
    });

    it('still answers 201 with queued: false when the queue is down, and keeps the post', async () => {
      h.postScheduler.down = true;
      const res = await schedule();
      assert.equal(res.status, 201);
      const post = await res.json();
      assert.equal(post.queued, false);
      const stored = await h.store.getPost(post.id, h.alice);
      assert.equal(stored?.status, 'scheduled');
      const candidates = await h.store.findReconcileCandidates(60_000);
      assert.ok(candidates.scheduled.some((p) => p.id === post.id), 'the reconciler will find it');
      assert.ok(h.logLines.some((l) => l.includes('enqueue failed')));
    });
  });

  describe('text neither store can keep (NUL, lone surrogates)', () => {
    // The same cases run on Postgres in api-postgres.test.ts.
    unstorableTextCases(() => h);
  });

  describe('GET /posts and GET /posts/:id', () => {
    it("returns the caller's post with its targets and an ETag", async () => {
      const created = await (await schedule()).json();
      const res = await h.call('GET', `/posts/${created.id}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('etag'), '"1"');
      const post = await res.json();
      assert.equal(post.id, created.id);
      assert.equal(post.queued, null);
      assert.equal(post.targets[0].accountId, aliceX.id);
    });

    it("answers 404 for another user's post, on every post route", async () => {
      const created = await (await schedule()).json();
      for (
        const [method, path, body] of [
          ['GET', `/posts/${created.id}`, undefined],
          ['PATCH', `/posts/${created.id}`, { text: 'mine now' }],
          ['DELETE', `/posts/${created.id}`, undefined],
          ['POST', `/posts/${created.id}/retry`, undefined],
        ] as const
      ) {
        const res = await h.call(method, path, { as: h.bob, ...(body ? { body } : {}) });
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.equal((await res.json()).code, 'post_not_found');
      }
      const stored = await h.store.getPost(created.id, h.alice);
      assert.equal(stored?.text, 'Hello world');
      assert.equal(stored?.status, 'scheduled');
    });

    it('answers 422 naming the id when the post id is not a uuid', async () => {
      const res = await h.call('GET', '/posts/not-a-uuid');
      assert.equal(res.status, 422);
      const problem = await res.json();
      assert.equal(problem.errors[0].path, 'id');
      assert.match(problem.errors[0].message, /must be a uuid/);
    });

    it("lists only the caller's posts, newest first, filtered and paginated", async () => {
      const ids: string[] = [];
      for (const minutes of [10, 20, 30]) {
        ids.push((await (await schedule({ scheduledAt: inMinutes(minutes) })).json()).id);
      }
      await h.call('POST', '/posts', {
        as: h.bob,
        body: {
          text: 'bob',
          scheduledAt: inMinutes(5),
          targets: [{ accountId: (await h.connect(h.bob, 'x')).id }],
        },
      });
      const first = await (await h.call('GET', '/posts?limit=2')).json();
      assert.deepEqual(first.items.map((p: { id: string }) => p.id), [ids[2], ids[1]]);
      assert.equal(typeof first.nextCursor, 'string');
      const second =
        await (await h.call('GET', `/posts?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`)).json();
      assert.deepEqual(second.items.map((p: { id: string }) => p.id), [ids[0]]);
      assert.equal(second.nextCursor, null);
      await h.call('DELETE', `/posts/${ids[0]}`);
      const cancelled = await (await h.call('GET', '/posts?status=cancelled')).json();
      assert.deepEqual(cancelled.items.map((p: { id: string }) => p.id), [ids[0]]);
      const windowed = await (await h.call(
        'GET',
        `/posts?from=${encodeURIComponent(inMinutes(15))}&to=${encodeURIComponent(inMinutes(25))}`,
      )).json();
      assert.deepEqual(windowed.items.map((p: { id: string }) => p.id), [ids[1]]);
    });

    it('refuses bad list filters with 422 naming each', async () => {
      const res = await h.call('GET', '/posts?status=lost&limit=500&from=yesterday');
      assert.equal(res.status, 422);
      const paths = (await res.json()).errors.map((e: { path: string }) => e.path).sort();
      assert.deepEqual(paths, ['from', 'limit', 'status']);
      const cursor = await h.call('GET', '/posts?cursor=bogus');
      assert.equal(cursor.status, 422);
      assert.equal((await cursor.json()).errors[0].path, 'cursor');
      // Years the stores cannot keep (Postgres has no year 0) are the caller's to fix, not a 500.
      const yearZero = await h.call('GET', '/posts?from=0000-01-01T00:00:00Z&to=0001-01-01T00:30:00%2B01:00');
      assert.equal(yearZero.status, 422);
      const problem = await yearZero.json();
      assert.deepEqual(problem.errors.map((e: { path: string }) => e.path).sort(), ['from', 'to']);
      assert.match(problem.errors[0].message, /outside the years 0001–9999/);
    });
  });

  describe('PATCH /posts/:id', () => {
    it('changes the text and time, bumps the version and reschedules the job', async () => {
      const created = await (await schedule()).json();
      const scheduledAt = inMinutes(90);
      const res = await h.call('PATCH', `/posts/${created.id}`, {
        body: { text: 'Changed', scheduledAt },
        headers: { 'if-match': '"1"' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('etag'), '"2"');
      const post = await res.json();
      assert.equal(post.version, 2);
      assert.equal(post.text, 'Changed');
      assert.equal(post.scheduledAt, scheduledAt);
      assert.equal(post.queued, true);
      assert.deepEqual(h.postScheduler.calls.at(-1), {
        action: 'reschedule',
        postId: created.id,
        version: 2,
      });
    });

    it('replaces the targets', async () => {
      const created = await (await schedule()).json();
      const res = await h.call('PATCH', `/posts/${created.id}`, { body: { platforms: ['linkedin'] } });
      assert.equal(res.status, 200);
      const post = await res.json();
      assert.deepEqual(post.targets.map((t: { accountId: string }) => t.accountId), [aliceLinkedIn.id]);
    });

    it('checks the merged content against the target platforms', async () => {
      const created = await (await schedule()).json();
      const res = await h.call('PATCH', `/posts/${created.id}`, { body: { text: 'y'.repeat(281) } });
      assert.equal(res.status, 422);
      assert.equal((await res.json()).code, 'content_invalid');
      assert.equal((await h.store.getPost(created.id))?.version, 1);
    });

    it('answers 412 when If-Match names a stale version, changing nothing', async () => {
      const created = await (await schedule()).json();
      await h.call('PATCH', `/posts/${created.id}`, { body: { text: 'v2' } });
      const res = await h.call('PATCH', `/posts/${created.id}`, {
        body: { text: 'v3' },
        headers: { 'if-match': '"1"' },
      });
      assert.equal(res.status, 412);
      const problem = await res.json();
      assert.equal(problem.code, 'precondition_failed');
      assert.equal((await h.store.getPost(created.id))?.text, 'v2');
    });

    it('answers 409 once publishing has begun, changing nothing', async () => {
      const created = await (await schedule()).json();
      const claim = await h.store.claimPost(created.id, 1);
      assert.equal(claim.outcome, 'claimed');
      const res = await h.call('PATCH', `/posts/${created.id}`, { body: { text: 'too late' } });
      assert.equal(res.status, 409);
      assert.equal((await res.json()).code, 'post_not_editable');
      assert.equal((await h.store.getPost(created.id))?.text, 'Hello world');
    });

    it('refuses an empty change and unknown fields with 422', async () => {
      const created = await (await schedule()).json();
      const empty = await h.call('PATCH', `/posts/${created.id}`, { body: {} });
      assert.equal(empty.status, 422);
      assert.match((await empty.json()).errors[0].message, /at least one of/);
      const unknown = await h.call('PATCH', `/posts/${created.id}`, {
        body: { text: 'a', status: 'published' },
      });
      assert.equal(unknown.status, 422);
      const problem = await unknown.json();
      assert.equal(problem.errors[0].path, 'status');
      assert.equal((await h.store.getPost(created.id))?.version, 1);
    });

    it('answers 200 with queued: false when the queue is down during an edit', async () => {
      const created = await (await schedule()).json();
      h.postScheduler.down = true;
      const res = await h.call('PATCH', `/posts/${created.id}`, { body: { text: 'edited offline' } });
      assert.equal(res.status, 200);
      const post = await res.json();
      assert.equal(post.queued, false);
      assert.equal(post.version, 2);
    });
  });

  describe('DELETE /posts/:id', () => {
    it('cancels the post, removes its job, and answers 204 again for an already cancelled post', async () => {
      const created = await (await schedule()).json();
      const res = await h.call('DELETE', `/posts/${created.id}`);
      assert.equal(res.status, 204);
      assert.equal(await res.text(), '');
      assert.equal((await h.store.getPost(created.id))?.status, 'cancelled');
      assert.deepEqual(h.postScheduler.calls.at(-1), { action: 'cancel', postId: created.id, version: 1 });
      const again = await h.call('DELETE', `/posts/${created.id}`);
      assert.equal(again.status, 204);
    });

    it('answers 409 once publishing has begun and leaves the post publishing', async () => {
      const created = await (await schedule()).json();
      await h.store.claimPost(created.id, 1);
      const res = await h.call('DELETE', `/posts/${created.id}`);
      assert.equal(res.status, 409);
      assert.equal((await res.json()).code, 'post_not_editable');
      assert.equal((await h.store.getPost(created.id))?.status, 'publishing');
      assert.ok(!h.postScheduler.calls.some((c) => c.action === 'cancel'));
    });

    it('answers 412 when If-Match is stale', async () => {
      const created = await (await schedule()).json();
      const res = await h.call('DELETE', `/posts/${created.id}`, { headers: { 'if-match': '"7"' } });
      assert.equal(res.status, 412);
      assert.equal((await h.store.getPost(created.id))?.status, 'scheduled');
    });
  });

  describe('POST /posts/:id/retry', () => {
    async function failedPost() {
      const created =
        await (await schedule({ targets: [{ accountId: aliceX.id }, { accountId: aliceLinkedIn.id }] }))
          .json();
      await h.store.claimPost(created.id, 1);
      const xTarget = created.targets.find((t: { platform: string }) => t.platform === 'x');
      const liTarget = created.targets.find((t: { platform: string }) => t.platform === 'linkedin');
      const x = await h.store.claimTarget(xTarget.id);
      const li = await h.store.claimTarget(liTarget.id);
      const attempt = { startedAt: new Date(), finishedAt: new Date() };
      await h.store.settleTarget(x!.id, x!.claimToken!, {
        status: 'failed',
        errorCode: 'platform_unavailable',
        errorMessage: '503',
      }, attempt);
      await h.store.settleTarget(li!.id, li!.claimToken!, {
        status: 'published',
        externalId: 'urn:li:share:1',
        externalUrl: null,
      }, attempt);
      await h.store.rollUpPost(created.id);
      return created;
    }

    it('re-queues only the failed targets of a partially published post', async () => {
      const created = await failedPost();
      assert.equal((await h.store.getPost(created.id))?.status, 'partially_published');
      const res = await h.call('POST', `/posts/${created.id}/retry`);
      assert.equal(res.status, 200);
      const post = await res.json();
      assert.equal(post.status, 'publishing');
      assert.equal(post.version, 2);
      assert.equal(res.headers.get('etag'), '"2"');
      const byPlatform = Object.fromEntries(
        post.targets.map((t: { platform: string; status: string }) => [t.platform, t.status]),
      );
      assert.deepEqual(byPlatform, { x: 'pending', linkedin: 'published' });
      assert.deepEqual(h.postScheduler.calls.at(-1), { action: 'schedule', postId: created.id, version: 2 });
    });

    it('answers 409 for a post that is still scheduled', async () => {
      const created = await (await schedule()).json();
      const res = await h.call('POST', `/posts/${created.id}/retry`);
      assert.equal(res.status, 409);
      assert.equal((await res.json()).code, 'post_not_editable');
    });
  });
});
