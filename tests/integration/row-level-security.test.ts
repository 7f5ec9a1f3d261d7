import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Sql, TransactionSql } from 'postgres';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';

announcePostgresSkip();

const TABLES = ['posts', 'post_targets', 'social_accounts', 'post_target_attempts'];

/** Runs `fn` as the Data API would for a signed-in user (role + JWT claims), then rolls back. */
async function asUser<T>(sql: Sql, userId: string, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return await asRole(sql, 'authenticated', { sub: userId, role: 'authenticated' }, fn);
}

async function asRole<T>(
  sql: Sql,
  role: string,
  claims: Record<string, unknown> | null,
  fn: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  await sql
    .begin(async (tx) => {
      await tx.unsafe(`set local role ${role}`);
      if (claims) await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      result = await fn(tx);
      throw new Rollback();
    })
    .catch((err) => {
      if (!(err instanceof Rollback)) throw err;
    });
  return result as T;
}
class Rollback extends Error {}

describe('row level security and grants', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let alice: string;
  let bob: string;
  let alicePost: string;
  let bobPost: string;

  before(async () => {
    db = await createTestDatabase();
    alice = await createUser(db.sql);
    bob = await createUser(db.sql);
    for (const [user, label] of [[alice, 'alice'], [bob, 'bob']] as const) {
      const [account] = await db.sql`
        insert into public.social_accounts (user_id, platform, external_id, access_token_ciphertext, token_key_id)
        values (${user}, 'x', ${label}, 'v1.0123456789abcdef.aXY.Y3Q', '0123456789abcdef') returning id`;
      const [post] = await db.sql`
        insert into public.posts (user_id, text, scheduled_at) values (${user}, ${`hello from ${label}`}, now() + interval '1 hour')
        returning id`;
      const [target] = await db.sql`
        insert into public.post_targets (post_id, user_id, account_id, platform)
        values (${post!.id}, ${user}, ${account!.id}, 'x') returning id`;
      await db.sql`
        insert into public.post_target_attempts (target_id, post_id, user_id, attempt, outcome, started_at, finished_at)
        values (${target!.id}, ${post!.id}, ${user}, 1, 'retrying', now(), now())`;
      if (user === alice) alicePost = post!.id;
      else bobPost = post!.id;
    }
  });
  after(async () => {
    await db?.drop();
  });

  it('enables row level security on every table', async () => {
    const rows = await db.sql<{ relname: string; relrowsecurity: boolean }[]>`
      select relname, relrowsecurity from pg_class
      where relnamespace = 'public'::regnamespace and relname in ${db.sql(TABLES)}`;
    assert.equal(rows.length, TABLES.length);
    for (const row of rows) assert.equal(row.relrowsecurity, true, `${row.relname} has RLS enabled`);
  });

  it('shows a signed-in user only their own rows in every table', async () => {
    for (const table of TABLES) {
      const rows = await asUser(db.sql, alice, (tx) => tx.unsafe(`select user_id from public.${table}`));
      assert.ok(rows.length > 0, `alice sees her ${table}`);
      assert.ok(rows.every((r) => r.user_id === alice), `alice sees only her ${table}`);
    }
  });

  it("lets a user delete their own post and not another user's", async () => {
    const [own, other] = await asUser(db.sql, alice, async (tx) => [
      await tx`delete from public.posts where id = ${alicePost} returning id`,
      await tx`delete from public.posts where id = ${bobPost} returning id`,
    ]);
    assert.equal(own!.length, 1);
    assert.equal(other!.length, 0);
  });

  it('refuses to delete a post while it is being published', async () => {
    await db.sql`update public.posts set status = 'publishing' where id = ${alicePost}`;
    try {
      const deleted = await asUser(
        db.sql,
        alice,
        (tx) => tx`delete from public.posts where id = ${alicePost} returning id`,
      );
      assert.equal(deleted.length, 0);
    } finally {
      await db.sql`update public.posts set status = 'scheduled' where id = ${alicePost}`;
    }
  });

  it('sends every post creation and edit through the API, not the Data API', async () => {
    await assert.rejects(
      asUser(
        db.sql,
        alice,
        (tx) => tx`insert into public.posts (user_id, text, scheduled_at) values (${alice}, 'direct', now())`,
      ),
      /permission denied/,
    );
    await assert.rejects(
      asUser(db.sql, alice, (tx) => tx`update public.posts set text = 'edited' where id = ${alicePost}`),
      /permission denied/,
    );
  });

  it('keeps publishing state and token ciphertexts out of reach of signed-in users', async () => {
    await assert.rejects(
      asUser(db.sql, alice, (tx) => tx`update public.posts set status = 'published' where id = ${alicePost}`),
      /permission denied/,
    );
    await assert.rejects(
      asUser(db.sql, alice, (tx) => tx`update public.post_targets set status = 'published'`),
      /permission denied/,
    );
    await assert.rejects(
      asUser(db.sql, alice, (tx) => tx`select access_token_ciphertext from public.social_accounts`),
      /permission denied/,
    );
    const visible = await asUser(
      db.sql,
      alice,
      (tx) => tx`select id, platform, external_id from public.social_accounts`,
    );
    assert.equal(visible.length, 1);
  });

  it("keeps the worker's internal functions out of the API roles' reach", async () => {
    for (const role of ['anon', 'authenticated']) {
      await assert.rejects(
        asRole(
          db.sql,
          role,
          { sub: alice, role },
          (tx) => tx`select public.other_targets_now(${alicePost}::uuid, ${crypto.randomUUID()}::uuid)`,
        ),
        /permission denied for function other_targets_now/,
        role,
      );
    }
    const [row] = await db
      .sql`select public.other_targets_now(${alicePost}::uuid, ${crypto.randomUUID()}::uuid) as o`;
    assert.equal((row!.o as unknown[]).length, 1, 'the owner (the worker) reads the post targets');
  });

  it('gives anon nothing at all', async () => {
    for (const table of TABLES) {
      await assert.rejects(
        asRole(db.sql, 'anon', { role: 'anon' }, (tx) => tx.unsafe(`select * from public.${table}`)),
        /permission denied/,
        `anon cannot read ${table}`,
      );
    }
    const grants = await db.sql`
      select table_name, privilege_type from information_schema.role_table_grants
      where grantee = 'anon' and table_schema = 'public'`;
    assert.deepEqual([...grants], []);
  });

  it('grants service_role full access and authenticated only what the app needs', async () => {
    const rows = await db.sql<{ table_name: string; privilege_type: string }[]>`
      select table_name, privilege_type from information_schema.role_table_grants
      where grantee = 'authenticated' and table_schema = 'public' order by 1, 2`;
    const privileges = (table: string) =>
      rows.filter((r) => r.table_name === table).map((r) => r.privilege_type);
    assert.deepEqual(privileges('posts'), ['DELETE', 'SELECT']);
    assert.deepEqual(privileges('post_targets'), ['SELECT']);
    assert.deepEqual(privileges('post_target_attempts'), ['SELECT']);
    assert.deepEqual(privileges('social_accounts'), ['DELETE']);
    const count = await asRole(
      db.sql,
      'service_role',
      null,
      (tx) => tx`select count(*)::int as n from public.posts`,
    );
    assert.equal(count[0]!.n, 2, 'service_role bypasses RLS');
  });
});
