/**
 * The PostsAndTargets contract (src/store/posts-and-targets.ts): one suite, run against the memory
 * and the Postgres adapter by posts.test.ts. An adapter is trustworthy only because it passes this
 * whole suite. The posts need accounts to target, so the harness hands in the whole store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Post, PostTarget } from '../../src/domain/post.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import type { ClaimsHarness, ContractOptions } from './store-harness.ts';
import { at, BASE, expectCode, HOUR, storeFixtures } from './store-harness.ts';

export function postsContract(
  name: string,
  makeHarness: () => Promise<ClaimsHarness<PostStore>>,
  options: ContractOptions = {},
): void {
  describe(`PostsAndTargets contract: ${name}`, { skip: options.skip ?? false }, () => {
    let harness: ClaimsHarness<PostStore>;
    let store: PostStore;

    before(async () => {
      harness = await makeHarness();
      store = harness.store;
    });
    after(async () => {
      await harness?.cleanup();
    });

    const { account, scenario } = storeFixtures(() => harness);

    /** Claims the post and one of its targets, as a worker does at due time. */
    async function claimed() {
      const s = await scenario();
      const claim = await store.claimPost(s.post.id, s.post.version);
      assert.equal(claim.outcome, 'claimed');
      const target = await store.claimTarget(s.post.targets[0]!.id);
      assert.ok(target, 'the pending target of a publishing post is claimable');
      return { ...s, target };
    }

    function attemptAt(startMinutes: number, durationMs = 1500, platformStatus: number | null = 201) {
      const startedAt = new Date(BASE + startMinutes * 60_000);
      return { startedAt, finishedAt: new Date(startedAt.getTime() + durationMs), platformStatus };
    }

    describe('posts', () => {
      it('creates a scheduled post at version 1 with one pending target per account on its platform', async () => {
        const { userId, x, linkedin, post } = await scenario();
        assert.equal(post.status, 'scheduled');
        assert.equal(post.version, 1);
        assert.equal(post.userId, userId);
        assert.equal(post.text, 'Hello world');
        assert.deepEqual(post.media, [{ url: 'https://cdn.example.test/a.jpg', altText: 'a cat' }]);
        assert.equal(post.scheduledAt.toISOString(), at(24).toISOString());
        assert.equal(post.publishedAt, null);
        assert.ok(post.createdAt instanceof Date && post.updatedAt instanceof Date);
        assert.equal(post.targets.length, 2);
        const byAccount = new Map(post.targets.map((t) => [t.accountId, t]));
        assert.equal(byAccount.get(x.id)?.platform, 'x');
        assert.equal(byAccount.get(linkedin.id)?.platform, 'linkedin');
        for (const t of post.targets) {
          assert.equal(t.status, 'pending');
          assert.equal(t.attempts, 0);
          assert.equal(t.postId, post.id);
          assert.equal(t.userId, userId);
          assert.equal(t.claimToken, null);
        }
      });

      it('reads a post back with its targets in creation order, and only for its owner', async () => {
        const { userId, post } = await scenario();
        const read = await store.getPost(post.id, userId);
        assert.deepEqual(read, post);
        const sorted = [...post.targets].sort((a, b) =>
          a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1)
        );
        assert.deepEqual(post.targets.map((t) => t.id), sorted.map((t) => t.id));
        assert.deepEqual(await store.getPost(post.id), post, 'without a user id (worker) the post is found');
        const stranger = await harness.createUser();
        assert.equal(await store.getPost(post.id, stranger), null);
        assert.equal(await store.getPost(crypto.randomUUID()), null);
        assert.equal(await store.getPost('not-a-uuid'), null);
      });

      it('returns copies: mutating a returned post does not change the stored one', async () => {
        const { userId, post } = await scenario();
        post.text = 'mutated';
        post.targets[0]!.status = 'published';
        post.media.push({ url: 'https://evil.example.test/x.jpg' });
        const read = await store.getPost(post.id, userId);
        assert.equal(read!.text, 'Hello world');
        assert.equal(read!.targets[0]!.status, 'pending');
        assert.equal(read!.media.length, 1);
      });

      it('rejects a post without accounts, with an account listed twice, or over the storage limits (validation_failed)', async () => {
        const userId = await harness.createUser();
        const x = await account(userId);
        const base = { userId, text: 't', media: [], scheduledAt: at(1) };
        await assert.rejects(store.createPost({ ...base, accountIds: [] }), expectCode('validation_failed'));
        await assert.rejects(
          store.createPost({ ...base, accountIds: [x.id, x.id] }),
          expectCode('validation_failed'),
        );
        await assert.rejects(
          store.createPost({ ...base, text: 'x'.repeat(10_001), accountIds: [x.id] }),
          expectCode('validation_failed'),
        );
        await assert.rejects(
          store.createPost({ ...base, userId: 'not-a-uuid', accountIds: [x.id] }),
          expectCode('validation_failed'),
        );
        assert.deepEqual((await store.listPosts(userId)).items, [], 'nothing was written');
      });

      it("refuses to target another user's or an unknown account with account_not_found naming it", async () => {
        const userId = await harness.createUser();
        const own = await account(userId);
        const stranger = await harness.createUser();
        const theirs = await account(stranger);
        const base = { userId, text: 't', media: [], scheduledAt: at(1) };
        await assert.rejects(store.createPost({ ...base, accountIds: [own.id, theirs.id] }), (err: Error) => {
          expectCode('account_not_found')(err);
          assert.match(err.message, new RegExp(theirs.id));
          return true;
        });
        const unknown = crypto.randomUUID();
        await assert.rejects(store.createPost({ ...base, accountIds: [unknown] }), (err: Error) => {
          expectCode('account_not_found')(err);
          assert.match(err.message, new RegExp(unknown));
          return true;
        });
        assert.deepEqual((await store.listPosts(userId)).items, [], 'the transaction left nothing behind');
      });

      it('refuses to target an account that needs reconnecting', async () => {
        const userId = await harness.createUser();
        const x = await account(userId);
        await store.setAccountStatus(x.id, 'needs_reconnect');
        await assert.rejects(
          store.createPost({ userId, text: 't', media: [], scheduledAt: at(1), accountIds: [x.id] }),
          expectCode('validation_failed'),
        );
      });
    });

    describe('listing', () => {
      it('pages newest first by scheduledAt (ties by id) with no duplicates and no gaps', async () => {
        const userId = await harness.createUser();
        const x = await account(userId);
        const hours = [5, 1, 3, 3, 3, 8, 2];
        const created: Post[] = [];
        for (const h of hours) {
          created.push(
            await store.createPost({
              userId,
              text: `h${h}`,
              media: [],
              scheduledAt: at(h),
              accountIds: [x.id],
            }),
          );
        }
        const expected = [...created]
          .sort((a, b) => b.scheduledAt.getTime() - a.scheduledAt.getTime() || (a.id < b.id ? 1 : -1))
          .map((p) => p.id);
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.listPosts(userId, { limit: 3, ...(cursor ? { cursor } : {}) });
          pages += 1;
          assert.ok(page.items.length <= 3);
          seen.push(...page.items.map((p) => p.id));
          cursor = page.nextCursor ?? undefined;
          assert.ok(pages < 10, 'pagination terminates');
        } while (cursor);
        assert.equal(pages, 3);
        assert.deepEqual(seen, expected);
        const first = await store.listPosts(userId, { limit: 3 });
        assert.ok(first.items[0]!.targets.length === 1, 'listed posts carry their targets');
        const all = await store.listPosts(userId);
        assert.equal(all.items.length, 7, 'the default limit (20) covers all');
        assert.equal(all.nextCursor, null);
        const exact = await store.listPosts(userId, { limit: 7 });
        assert.equal(exact.nextCursor, null, 'no cursor when the page holds the last item');
      });

      it('filters by status, from (inclusive) and to (exclusive), and lists only the owner’s posts', async () => {
        const userId = await harness.createUser();
        const x = await account(userId);
        const make = (h: number) =>
          store.createPost({ userId, text: `h${h}`, media: [], scheduledAt: at(h), accountIds: [x.id] });
        const p1 = await make(1);
        const p2 = await make(2);
        const p3 = await make(3);
        await store.cancelPost(p2.id, userId);
        const ids = async (q: Parameters<PostStore['listPosts']>[1]) =>
          (await store.listPosts(userId, q)).items.map((p) => p.id);
        assert.deepEqual(await ids({ status: 'cancelled' }), [p2.id]);
        assert.deepEqual(await ids({ status: 'scheduled' }), [p3.id, p1.id]);
        assert.deepEqual(await ids({ from: at(2) }), [p3.id, p2.id]);
        assert.deepEqual(await ids({ to: at(2) }), [p1.id]);
        assert.deepEqual(await ids({ from: at(1), to: at(3) }), [p2.id, p1.id]);
        assert.deepEqual(await ids({ status: 'scheduled', from: at(1), to: at(3) }), [p1.id]);
        const stranger = await harness.createUser();
        assert.deepEqual((await store.listPosts(stranger)).items, []);
      });

      it('rejects a limit outside 1..100 and a cursor it did not issue (validation_failed)', async () => {
        const userId = await harness.createUser();
        await assert.rejects(store.listPosts(userId, { limit: 0 }), expectCode('validation_failed'));
        await assert.rejects(store.listPosts(userId, { limit: 101 }), expectCode('validation_failed'));
        await assert.rejects(
          store.listPosts(userId, { cursor: 'garbage!' }),
          expectCode('validation_failed'),
        );
        await assert.rejects(
          store.listPosts(userId, { cursor: btoa('["x","y"]') }),
          expectCode('validation_failed'),
        );
        assert.equal((await store.listPosts(userId, { limit: 100 })).items.length, 0);
      });
    });

    describe('editing and cancelling', () => {
      it('applies changes, bumps the version by one and replaces the targets', async () => {
        const { userId, x, linkedin, post } = await scenario();
        const instagram = await account(userId, 'instagram');
        const updated = await store.updatePost(post.id, userId, {
          text: 'Edited',
          media: [],
          scheduledAt: at(30),
          accountIds: [linkedin.id, instagram.id],
        }, 1);
        assert.equal(updated.version, 2);
        assert.equal(updated.status, 'scheduled');
        assert.equal(updated.text, 'Edited');
        assert.deepEqual(updated.media, []);
        assert.equal(updated.scheduledAt.toISOString(), at(30).toISOString());
        assert.deepEqual(updated.targets.map((t) => t.accountId).sort(), [linkedin.id, instagram.id].sort());
        assert.ok(!updated.targets.some((t) => t.accountId === x.id));
        assert.ok(updated.targets.every((t) => t.status === 'pending'));
        assert.equal(updated.targets.find((t) => t.accountId === instagram.id)?.platform, 'instagram');
        assert.deepEqual(await store.getPost(post.id, userId), updated);
        const again = await store.updatePost(post.id, userId, { text: 'Again' });
        assert.equal(again.version, 3, 'without expectedVersion the edit still bumps the version');
      });

      it('refuses a stale expectedVersion with version_conflict and changes nothing', async () => {
        const { userId, post } = await scenario();
        await store.updatePost(post.id, userId, { text: 'v2' }, 1);
        await assert.rejects(store.updatePost(post.id, userId, { text: 'lost' }, 1), (err: Error) => {
          expectCode('version_conflict')(err);
          return true;
        });
        const read = await store.getPost(post.id, userId);
        assert.equal(read!.text, 'v2');
        assert.equal(read!.version, 2);
      });

      it('lets exactly one of two concurrent edits with the same expectedVersion win', async () => {
        const { userId, post } = await scenario();
        const results = await Promise.allSettled([
          store.updatePost(post.id, userId, { text: 'A' }, 1),
          store.updatePost(post.id, userId, { text: 'B' }, 1),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(won.length, 1);
        assert.equal(lost.length, 1);
        expectCode('version_conflict')(lost[0]!.reason);
        const read = await store.getPost(post.id, userId);
        assert.equal(read!.version, 2);
        assert.equal(read!.text, (won[0] as PromiseFulfilledResult<Post>).value.text);
      });

      it("reports another user's or an unknown post as post_not_found", async () => {
        const { post } = await scenario();
        const stranger = await harness.createUser();
        await assert.rejects(
          store.updatePost(post.id, stranger, { text: 'x' }),
          expectCode('post_not_found'),
        );
        await assert.rejects(store.cancelPost(post.id, stranger), expectCode('post_not_found'));
        await assert.rejects(
          store.updatePost(crypto.randomUUID(), stranger, { text: 'x' }),
          expectCode('post_not_found'),
        );
        await assert.rejects(store.cancelPost('nope', stranger), expectCode('post_not_found'));
      });

      it("refuses to retarget a post to another user's account", async () => {
        const { userId, post } = await scenario();
        const stranger = await harness.createUser();
        const theirs = await account(stranger);
        await assert.rejects(
          store.updatePost(post.id, userId, { accountIds: [theirs.id] }, 1),
          expectCode('account_not_found'),
        );
        assert.equal((await store.getPost(post.id))!.version, 1);
      });

      it('refuses to edit a post once publishing began, naming its status (post_not_editable)', async () => {
        const { userId, post } = await scenario();
        await store.claimPost(post.id, 1);
        await assert.rejects(store.updatePost(post.id, userId, { text: 'late' }, 1), (err: Error) => {
          expectCode('post_not_editable')(err);
          assert.equal((err as unknown as { context: Record<string, unknown> }).context.status, 'publishing');
          return true;
        });
      });

      it('cancels a scheduled post and its pending targets, and is idempotent', async () => {
        const { userId, post } = await scenario();
        const cancelled = await store.cancelPost(post.id, userId);
        assert.equal(cancelled.status, 'cancelled');
        assert.ok(cancelled.targets.every((t) => t.status === 'cancelled'));
        const again = await store.cancelPost(post.id, userId);
        assert.deepEqual(again, cancelled, 'a second cancel returns the post unchanged');
        await assert.rejects(
          store.updatePost(post.id, userId, { text: 'x' }),
          expectCode('post_not_editable'),
        );
      });

      it('refuses to cancel a post once publishing began (post_not_editable)', async () => {
        const { userId, post } = await scenario();
        await store.claimPost(post.id, 1);
        await assert.rejects(store.cancelPost(post.id, userId), expectCode('post_not_editable'));
        assert.equal((await store.getPost(post.id))!.status, 'publishing');
      });
    });

    describe('claiming', () => {
      it('claims a scheduled post for its version, then reports already_publishing for the same version', async () => {
        const { post } = await scenario();
        const first = await store.claimPost(post.id, 1);
        assert.equal(first.outcome, 'claimed');
        assert.equal(first.post?.status, 'publishing');
        const second = await store.claimPost(post.id, 1);
        assert.equal(second.outcome, 'already_publishing');
        assert.equal(second.post?.id, post.id);
      });

      it('reports stale for a cancelled post, an edited post’s old version, and a missing post', async () => {
        const a = await scenario();
        await store.cancelPost(a.post.id, a.userId);
        const cancelled = await store.claimPost(a.post.id, 1);
        assert.equal(cancelled.outcome, 'stale');
        assert.equal(cancelled.post?.status, 'cancelled');

        const b = await scenario();
        await store.updatePost(b.post.id, b.userId, { text: 'v2' }, 1);
        const old = await store.claimPost(b.post.id, 1);
        assert.equal(old.outcome, 'stale');
        assert.equal((await store.getPost(b.post.id))!.status, 'scheduled', 'a stale claim changes nothing');
        assert.equal((await store.claimPost(b.post.id, 2)).outcome, 'claimed');
        assert.equal((await store.claimPost(b.post.id, 1)).outcome, 'stale', 'old version while publishing');

        assert.deepEqual(await store.claimPost(crypto.randomUUID(), 1), { outcome: 'stale', post: null });
      });

      it('lets exactly one of two concurrent claimPost calls claim', async () => {
        const { post } = await scenario();
        const outcomes = (await Promise.all([store.claimPost(post.id, 1), store.claimPost(post.id, 1)]))
          .map((c) => c.outcome).sort();
        assert.deepEqual(outcomes, ['already_publishing', 'claimed']);
      });

      it('claims a pending target under a fresh token, counting the attempt; a second claim gets null', async () => {
        const { post } = await scenario();
        const targetId = post.targets[0]!.id;
        assert.equal(
          await store.claimTarget(targetId),
          null,
          'not while the post is still scheduled',
        );
        await store.claimPost(post.id, 1);
        const before = Date.now();
        const target = await store.claimTarget(targetId);
        const after = Date.now();
        assert.ok(target);
        assert.equal(target.status, 'publishing');
        assert.equal(target.attempts, 1);
        assert.match(target.claimToken!, /^[0-9a-f-]{36}$/);
        const claimedAt = target.claimedAt!.getTime();
        assert.ok(
          claimedAt >= before - 1000 && claimedAt <= after + 1000,
          'claimedAt is the store’s clock at the claim',
        );
        assert.equal(await store.claimTarget(targetId), null);
        assert.equal(await store.claimTarget(crypto.randomUUID()), null);
        const read = await store.getPost(post.id);
        assert.equal(read!.targets.find((t) => t.id === targetId)!.claimToken, target.claimToken);
      });

      it('never claims a target of a cancelled post', async () => {
        const { userId, post } = await scenario();
        await store.cancelPost(post.id, userId);
        assert.equal(await store.claimTarget(post.targets[0]!.id), null);
      });

      it('lets exactly one of two concurrent claimTarget calls win', async () => {
        const { post } = await scenario();
        await store.claimPost(post.id, 1);
        const targetId = post.targets[0]!.id;
        const results = await Promise.all([
          store.claimTarget(targetId),
          store.claimTarget(targetId),
        ]);
        const winners = results.filter((r): r is PostTarget => r !== null);
        assert.equal(winners.length, 1);
        assert.equal(winners[0]!.attempts, 1, 'the attempt is counted once');
        const read = await store.getPost(post.id);
        assert.equal(read!.targets.find((t) => t.id === targetId)!.attempts, 1);
      });
    });

    describe('settling', () => {
      it('refuses a settlement under the wrong claim token with claim_lost', async () => {
        const { target } = await claimed();
        await assert.rejects(
          store.settleTarget(target.id, crypto.randomUUID(), {
            status: 'failed',
            errorCode: 'unknown',
            errorMessage: 'x',
          }, attemptAt(0)),
          expectCode('claim_lost'),
        );
        await assert.rejects(
          store.settleTarget(target.id, 'not-a-uuid', {
            status: 'failed',
            errorCode: 'unknown',
            errorMessage: 'x',
          }, attemptAt(0)),
          expectCode('claim_lost'),
        );
        assert.deepEqual(await store.listAttempts(target.id), [], 'a lost claim logs nothing');
      });

      it('records a publication, then refuses a second settlement with claim_lost', async () => {
        const { target } = await claimed();
        const attempt = attemptAt(0, 1500, 201);
        const settled = await store.settleTarget(target.id, target.claimToken!, {
          status: 'published',
          externalId: '1789',
          externalUrl: 'https://x.com/i/status/1789',
        }, attempt);
        assert.equal(settled.status, 'published');
        assert.equal(settled.externalId, '1789');
        assert.equal(settled.externalUrl, 'https://x.com/i/status/1789');
        assert.equal(settled.publishedAt?.toISOString(), attempt.finishedAt.toISOString());
        assert.equal(settled.claimToken, null);
        assert.equal(settled.attempts, 1);
        await assert.rejects(
          store.settleTarget(target.id, target.claimToken!, {
            status: 'published',
            externalId: '2',
            externalUrl: null,
          }, attempt),
          expectCode('claim_lost'),
        );
      });

      it('puts a retried target back to pending with its reason; the next claim counts a second attempt', async () => {
        const { target } = await claimed();
        const next = at(25);
        const settled = await store.settleTarget(target.id, target.claimToken!, {
          status: 'pending',
          errorCode: 'platform_unavailable',
          errorMessage: 'X answered 503',
          nextAttemptAt: next,
        }, attemptAt(0, 300, 503));
        assert.equal(settled.status, 'pending');
        assert.equal(settled.attempts, 1);
        assert.equal(settled.nextAttemptAt?.toISOString(), next.toISOString());
        assert.equal(settled.errorCode, 'platform_unavailable');
        assert.equal(settled.errorMessage, 'X answered 503');
        assert.equal(settled.claimToken, null);
        const again = await store.claimTarget(target.id);
        assert.equal(again?.attempts, 2);
        assert.notEqual(again?.claimToken, target.claimToken, 'each claim has a fresh token');
      });

      it('gives the attempt back when a rate limit defers the target', async () => {
        const { target } = await claimed();
        const settled = await store.settleTarget(target.id, target.claimToken!, {
          status: 'pending',
          errorCode: 'rate_limited',
          errorMessage: 'reset at 10:15',
          nextAttemptAt: at(25),
          deferred: true,
        }, attemptAt(0, 100, 429));
        assert.equal(settled.attempts, 0);
        const again = await store.claimTarget(target.id);
        assert.equal(again?.attempts, 1);
      });

      it('marks failed and unconfirmed targets with their reason', async () => {
        const { post, target } = await claimed();
        const failed = await store.settleTarget(target.id, target.claimToken!, {
          status: 'failed',
          errorCode: 'content_invalid',
          errorMessage: 'too long',
        }, attemptAt(0, 10, 400));
        assert.equal(failed.status, 'failed');
        assert.equal(failed.errorCode, 'content_invalid');
        const other = await store.claimTarget(post.targets[1]!.id);
        const unconfirmed = await store.settleTarget(other!.id, other!.claimToken!, {
          status: 'unconfirmed',
          errorCode: 'outcome_unknown',
          errorMessage: 'timed out after sending',
        }, attemptAt(1, 30_000, null));
        assert.equal(unconfirmed.status, 'unconfirmed');
        assert.equal(unconfirmed.errorCode, 'outcome_unknown');
        assert.equal(unconfirmed.claimToken, null);
      });

      it('refuses a settlement the state machine does not allow (invalid_transition)', async () => {
        const { target } = await claimed();
        await assert.rejects(
          store.settleTarget(
            target.id,
            target.claimToken!,
            { status: 'cancelled' } as never,
            attemptAt(0),
          ),
          expectCode('invalid_transition'),
        );
        assert.equal((await store.getPost(target.postId))!.targets[0]!.status, 'publishing');
      });

      it('logs one attempt row per settlement, oldest first, with outcome, status code and duration', async () => {
        const { target } = await claimed();
        await store.settleTarget(target.id, target.claimToken!, {
          status: 'pending',
          errorCode: 'rate_limited',
          errorMessage: 'wait',
          nextAttemptAt: at(25),
          deferred: true,
        }, attemptAt(0, 100, 429));
        const second = await store.claimTarget(target.id);
        await store.settleTarget(target.id, second!.claimToken!, {
          status: 'pending',
          errorCode: 'platform_unavailable',
          errorMessage: '503',
          nextAttemptAt: at(26),
        }, attemptAt(60, 250, 503));
        const third = await store.claimTarget(target.id);
        await store.settleTarget(target.id, third!.claimToken!, {
          status: 'published',
          externalId: 'urn:li:share:1',
          externalUrl: null,
          outcome: 'reconciled',
        }, attemptAt(120, 2000, null));
        const log = await store.listAttempts(target.id);
        assert.deepEqual(log.map((a) => a.outcome), ['deferred', 'retrying', 'reconciled']);
        assert.deepEqual(log.map((a) => a.attempt), [1, 1, 2]);
        assert.deepEqual(log.map((a) => a.durationMs), [100, 250, 2000]);
        assert.deepEqual(log.map((a) => a.platformStatus), [429, 503, null]);
        assert.deepEqual(log.map((a) => a.errorCode), ['rate_limited', 'platform_unavailable', null]);
        assert.equal(log[2]!.externalId, 'urn:li:share:1');
        assert.equal(log[0]!.startedAt.toISOString(), attemptAt(0).startedAt.toISOString());
        assert.ok(
          log.every((a) =>
            a.targetId === target.id && a.postId === target.postId && a.userId === target.userId
          ),
        );
        assert.equal(new Set(log.map((a) => a.id)).size, 3);
        assert.deepEqual(await store.listAttempts(crypto.randomUUID()), []);
      });
    });

    describe('rolling up', () => {
      async function settleAll(outcomes: ('published' | 'failed' | 'unconfirmed')[]) {
        const userId = await harness.createUser();
        const accounts = [];
        for (const _ of outcomes) accounts.push(await account(userId));
        const post = await store.createPost({
          userId,
          text: 'roll',
          media: [],
          scheduledAt: at(24),
          accountIds: accounts.map((a) => a.id),
        });
        await store.claimPost(post.id, 1);
        for (const [i, outcome] of outcomes.entries()) {
          const target = await store.claimTarget(post.targets[i]!.id);
          const settlement = outcome === 'published'
            ? { status: outcome, externalId: `ext-${i}`, externalUrl: `https://x.com/i/status/${i}` } as const
            : { status: outcome, errorCode: `code_${i}`, errorMessage: `message ${i}` } as const;
          await store.settleTarget(target!.id, target!.claimToken!, settlement, attemptAt(i, 1000));
        }
        return store.rollUpPost(post.id);
      }

      it('keeps the post publishing while a target is unsettled', async () => {
        const { post } = await claimed();
        const rolled = await store.rollUpPost(post.id);
        assert.equal(rolled.status, 'publishing');
        await assert.rejects(store.rollUpPost(crypto.randomUUID()), expectCode('post_not_found'));
      });

      it('marks the post published when every target is, at the latest target time', async () => {
        const post = await settleAll(['published', 'published']);
        assert.equal(post.status, 'published');
        assert.equal(post.publishedAt?.toISOString(), attemptAt(1, 1000).finishedAt.toISOString());
        assert.equal(post.errorCode, null);
      });

      it('marks the post partially_published with the failed target’s reason', async () => {
        const post = await settleAll(['published', 'failed']);
        assert.equal(post.status, 'partially_published');
        assert.equal(post.publishedAt?.toISOString(), attemptAt(0, 1000).finishedAt.toISOString());
        assert.equal(post.errorCode, 'code_1');
        assert.equal(post.errorMessage, 'message 1');
      });

      it('marks the post failed when no target published, with the first failed target’s reason', async () => {
        const post = await settleAll(['failed', 'failed']);
        assert.equal(post.status, 'failed');
        assert.equal(post.publishedAt, null);
        assert.equal(post.errorCode, 'code_0');
      });

      it('counts an unconfirmed target as not published', async () => {
        assert.equal((await settleAll(['published', 'unconfirmed'])).status, 'partially_published');
        const onlyUnconfirmed = await settleAll(['unconfirmed']);
        assert.equal(onlyUnconfirmed.status, 'failed');
        assert.equal(onlyUnconfirmed.errorCode, 'code_0');
      });

      it('leaves a finished post as it is', async () => {
        const post = await settleAll(['published']);
        const again = await store.rollUpPost(post.id);
        assert.equal(again.status, 'published');
        assert.equal(again.version, post.version);
      });

      it('retries only the failed targets: they go back to pending, the post to publishing at a new version', async () => {
        const post = await settleAll(['published', 'failed', 'unconfirmed']);
        assert.equal(post.status, 'partially_published');
        const [published, failed, unconfirmed] = post.targets;
        const retried = await store.retryFailedTargets(post.id, post.userId);
        assert.equal(retried.status, 'publishing');
        assert.equal(retried.version, post.version + 1);
        assert.equal(retried.errorCode, null);
        const byId = new Map(retried.targets.map((t) => [t.id, t]));
        assert.equal(byId.get(published!.id)!.status, 'published');
        assert.equal(
          byId.get(unconfirmed!.id)!.status,
          'unconfirmed',
          'an unconfirmed target is never re-sent',
        );
        const again = byId.get(failed!.id)!;
        assert.equal(again.status, 'pending');
        assert.equal(again.attempts, 0);
        assert.equal(again.errorCode, null);
        const claim = await store.claimPost(post.id, retried.version);
        assert.equal(claim.outcome, 'already_publishing', 'the job of the new version continues the retry');
        assert.equal((await store.claimPost(post.id, post.version)).outcome, 'stale');
        const target = await store.claimTarget(failed!.id);
        assert.equal(target?.attempts, 1);
      });

      it('refuses to retry a post that is not failed or partially published, or has nothing to retry', async () => {
        const { userId, post } = await scenario();
        await assert.rejects(store.retryFailedTargets(post.id, userId), expectCode('post_not_editable'));
        const stranger = await harness.createUser();
        await assert.rejects(store.retryFailedTargets(post.id, stranger), expectCode('post_not_found'));
        await assert.rejects(
          store.retryFailedTargets(crypto.randomUUID(), userId),
          expectCode('post_not_found'),
        );
        const unconfirmed = await settleAll(['unconfirmed']);
        assert.equal(unconfirmed.status, 'failed');
        await assert.rejects(
          store.retryFailedTargets(unconfirmed.id, unconfirmed.userId),
          expectCode('nothing_to_retry'),
        );
        const failed = await settleAll(['failed']);
        await store.deleteAccount(failed.targets[0]!.accountId!, failed.userId);
        await assert.rejects(
          store.retryFailedTargets(failed.id, failed.userId),
          expectCode('nothing_to_retry'),
        );
        assert.equal((await store.getPost(failed.id))!.status, 'failed', 'a refused retry changes nothing');
      });
    });

    describe('failing and reconciling', () => {
      it('fails a scheduled post of that version and its pending targets with the reason', async () => {
        const { post } = await scenario();
        assert.equal(await store.failScheduledPost(post.id, 2, 'missed', 'overdue'), null, 'another version');
        const failed = await store.failScheduledPost(post.id, 1, 'missed', 'overdue by 25 hours');
        assert.ok(failed);
        assert.equal(failed.status, 'failed');
        assert.equal(failed.errorCode, 'missed');
        assert.equal(failed.errorMessage, 'overdue by 25 hours');
        assert.ok(failed.targets.every((t) => t.status === 'failed' && t.errorCode === 'missed'));
        assert.equal(
          await store.failScheduledPost(post.id, 1, 'missed', 'again'),
          null,
          'no longer scheduled',
        );
        assert.equal(await store.failScheduledPost(crypto.randomUUID(), 1, 'missed', 'x'), null);
      });

      it('does not fail a post that is publishing', async () => {
        const { post } = await scenario();
        await store.claimPost(post.id, 1);
        assert.equal(await store.failScheduledPost(post.id, 1, 'missed', 'x'), null);
        assert.equal((await store.getPost(post.id))!.status, 'publishing');
      });

      it('finds scheduled posts in due order and only targets stuck since before the cut-off', async () => {
        const later = await scenario(at(50));
        const sooner = await scenario(at(40));
        const cancelled = await scenario(at(45));
        await store.cancelPost(cancelled.post.id, cancelled.userId);
        const publishing = await scenario(at(24));
        await store.claimPost(publishing.post.id, 1);
        const stuck = await store.claimTarget(publishing.post.targets[0]!.id);
        await harness.ageClaims(2 * HOUR);
        const fresh = await store.claimTarget(publishing.post.targets[1]!.id);

        const found = await store.findReconcileCandidates(HOUR);
        const ours = found.scheduled.filter((p) =>
          [later.post.id, sooner.post.id, cancelled.post.id, publishing.post.id].includes(p.id)
        );
        assert.deepEqual(ours, [
          { id: sooner.post.id, version: 1, scheduledAt: at(40) },
          { id: later.post.id, version: 1, scheduledAt: at(50) },
        ]);
        const stuckIds = found.stuckTargets.map((t) => t.id);
        assert.ok(stuckIds.includes(stuck!.id));
        assert.ok(!stuckIds.includes(fresh!.id), 'claimed after the cut-off: still in flight');
        const row = found.stuckTargets.find((t) => t.id === stuck!.id)!;
        assert.equal(row.claimToken, stuck!.claimToken, 'the reconciler gets the token to settle with');
        assert.ok((await store.findReconcileCandidates(HOUR, 1)).scheduled.length <= 1, 'limit applies');
      });

      it('takes over a claim only once it is older than the cut-off by the store’s clock, and only once', async () => {
        const { target } = await claimed();
        const young = await store.takeOverClaim(target.id, target.claimToken!, HOUR);
        assert.equal(young.outcome, 'held', 'a claim younger than the cut-off is left to its holder');
        assert.ok(young.outcome === 'held' && young.retryInMs > 0 && young.retryInMs <= HOUR);
        assert.equal((await store.getPost(target.postId))!.targets[0]!.claimToken, target.claimToken);

        await harness.ageClaims(2 * HOUR);
        const [first, second] = await Promise.all([
          store.takeOverClaim(target.id, target.claimToken!, HOUR),
          store.takeOverClaim(target.id, target.claimToken!, HOUR),
        ]);
        const outcomes = [first.outcome, second.outcome].sort();
        assert.deepEqual(outcomes, ['gone', 'taken'], 'of two takers exactly one wins');
        const taken = first.outcome === 'taken'
          ? first.target
          : second.outcome === 'taken'
          ? second.target
          : null;
        assert.ok(taken);
        assert.equal(taken.status, 'publishing');
        assert.notEqual(taken.claimToken, target.claimToken, 'a new token');
        assert.equal(taken.attempts, target.attempts, 'a takeover is no new attempt');
        assert.ok(
          taken.claimedAt!.getTime() > target.claimedAt!.getTime() - HOUR,
          'restamped, not the aged time',
        );
        await assert.rejects(
          store.settleTarget(target.id, target.claimToken!, {
            status: 'published',
            externalId: 'e',
            externalUrl: null,
          }, attemptAt(1)),
          expectCode('claim_lost'),
          'the old holder can no longer settle',
        );
        assert.equal((await store.takeOverClaim(target.id, taken.claimToken!, 0)).outcome, 'taken');
        assert.equal((await store.takeOverClaim(crypto.randomUUID(), taken.claimToken!, 0)).outcome, 'gone');
      });

      it('keeps the first send time across claims and takeovers, and forgets it when a failed target is retried', async () => {
        const { userId, post, target } = await claimed();
        assert.ok(target.firstSentAt, 'the first claim stamps it');
        assert.equal(target.firstSentAt!.getTime(), target.claimedAt!.getTime());
        await store.settleTarget(target.id, target.claimToken!, {
          status: 'pending',
          errorCode: 'platform_unavailable',
          errorMessage: '503',
          nextAttemptAt: new Date(),
        }, attemptAt(1));
        await harness.ageClaims(HOUR);
        const again = await store.claimTarget(target.id);
        assert.ok(again && again.claimedAt!.getTime() > again.firstSentAt!.getTime());
        await harness.ageClaims(2 * HOUR);
        const taken = await store.takeOverClaim(target.id, again.claimToken!, HOUR);
        assert.ok(taken.outcome === 'taken');
        assert.equal(
          taken.target.firstSentAt!.getTime() - taken.target.claimedAt!.getTime() <= -3 * HOUR + 60_000,
          true,
          'kept while the claim moves on',
        );
        await store.settleTarget(target.id, taken.target.claimToken!, {
          status: 'failed',
          errorCode: 'content_invalid',
          errorMessage: 'no',
        }, attemptAt(2));
        const other = await store.claimTarget(post.targets.find((t) => t.id !== target.id)!.id);
        await store.settleTarget(other!.id, other!.claimToken!, {
          status: 'failed',
          errorCode: 'content_invalid',
          errorMessage: 'no',
        }, attemptAt(2));
        await store.rollUpPost(post.id);
        const retried = await store.retryFailedTargets(post.id, userId);
        assert.equal(retried.targets.find((t) => t.id === target.id)!.firstSentAt, null);
      });

      it('notes what a claim holder learned, only while it holds the claim', async () => {
        const { target } = await claimed();
        assert.equal(
          await store.noteOnClaim(target.id, target.claimToken!, 'duplicate_content', 'copy live'),
          true,
        );
        const read = (await store.getPost(target.postId))!.targets.find((t) => t.id === target.id)!;
        assert.equal(read.status, 'publishing');
        assert.equal(read.errorCode, 'duplicate_content');
        assert.equal(read.errorMessage, 'copy live');
        assert.equal(
          await store.noteOnClaim(target.id, crypto.randomUUID(), 'duplicate_content', 'x'),
          false,
        );
        assert.equal(
          await store.noteOnClaim(crypto.randomUUID(), target.claimToken!, 'duplicate_content', 'x'),
          false,
        );
      });

      it('lists the external ids other targets of the account hold, published since the given time', async () => {
        const first = await claimed();
        await store.settleTarget(first.target.id, first.target.claimToken!, {
          status: 'published',
          externalId: 'ext-first',
          externalUrl: null,
        }, { startedAt: new Date(), finishedAt: new Date(), platformStatus: 201 });
        const accountId = first.target.accountId!;
        const otherTarget = crypto.randomUUID();
        assert.deepEqual(
          await store.listTakenExternalIds(accountId, otherTarget, new Date(Date.now() - HOUR)),
          [
            'ext-first',
          ],
        );
        assert.deepEqual(
          await store.listTakenExternalIds(accountId, first.target.id, new Date(Date.now() - HOUR)),
          [],
          'its own id is not another target’s',
        );
        assert.deepEqual(
          await store.listTakenExternalIds(accountId, otherTarget, new Date(Date.now() + HOUR)),
          [],
          'published before the window',
        );
        assert.deepEqual(
          await store.listTakenExternalIds(
            accountId === first.x.id ? first.linkedin.id : first.x.id,
            otherTarget,
            new Date(Date.now() - HOUR),
          ),
          [],
          'another account',
        );
      });

      it('finds the pending targets of publishing posts, soonest due first, with the post’s current version', async () => {
        const byPlatform = (post: Post) => [
          post.targets.find((t) => t.platform === 'x'),
          post.targets.find((t) => t.platform === 'linkedin'),
        ];
        const scheduled = await scenario(at(5));
        // Retried: x published, linkedin failed, then retryFailedTargets (version 2, due since at(10)).
        const retried = await scenario(at(10));
        await store.claimPost(retried.post.id, 1);
        const [rx, rl] = byPlatform(retried.post);
        const sent = await store.claimTarget(rx!.id);
        await store.settleTarget(sent!.id, sent!.claimToken!, {
          status: 'published',
          externalId: 'ext-retried',
          externalUrl: null,
        }, attemptAt(600));
        const refused = await store.claimTarget(rl!.id);
        await store.settleTarget(refused!.id, refused!.claimToken!, {
          status: 'failed',
          errorCode: 'content_invalid',
          errorMessage: 'too long',
        }, attemptAt(600));
        assert.equal((await store.rollUpPost(retried.post.id)).status, 'partially_published');
        assert.equal((await store.retryFailedTargets(retried.post.id, retried.userId)).version, 2);
        // Fanned out at(24): x still pending, linkedin back to pending with a retry due at(30).
        const waiting = await scenario(at(24));
        await store.claimPost(waiting.post.id, 1);
        const [wx, wl] = byPlatform(waiting.post);
        const failedOnce = await store.claimTarget(wl!.id);
        await store.settleTarget(failedOnce!.id, failedOnce!.claimToken!, {
          status: 'pending',
          errorCode: 'platform_unavailable',
          errorMessage: '503',
          nextAttemptAt: at(30),
        }, attemptAt(1440));
        // Fanned out at(20): x is being sent (publishing, not pending), linkedin waits.
        const sending = await scenario(at(20));
        await store.claimPost(sending.post.id, 1);
        const [sx, sl] = byPlatform(sending.post);
        await store.claimTarget(sx!.id);

        const found = await store.findReconcileCandidates(HOUR);
        const ids = [scheduled, retried, waiting, sending].map((s) => s.post.id);
        const ours = found.pendingTargets.filter((t) => ids.includes(t.postId));
        assert.deepEqual(ours.map((t) => t.id), [rl!.id, sl!.id, wx!.id, wl!.id]);
        assert.deepEqual(ours[0], {
          id: rl!.id,
          postId: retried.post.id,
          version: 2,
          nextAttemptAt: null,
          accountId: retried.linkedin.id,
          platform: 'linkedin',
        });
        assert.deepEqual(ours[3], {
          id: wl!.id,
          postId: waiting.post.id,
          version: 1,
          nextAttemptAt: at(30),
          accountId: waiting.linkedin.id,
          platform: 'linkedin',
        });
        assert.ok(
          !found.unrolledPostIds.some((id) => ids.includes(id)),
          'a post with a target still to send is not rolled up',
        );
        assert.ok(
          (await store.findReconcileCandidates(HOUR, 1)).pendingTargets.length <= 1,
          'limit applies',
        );
      });

      it('finds publishing posts whose targets are all settled until they are rolled up', async () => {
        const settled = await scenario(at(24));
        await store.claimPost(settled.post.id, 1);
        for (const [i, t] of settled.post.targets.entries()) {
          const held = await store.claimTarget(t.id);
          await store.settleTarget(held!.id, held!.claimToken!, {
            status: 'published',
            externalId: `ext-settled-${i}`,
            externalUrl: null,
          }, attemptAt(1440));
        }
        const inFlight = await scenario(at(24));
        await store.claimPost(inFlight.post.id, 1);
        const held = await store.claimTarget(inFlight.post.targets[0]!.id);
        await store.settleTarget(held!.id, held!.claimToken!, {
          status: 'failed',
          errorCode: 'content_invalid',
          errorMessage: 'too long',
        }, attemptAt(1440));
        await store.claimTarget(inFlight.post.targets[1]!.id);
        const scheduled = await scenario(at(24));

        const found = await store.findReconcileCandidates(HOUR);
        assert.ok(found.unrolledPostIds.includes(settled.post.id));
        assert.ok(!found.unrolledPostIds.includes(inFlight.post.id), 'a target is still publishing');
        assert.ok(!found.unrolledPostIds.includes(scheduled.post.id), 'not publishing');
        assert.ok(!found.pendingTargets.some((t) => t.postId === settled.post.id));

        assert.equal((await store.rollUpPost(settled.post.id)).status, 'published');
        const after = await store.findReconcileCandidates(HOUR);
        assert.ok(!after.unrolledPostIds.includes(settled.post.id), 'rolled up: nothing left to do');
      });
    });

    it('answers ping', async () => {
      await store.ping();
    });
  });
}
