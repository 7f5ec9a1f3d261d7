/**
 * The PostsAndTargets contract (src/store/posts-and-targets.ts): one suite, run against the memory
 * and the Postgres adapter by posts.test.ts. An adapter is trustworthy only because it passes this
 * whole suite. The posts need accounts to target, so the harness hands in the whole store.
 *
 * The suite is split by topic: the post lifecycle (create, read, list, edit, cancel) here, claims,
 * settlement and the roll-up in post-claims.contract.ts, failing and reconciling in
 * post-reconcile.contract.ts. All run inside this one describe, on the one store its harness builds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Post } from '../../src/domain/post.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { postClaimsContract } from './post-claims.contract.ts';
import { postReconcileContract } from './post-reconcile.contract.ts';
import { postsSuite } from './posts-contract-suite.ts';
import type { ClaimsHarness, ContractOptions } from './store-harness.ts';
import { at, expectCode } from './store-harness.ts';

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

    const suite = postsSuite(() => harness);
    const { account, scenario } = suite;

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

      it('keeps media without altText, several items in order, and 10 000 characters outside the BMP as given', async () => {
        const userId = await harness.createUser();
        const x = await account(userId);
        const text = '🚀'.repeat(10_000); // 10 000 code points, 20 000 UTF-16 units
        const media = [
          { url: 'https://cdn.example.test/1.jpg' },
          { url: 'https://cdn.example.test/2.jpg', altText: 'Zwei — ünïcode 🐈' },
          { url: 'https://cdn.example.test/3.jpg', altText: '' },
        ];
        const post = await store.createPost({ userId, text, media, scheduledAt: at(2), accountIds: [x.id] });
        assert.equal(post.text, text);
        assert.deepEqual(post.media, media);
        assert.deepEqual(await store.getPost(post.id, userId), post);
        const empty = await store.createPost({
          userId,
          text: '',
          media: [],
          scheduledAt: at(3),
          accountIds: [x.id],
        });
        assert.equal(empty.text, '', 'an empty text is stored (the API requires text per platform)');
        assert.deepEqual(empty.media, []);
      });

      it('refuses NUL characters and lone surrogates in text, media urls and altText on create and edit, naming the field (validation_failed)', async () => {
        const { userId, x, post } = await scenario();
        const ok = { url: 'https://cdn.example.test/a.jpg' };
        const cases: [{ text?: string; media?: { url: string; altText?: string }[] }, string][] = [
          [{ text: 'Hello\u0000world' }, 'text'],
          [{ text: 'half an emoji \ud83d' }, 'text'],
          [{ text: '\ude80 low half first' }, 'text'],
          [{ media: [ok, { url: 'https://cdn.example.test/\u0000.jpg' }] }, 'media[1].url'],
          [{ media: [{ url: 'https://cdn.example.test/\ud800.jpg' }] }, 'media[0].url'],
          [{ media: [{ ...ok, altText: 'a cat\u0000' }] }, 'media[0].altText'],
          [{ media: [ok, { ...ok, altText: '\udfff' }] }, 'media[1].altText'],
        ];
        const named = (path: string) => (err: Error) => {
          expectCode('validation_failed')(err);
          assert.equal((err as unknown as { context: { path?: unknown } }).context.path, path);
          return true;
        };
        for (const [change, path] of cases) {
          const input = { userId, text: 't', media: [], scheduledAt: at(1), accountIds: [x.id], ...change };
          await assert.rejects(store.createPost(input), named(path), `create: ${path}`);
          await assert.rejects(store.updatePost(post.id, userId, change, 1), named(path), `edit: ${path}`);
        }
        assert.deepEqual(await store.getPost(post.id, userId), post, 'no edit was applied');
        assert.deepEqual(
          (await store.listPosts(userId)).items.map((p) => p.id),
          [post.id],
          'no post was created',
        );
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

      it('creates the post only when each account is on a platform the content is valid for (content_invalid)', async () => {
        const userId = await harness.createUser();
        const x = await account(userId, 'x');
        const linkedin = await account(userId, 'linkedin');
        const input = { userId, text: 't', media: [], scheduledAt: at(1), accountIds: [x.id, linkedin.id] };
        await assert.rejects(
          store.createPost({ ...input, platforms: ['x', 'instagram'] }),
          (err: { code?: string; context?: { accountId?: string } }) =>
            err.code === 'content_invalid' && err.context?.accountId === linkedin.id,
        );
        assert.equal((await store.listPosts(userId)).items.length, 0, 'no post was created');
        const post = await store.createPost({ ...input, platforms: ['linkedin', 'x'] });
        assert.deepEqual(post.targets.map((t) => t.platform).sort(), ['linkedin', 'x']);
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

      it('rejects a cursor whose instant is not one it writes (year 0, extended years, free text, NUL) with validation_failed', async () => {
        const userId = await harness.createUser();
        const id = crypto.randomUUID();
        const cursorOf = (scheduledAt: string) =>
          btoa(JSON.stringify([scheduledAt, id])).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
        for (
          const instant of [
            '0000-01-01T00:00:00.000Z',
            '+275760-09-13T00:00:00.000Z',
            'March 7 2030',
            '2030-01-01T00:00:00Z\u0000',
            '2030-02-31T00:00:00.000Z',
            '2030-01-01T00:00:00.000+01:00',
          ]
        ) {
          await assert.rejects(
            store.listPosts(userId, { cursor: cursorOf(instant) }),
            expectCode('validation_failed'),
            instant,
          );
        }
        for (
          const instant of ['2030-01-01T00:00:00.000Z', '2030-01-01T00:00:00.123456Z', '2030-01-01T00:00:00Z']
        ) {
          assert.deepEqual((await store.listPosts(userId, { cursor: cursorOf(instant) })).items, [], instant);
        }
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

      it('applies each change on its own, keeping every field it does not name', async () => {
        const { userId, x, linkedin, post } = await scenario();
        const byField = [
          { media: [{ url: 'https://cdn.example.test/b.png' }] },
          { scheduledAt: at(40) },
          { accountIds: [linkedin.id] },
          { text: 'Only the text' },
        ];
        let expected = post;
        for (const change of byField) {
          const updated = await store.updatePost(post.id, userId, change);
          assert.equal(updated.version, expected.version + 1);
          assert.equal(updated.text, change.text ?? expected.text);
          assert.deepEqual(updated.media, change.media ?? expected.media);
          assert.equal(
            updated.scheduledAt.toISOString(),
            (change.scheduledAt ?? expected.scheduledAt).toISOString(),
          );
          assert.deepEqual(
            updated.targets.map((t) => t.accountId).sort(),
            (change.accountIds ?? expected.targets.map((t) => t.accountId)).sort(),
          );
          assert.deepEqual(await store.getPost(post.id, userId), updated);
          expected = updated;
        }
        assert.ok(!expected.targets.some((t) => t.accountId === x.id));
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

    postClaimsContract(suite);
    postReconcileContract(suite);

    it('answers ping', async () => {
      await store.ping();
    });
  });
}
