/**
 * The API on the Postgres store: the paths whose SQL the memory store cannot prove — creation in one
 * transaction, Idempotency-Key reservation (public.idempotency_keys), edits with If-Match, cancel,
 * retry, and cross-user isolation.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';
import { createApiHarness, inMinutes } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';
import { unstorableTextCases } from '../support/unstorable-text-cases.ts';

announcePostgresSkip();

describe('API on the Postgres store', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let store: PostStore;
  let h: ApiHarness;

  before(async () => {
    db = await createTestDatabase();
    store = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(randomKey()) });
    h = await createApiHarness({ store, users: [await createUser(db.sql), await createUser(db.sql)] });
  });
  after(async () => {
    await db?.drop();
  });

  it('creates one post for a retried Idempotency-Key and stores the key row', async () => {
    const account = await h.connect(h.alice, 'x');
    const body = { text: 'pg', scheduledAt: inMinutes(10), targets: [{ accountId: account.id }] };
    const headers = { 'idempotency-key': 'pg-key-1' };
    const first = await h.call('POST', '/posts', { body, headers });
    assert.equal(first.status, 201);
    const created = await first.json();
    const replay = await h.call('POST', '/posts', { body, headers });
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('idempotency-replayed'), 'true');
    assert.deepEqual(await replay.json(), created);
    const [posts] = await db.sql<{ count: number }[]>`
      select count(*)::int as count from public.posts where user_id = ${h.alice}`;
    assert.equal(posts?.count, 1);
    const [key] = await db
      .sql`select response_status from public.idempotency_keys where user_id = ${h.alice} and key = 'pg-key-1'`;
    assert.equal(key?.response_status, 201);
    const reused = await h.call('POST', '/posts', { body: { ...body, text: 'other' }, headers });
    assert.equal(reused.status, 422);
  });

  it('answers 401 user_unknown, not a database error, to a valid token whose user no longer exists', async () => {
    const gone = crypto.randomUUID(); // signed correctly, but in no auth.users row
    const before = await db.sql`select count(*)::int as n from public.idempotency_keys`;
    const res = await h.call('POST', '/posts', {
      as: gone,
      body: { text: 'ghost', scheduledAt: inMinutes(10), targets: [{ accountId: crypto.randomUUID() }] },
      headers: { 'idempotency-key': 'ghost-key' },
    });
    assert.equal(res.status, 401);
    const problem = await res.json();
    assert.equal(problem.code, 'user_unknown');
    assert.match(problem.detail, /sign in again/);
    assert.deepEqual(await db.sql`select count(*)::int as n from public.idempotency_keys`, before);
  });

  it('edits with If-Match, refuses a stale one with 412, and cancels idempotently', async () => {
    const account = await h.connect(h.alice, 'linkedin');
    const created = await (await h.call('POST', '/posts', {
      body: { text: 'v1', scheduledAt: inMinutes(20), targets: [{ accountId: account.id }] },
    })).json();
    const edited = await h.call('PATCH', `/posts/${created.id}`, {
      body: { text: 'v2' },
      headers: { 'if-match': '"1"' },
    });
    assert.equal(edited.status, 200);
    assert.equal(edited.headers.get('etag'), '"2"');
    const stale = await h.call('PATCH', `/posts/${created.id}`, {
      body: { text: 'v3' },
      headers: { 'if-match': '"1"' },
    });
    assert.equal(stale.status, 412);
    assert.equal((await h.call('GET', `/posts/${created.id}`, { as: h.bob })).status, 404);
    assert.equal((await h.call('DELETE', `/posts/${created.id}`)).status, 204);
    assert.equal((await h.call('DELETE', `/posts/${created.id}`)).status, 204);
    const [row] = await db.sql`select status, version, text from public.posts where id = ${created.id}`;
    assert.deepEqual({ ...row }, { status: 'cancelled', version: 2, text: 'v2' });
  });

  it('retries only the failed targets', async () => {
    const account = await h.connect(h.alice, 'x', 'retry-x');
    const created = await (await h.call('POST', '/posts', {
      body: { text: 'retry me', scheduledAt: 'now', targets: [{ accountId: account.id }] },
    })).json();
    await store.claimPost(created.id, 1);
    const target = await store.claimTarget(created.targets[0].id);
    const at = new Date();
    await store.settleTarget(target!.id, target!.claimToken!, {
      status: 'failed',
      errorCode: 'platform_unavailable',
      errorMessage: 'down',
    }, { startedAt: at, finishedAt: at });
    await store.rollUpPost(created.id);
    const res = await h.call('POST', `/posts/${created.id}/retry`);
    assert.equal(res.status, 200);
    const post = await res.json();
    assert.equal(post.status, 'publishing');
    assert.equal(post.targets[0].status, 'pending');
    assert.equal((await h.call('POST', `/posts/${created.id}/retry`)).status, 409);
  });

  // The same cases as api-posts.test.ts on the memory store: Postgres used to answer these with 500.
  unstorableTextCases(() => h);
});
