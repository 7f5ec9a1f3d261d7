/**
 * Per-target content through the API (issue 15): a target's own text, an X thread and first comments
 * on POST /posts, as the response and GET show them, and their changes on PATCH /posts/{id} — via
 * `targets`, via `platformText` alone (only that platform's target changes) and `firstComment: null`.
 * The same cases run on the memory store and on Postgres; the typed client carries the same fields.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublisherClient } from '../../src/client/index.ts';
import type { Post, PostTarget, SchedulePostInput, UpdatePostInput } from '../../src/client/index.ts';
import { createDevSupabaseClient } from '../../src/dev/dev-supabase-client.ts';
import type { SocialAccount } from '../../src/domain/post.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import { createApiHarness, inMinutes } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';

announcePostgresSkip();

const PENDING_COMMENT = {
  status: 'pending',
  externalId: null,
  externalUrl: null,
  errorCode: null,
  errorMessage: null,
  attempts: 0,
  nextAttemptAt: null,
} as const;

function byPlatform(post: Post): Record<string, PostTarget> {
  return Object.fromEntries(post.targets.map((t) => [t.platform, t]));
}

/** What a creator reads of each target: what it publishes, and its comment. */
function content(post: Post) {
  return Object.fromEntries(
    post.targets.map((
      t,
    ) => [t.platform, { text: t.text, ownText: t.ownText, thread: t.thread, comment: t.comment }]),
  );
}

/** The cases, inside the caller's describe; `harness` is read when each case runs. */
function targetContentCases(harness: () => ApiHarness): void {
  let h: ApiHarness;
  let x: SocialAccount;
  let linkedin: SocialAccount;

  beforeEach(async () => {
    h = harness();
    x = await h.connect(h.alice, 'x');
    linkedin = await h.connect(h.alice, 'linkedin');
  });

  async function create(body: Record<string, unknown>): Promise<Post> {
    const res = await h.call('POST', '/posts', {
      body: { text: 'The post text', scheduledAt: inMinutes(30), ...body },
    });
    assert.equal(res.status, 201, JSON.stringify(await res.clone().json()));
    return await res.json() as Post;
  }

  async function read(id: string): Promise<Post> {
    const res = await h.call('GET', `/posts/${id}`);
    assert.equal(res.status, 200);
    return await res.json() as Post;
  }

  async function patch(id: string, body: unknown): Promise<Response> {
    return await h.call('PATCH', `/posts/${id}`, { body });
  }

  it('creates a post with per-target text, an X thread and first comments, shown the same by GET', async () => {
    const post = await create({
      firstComment: 'The post comment',
      targets: [
        {
          accountId: x.id,
          thread: ['1/2 The first part', '2/2 The second part'],
          firstComment: 'Reply on X',
        },
        { accountId: linkedin.id, text: 'LinkedIn has its own text' },
      ],
    });
    assert.equal(post.text, 'The post text');
    assert.equal(post.firstComment, 'The post comment');
    assert.deepEqual(content(post), {
      x: {
        text: '1/2 The first part',
        ownText: true,
        thread: [
          { text: '1/2 The first part', externalId: null, url: null },
          { text: '2/2 The second part', externalId: null, url: null },
        ],
        comment: { text: 'Reply on X', ...PENDING_COMMENT },
      },
      linkedin: {
        text: 'LinkedIn has its own text',
        ownText: true,
        thread: null,
        comment: { text: 'The post comment', ...PENDING_COMMENT },
      },
    });
    assert.deepEqual(h.postScheduler.calls, [{ action: 'schedule', postId: post.id, version: 1 }]);

    const got = await read(post.id);
    assert.equal(got.firstComment, 'The post comment');
    assert.deepEqual(content(got), content(post));
    const listed = (await (await h.call('GET', '/posts')).json()).items as Post[];
    assert.deepEqual(content(listed.find((p) => p.id === post.id)!), content(post));
  });

  it("shows the post's text on targets without their own, and no comment without a first comment", async () => {
    const post = await create({ targets: [{ accountId: x.id }, { accountId: linkedin.id, text: 'Own' }] });
    assert.equal(post.firstComment, null);
    assert.deepEqual(content(post), {
      x: { text: 'The post text', ownText: false, thread: null, comment: null },
      linkedin: { text: 'Own', ownText: true, thread: null, comment: null },
    });
  });

  it("changes a target's text via targets, bumps the version and reschedules the job", async () => {
    const post = await create({ targets: [{ accountId: x.id, text: 'X v1' }, { accountId: linkedin.id }] });
    const res = await patch(post.id, {
      targets: [{ accountId: x.id, text: 'X v2' }, { accountId: linkedin.id, text: 'LinkedIn v2' }],
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('etag'), '"2"');
    const changed = await res.json() as Post;
    assert.equal(changed.version, 2);
    assert.equal(changed.text, 'The post text');
    assert.deepEqual(content(changed), {
      x: { text: 'X v2', ownText: true, thread: null, comment: null },
      linkedin: { text: 'LinkedIn v2', ownText: true, thread: null, comment: null },
    });
    assert.deepEqual(h.postScheduler.calls.at(-1), { action: 'reschedule', postId: post.id, version: 2 });
    assert.deepEqual(content(await read(post.id)), content(changed));
  });

  it("changes only the named platform's target via platformText; the others keep their own content", async () => {
    const post = await create({
      targets: [
        { accountId: x.id, thread: ['1/2 Thread one', '2/2 Thread two'] },
        { accountId: linkedin.id, text: 'LinkedIn v1', firstComment: 'LinkedIn comment' },
      ],
    });
    const res = await patch(post.id, { platformText: { linkedin: 'LinkedIn v2' } });
    assert.equal(res.status, 200);
    const changed = await res.json() as Post;
    assert.equal(changed.version, 2);
    assert.deepEqual(content(changed).x, content(post).x, 'the X thread is unchanged');
    assert.deepEqual(content(changed).linkedin, {
      text: 'LinkedIn v2',
      ownText: true,
      thread: null,
      comment: { text: 'LinkedIn comment', ...PENDING_COMMENT },
    });
    assert.deepEqual(h.postScheduler.calls.at(-1), { action: 'reschedule', postId: post.id, version: 2 });
    assert.deepEqual(content(await read(post.id)), content(changed));
  });

  it('gives platformText to a target on the post text, leaving the text of the others', async () => {
    const post = await create({ targets: [{ accountId: x.id }, { accountId: linkedin.id }] });
    const changed = await (await patch(post.id, { platformText: { x: 'Only X changes' } })).json() as Post;
    assert.deepEqual(
      [byPlatform(changed).x?.text, byPlatform(changed).x?.ownText],
      ['Only X changes', true],
    );
    assert.deepEqual(
      [byPlatform(changed).linkedin?.text, byPlatform(changed).linkedin?.ownText],
      ['The post text', false],
    );
    const edited = await (await patch(post.id, { text: 'New post text' })).json() as Post;
    assert.equal(
      byPlatform(edited).x?.text,
      'Only X changes',
      'its own text stays when the post text changes',
    );
    assert.equal(byPlatform(edited).linkedin?.text, 'New post text');
  });

  it('refuses platformText for a platform the post does not target, with 422 naming it, changing nothing', async () => {
    const post = await create({ targets: [{ accountId: x.id }] });
    const res = await patch(post.id, { platformText: { linkedin: 'no LinkedIn target' } });
    assert.equal(res.status, 422);
    const problem = await res.json();
    assert.deepEqual(problem.errors.map((e: { path: string }) => e.path), ['platformText.linkedin']);
    assert.equal((await read(post.id)).version, 1);
  });

  it("removes the post's first comment with firstComment: null; a target's own comment stays", async () => {
    const instagram = await h.connect(h.alice, 'instagram');
    const post = await create({
      firstComment: 'The post comment',
      media: [{ url: 'https://cdn.example.com/a.jpg' }],
      targets: [
        { accountId: x.id },
        { accountId: linkedin.id },
        { accountId: instagram.id, firstComment: 'Instagram comment' },
      ],
    });
    assert.equal(byPlatform(post).x?.comment?.text, 'The post comment');
    const res = await patch(post.id, { firstComment: null });
    assert.equal(res.status, 200);
    const changed = await res.json() as Post;
    assert.equal(changed.version, 2);
    assert.equal(changed.firstComment, null);
    assert.equal(byPlatform(changed).x?.comment, null);
    assert.equal(byPlatform(changed).linkedin?.comment, null);
    assert.equal(byPlatform(changed).instagram?.comment?.text, 'Instagram comment');
    const got = await read(post.id);
    assert.equal(got.firstComment, null);
    assert.deepEqual(content(got), content(changed));
  });

  it('answers 409 to every content change once publishing has begun, changing nothing', async () => {
    const post = await create({
      firstComment: 'The post comment',
      targets: [{ accountId: x.id, text: 'X own' }, { accountId: linkedin.id }],
    });
    const claim = await h.store.claimPost(post.id, 1);
    assert.equal(claim.outcome, 'claimed');
    const calls = h.postScheduler.calls.length;
    for (
      const body of [
        { targets: [{ accountId: x.id, text: 'too late' }] },
        { platformText: { linkedin: 'too late' } },
        { firstComment: null },
      ]
    ) {
      const res = await patch(post.id, body);
      assert.equal(res.status, 409, JSON.stringify(body));
      assert.equal((await res.json()).code, 'post_not_editable');
    }
    const got = await read(post.id);
    assert.equal(got.status, 'publishing');
    assert.equal(got.version, post.version, 'the version is unchanged');
    assert.equal(got.firstComment, 'The post comment');
    assert.deepEqual(content(got), content(post));
    assert.equal(h.postScheduler.calls.length, calls, 'nothing was rescheduled');
  });
}

describe('per-target content on the memory store', () => {
  let h: ApiHarness;
  beforeEach(async () => {
    h = await createApiHarness();
  });
  targetContentCases(() => h);
});

describe('per-target content on the Postgres store', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let store: PostStore;
  let users: [string, string];
  let h: ApiHarness;
  before(async () => {
    db = await createTestDatabase();
    store = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(randomKey()) });
    users = [await createUser(db.sql), await createUser(db.sql)];
  });
  // A fresh harness (and fake scheduler) per case, on the one database.
  beforeEach(async () => {
    h = await createApiHarness({ store, users });
  });
  after(async () => {
    await db?.drop();
  });
  targetContentCases(() => h);
});

describe('the typed client carries per-target content', () => {
  it('schedules and updates with targets, platformText and firstComment, and reads them back', async () => {
    const h = await createApiHarness({ basePath: '/functions/v1' });
    const x = await h.connect(h.alice, 'x');
    const linkedin = await h.connect(h.alice, 'linkedin');
    const client = createPublisherClient(
      createDevSupabaseClient(
        'http://api.test',
        await h.token(),
        (input, init) => Promise.resolve(h.app.fetch(new Request(input, init))),
      ),
    );
    const input: SchedulePostInput = {
      text: 'The post text',
      scheduledAt: inMinutes(30),
      firstComment: 'The post comment',
      targets: [
        { accountId: x.id, thread: ['1/2 one', '2/2 two'], firstComment: 'On X' },
        { accountId: linkedin.id, text: 'LinkedIn text' },
      ],
    };
    const created = await client.schedule(input);
    assert.equal(created.firstComment, 'The post comment');
    const thread = byPlatform(created).x?.thread;
    assert.deepEqual(thread?.map((p) => [p.text, p.externalId, p.url]), [['1/2 one', null, null], [
      '2/2 two',
      null,
      null,
    ]]);
    assert.equal(byPlatform(created).x?.comment?.status, 'pending');
    assert.equal(byPlatform(created).linkedin?.text, 'LinkedIn text');

    const change: UpdatePostInput = { platformText: { linkedin: 'LinkedIn v2' }, firstComment: null };
    const updated = await client.update(created.id, change, { ifVersion: 1 });
    assert.equal(updated.version, 2);
    assert.equal(updated.firstComment, null);
    assert.equal(byPlatform(updated).linkedin?.text, 'LinkedIn v2');
    assert.equal(byPlatform(updated).linkedin?.comment, null);
    assert.equal(byPlatform(updated).x?.comment?.text, 'On X');
    assert.deepEqual(content(await client.get(created.id)), content(updated));
  });
});
