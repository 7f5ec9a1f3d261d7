/**
 * What each post request costs the database, counted on the pool (postgres.js's `debug` hook,
 * connect-postgres.ts `onStatement`): every statement is at least one round trip while the request
 * holds a connection, so a change that adds a read or splits a write shows here
 * (docs/operations.md, "API performance"). And the single-statement edit and cancel stay right when
 * another change commits while they wait for the post's row lock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type postgres from 'postgres';
import { connectPostgres } from '../../src/store/connect-postgres.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import { createApiHarness, inMinutes } from '../support/api-harness.ts';
import type { ApiHarness, CallInit } from '../support/api-harness.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

announcePostgresSkip();

describe('API statements per request (postgres store)', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let sql: postgres.Sql;
  let store: PostStore;
  let h: ApiHarness;
  const sent: string[] = [];

  before(async () => {
    db = await createTestDatabase();
    sql = connectPostgres(db.url, { max: 2, onStatement: ({ text }) => void sent.push(text) });
    store = createPostgresPostStore({ sql, cipher: await createTokenCipher(randomKey()) });
    h = await createApiHarness({ store, users: [await createUser(db.sql), await createUser(db.sql)] });
  });
  after(async () => {
    await sql?.end({ timeout: 5 });
    await db?.drop();
  });

  /** The request's status and the statements it sent, in order. */
  async function counted(method: string, path: string, init?: CallInit) {
    sent.length = 0;
    const res = await h.call(method, path, init);
    const statements = sent.map((text) => text.replace(/\s+/g, ' ').trim().slice(0, 80));
    return { status: res.status, body: res.status === 204 ? null : await res.json(), statements };
  }

  it('schedules, reads and lists in one statement each, and edits or cancels in a read and a write', async () => {
    const account = await h.connect(h.alice, 'linkedin');
    const body = { text: 'counted', scheduledAt: inMinutes(30), targets: [{ accountId: account.id }] };
    // postgres.js reads the database's types on a connection's first query: not part of a request.
    assert.equal((await h.call('POST', '/posts', { body })).status, 201);
    assert.equal((await h.call('POST', '/posts', { body })).status, 201);

    const create = await counted('POST', '/posts', { body });
    assert.equal(create.status, 201);
    const id = (create.body as { id: string }).id;
    const read = await counted('GET', `/posts/${id}`);
    const list = await counted('GET', '/posts');
    const edit = await counted('PATCH', `/posts/${id}`, {
      body: { text: 'edited', scheduledAt: inMinutes(40) },
    });
    const cancel = await counted('DELETE', `/posts/${id}`);
    assert.deepEqual(
      [read.status, list.status, edit.status, cancel.status],
      [200, 200, 200, 204],
    );
    const budget = { create: 1, read: 1, list: 1, edit: 2, cancel: 2 };
    const statements = { create, read, list, edit, cancel };
    assert.deepEqual(
      Object.fromEntries(Object.entries(statements).map(([k, v]) => [k, v.statements.length])),
      budget,
      `statements per request changed (each costs a round trip per request):\n${
        JSON.stringify(
          Object.fromEntries(Object.entries(statements).map(([k, v]) => [k, v.statements])),
          null,
          2,
        )
      }`,
    );
    const [row] = await db.sql<{ status: string; version: number; targets: string[] }[]>`
      select p.status, p.version, array_agg(t.status::text) as targets
      from public.posts p join public.post_targets t on t.post_id = p.id
      where p.id = ${id} group by p.id`;
    assert.deepEqual(row, { status: 'cancelled', version: 2, targets: ['cancelled'] });
  });

  it('answers a post the store refused as the two steps would: accounts first, then content rules', async () => {
    const x = await h.connect(h.alice, 'x', 'refusal-x');
    const stale = await h.connect(h.alice, 'linkedin', 'refusal-li');
    await store.setAccountStatus(stale.id, 'needs_reconnect');
    const bobX = await h.connect(h.bob, 'x', 'refusal-bob');
    const long = 'x'.repeat(300); // over X's 280 (the harness's content rules)
    const before = await db.sql`select count(*)::int as n from public.posts`;

    const foreign = await counted('POST', '/posts', {
      body: {
        text: long,
        scheduledAt: inMinutes(30),
        targets: [{ accountId: x.id }, { accountId: bobX.id }],
      },
    });
    assert.equal(foreign.status, 422);
    const foreignProblem = foreign.body as { code: string; errors: { path: string; message: string }[] };
    assert.equal(foreignProblem.code, 'validation_failed');
    assert.deepEqual(foreignProblem.errors.map((e) => e.path), ['targets[1].accountId']);
    assert.match(foreignProblem.errors[0]!.message, /GET \/accounts/);

    const reconnect = await counted('POST', '/posts', {
      body: { text: 'short', scheduledAt: inMinutes(30), targets: [{ accountId: stale.id }] },
    });
    assert.equal(reconnect.status, 422);
    assert.match(
      (reconnect.body as { errors: { message: string }[] }).errors[0]!.message,
      /needs reconnecting/,
    );

    const tooLong = await counted('POST', '/posts', {
      body: { text: long, scheduledAt: inMinutes(30), targets: [{ accountId: x.id }] },
    });
    assert.equal(tooLong.status, 422);
    const contentProblem = tooLong.body as { code: string; errors: { platform: string; rule: string }[] };
    assert.equal(contentProblem.code, 'content_invalid');
    assert.deepEqual(contentProblem.errors.map((e) => [e.platform, e.rule]), [['x', 'text_too_long']]);
    assert.deepEqual(await db.sql`select count(*)::int as n from public.posts`, before);
  });

  /**
   * Runs `change` while another transaction holds the post's row lock and, before it commits, moves
   * the post to a new version with a new target (what an edit replacing the targets does).
   */
  async function raceWithRetarget(postId: string, newAccountId: string, change: () => Promise<unknown>) {
    const reserved = await db.sql.reserve();
    try {
      await reserved`begin`;
      await reserved`select id from public.posts where id = ${postId} for update`;
      const pending = change();
      await waitFor(async () => {
        const [waiting] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'
            and query ilike '%update public.posts%'`;
        return waiting!.n > 0;
      }, { what: 'the change to wait for the row lock' });
      await reserved`
        insert into public.post_targets (post_id, user_id, account_id, platform)
        select ${postId}, user_id, id, platform from public.social_accounts where id = ${newAccountId}`;
      await reserved`update public.posts set version = version + 1 where id = ${postId}`;
      await reserved`commit`;
      return await pending;
    } finally {
      reserved.release();
    }
  }

  it('cancels a target that an edit committed while the cancel waited for the row lock', async () => {
    const first = await h.connect(h.alice, 'x', 'race-x-1');
    const second = await h.connect(h.alice, 'instagram', 'race-ig-1');
    const post = await store.createPost({
      userId: h.alice,
      text: 'race',
      media: [],
      scheduledAt: new Date(Date.now() + 3_600_000),
      accountIds: [first.id],
    });
    const cancelled = await raceWithRetarget(post.id, second.id, () => store.cancelPost(post.id, h.alice));
    const targets = await db.sql<{ account_id: string; status: string }[]>`
      select account_id, status from public.post_targets where post_id = ${post.id} order by created_at, id`;
    assert.deepEqual(targets.map((t) => t.status), ['cancelled', 'cancelled']);
    assert.deepEqual(
      (cancelled as { targets: { accountId: string; status: string }[] }).targets
        .map((t) => [t.accountId, t.status]).sort(),
      targets.map((t) => [t.account_id, t.status]).sort(),
    );
  });

  it('answers an edit that waited for the row lock with the targets as they are after it', async () => {
    const first = await h.connect(h.alice, 'x', 'race-x-2');
    const second = await h.connect(h.alice, 'instagram', 'race-ig-2');
    const post = await store.createPost({
      userId: h.alice,
      text: 'race',
      media: [],
      scheduledAt: new Date(Date.now() + 3_600_000),
      accountIds: [first.id],
    });
    const edited = await raceWithRetarget(
      post.id,
      second.id,
      () => store.updatePost(post.id, h.alice, { text: 'after the race' }),
    ) as { version: number; text: string; targets: { accountId: string }[] };
    assert.equal(edited.text, 'after the race');
    assert.equal(edited.version, 3);
    assert.deepEqual(edited.targets.map((t) => t.accountId).sort(), [first.id, second.id].sort());
  });
});
