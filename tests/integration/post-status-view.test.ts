/**
 * The Studio view public.post_status_overview on real Postgres with the Supabase shim: what a creator
 * sees through it (RLS applies: security_invoker), what another sees, the grants, and that its first
 * page comes from indexes — not a scan and sort of every post — with 100,000 posts.
 */
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
import { seedPost } from '../support/notify-fixtures.ts';

announcePostgresSkip();

class Rollback extends Error {}

/** Runs `fn` as the Data API would for `role` with these JWT claims, then rolls back. */
async function asRole<T>(
  sql: Sql,
  role: 'authenticated' | 'anon',
  claims: Record<string, unknown>,
  fn: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  await sql.begin(async (tx) => {
    await tx.unsafe(`set local role ${role}`);
    await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    result = await fn(tx);
    throw new Rollback();
  }).catch((err) => {
    if (!(err instanceof Rollback)) throw err;
  });
  return result as T;
}

const asUser = <T>(sql: Sql, userId: string, fn: (tx: TransactionSql) => Promise<T>) =>
  asRole(sql, 'authenticated', { sub: userId, role: 'authenticated' }, fn);

describe('post_status_overview view', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let alice: string;
  let bob: string;
  let stranger: string;
  let published: string;
  let waiting: string;

  before(async () => {
    db = await createTestDatabase();
    alice = await createUser(db.sql);
    bob = await createUser(db.sql);
    stranger = await createUser(db.sql);
    const a = await seedPost(db.sql, alice, ['x', 'linkedin']);
    published = a.postId;
    await db.sql`update public.post_targets set status = 'published', external_id = 'x-1', attempts = 1,
      external_url = 'https://x.com/i/web/status/1' where id = ${a.targets.x!}`;
    await db.sql`update public.post_targets set status = 'failed', attempts = 2, error_code = 'auth_expired',
      error_message = 'token expired' where id = ${a.targets.linkedin!}`;
    await db.sql`update public.posts set status = 'partially_published',
      published_at = scheduled_at + interval '90 seconds' where id = ${published}`;
    const b = await seedPost(db.sql, alice, ['instagram']);
    waiting = b.postId;
    await db.sql`update public.posts set scheduled_at = '2026-12-02T09:00:00Z' where id = ${waiting}`;
    await seedPost(db.sql, bob, ['x']);
  });
  after(async () => {
    await db?.drop();
  });

  it("shows a creator one row per own post with each platform's status, link, last error and lateness", async () => {
    const rows = await asUser(db.sql, alice, (tx) => tx`select * from public.post_status_overview`);
    assert.deepEqual(rows.map((r) => r.post_id), [waiting, published], 'newest scheduled first');
    const [next, done] = rows;
    assert.equal(done!.user_id, alice);
    assert.equal(done!.status, 'partially_published');
    assert.equal(done!.x_status, 'published');
    assert.equal(done!.linkedin_status, 'failed');
    assert.equal(done!.instagram_status, null);
    assert.equal(done!.x_url, 'https://x.com/i/web/status/1');
    assert.equal(done!.linkedin_url, null);
    assert.equal(done!.last_error_code, 'auth_expired');
    assert.equal(done!.last_error_message, 'token expired');
    assert.equal(done!.attempts, 3);
    assert.equal(done!.lateness, '00:01:30');
    assert.equal((done!.scheduled_at as Date).toISOString(), '2026-12-01T09:00:00.000Z');
    assert.equal(next!.status, 'scheduled');
    assert.equal(next!.instagram_status, 'pending');
    assert.equal(next!.x_status, null);
    assert.equal(next!.lateness, null);
    assert.equal(next!.attempts, 0);
  });

  it('shows another creator none of those rows, and a creator without posts nothing', async () => {
    const bobs = await asUser(
      db.sql,
      bob,
      (tx) => tx`select post_id, user_id from public.post_status_overview`,
    );
    assert.equal(bobs.length, 1);
    assert.equal(bobs[0]!.user_id, bob);
    const none = await asUser(db.sql, stranger, (tx) => tx`select * from public.post_status_overview`);
    assert.equal(none.length, 0);
    const probe = await asUser(
      db.sql,
      bob,
      (tx) => tx`select * from public.post_status_overview where post_id = ${published}`,
    );
    assert.equal(probe.length, 0);
  });

  it('runs with the privileges of the caller (security_invoker=true)', async () => {
    const [row] = await db.sql<{ reloptions: string[] | null; relkind: string }[]>`
      select reloptions, relkind from pg_class where oid = 'public.post_status_overview'::regclass`;
    assert.equal(row!.relkind, 'v');
    assert.ok(row!.reloptions?.includes('security_invoker=true'), `reloptions: ${row!.reloptions}`);
  });

  it('is granted to authenticated only', async () => {
    await assert.rejects(
      asRole(db.sql, 'anon', { role: 'anon' }, (tx) => tx`select * from public.post_status_overview`),
      /permission denied/,
    );
    const grants = await db.sql<{ grantee: string; privilege_type: string }[]>`
      select grantee, privilege_type from information_schema.role_table_grants
      where table_schema = 'public' and table_name = 'post_status_overview'
        and grantee in ('anon', 'authenticated', 'service_role') order by 1, 2`;
    assert.deepEqual(grants.map((g) => `${g.grantee}:${g.privilege_type}`), ['authenticated:SELECT']);
  });
});

describe('post_status_overview with 100,000 posts', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let someUser: string;
  const POSTS = 100_000;

  before(async () => {
    db = await createTestDatabase();
    const users = await db.sql<{ id: string }[]>`
      insert into auth.users (id, email)
      select gen_random_uuid(), 'bulk-' || n || '@example.test' from generate_series(1, 50) n returning id`;
    someUser = users[0]!.id;
    // 100,000 posts over 50 creators and a year, one target each (platforms in turn). Loaded in one
    // transaction with foreign-key triggers off (session_replication_role = replica) and ascending ids:
    // the rows are consistent by construction, and this keeps the load to a few seconds.
    await db.sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`
        insert into public.posts (id, user_id, text, scheduled_at, status, published_at)
        select ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
               (${db.sql.array(users.map((u) => u.id))}::uuid[])[1 + n % 50], 'post ' || n,
               timestamptz '2026-01-01' + n * interval '5 minutes',
               case when n % 10 = 0 then 'failed'::public.post_status else 'published' end,
               timestamptz '2026-01-01' + n * interval '5 minutes' + interval '40 seconds'
        from generate_series(1, ${POSTS}) n`;
      await tx`
        insert into public.post_targets (id, post_id, user_id, platform, status, external_id, attempts, error_code)
        select ('00000001-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
               ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
               (${db.sql.array(users.map((u) => u.id))}::uuid[])[1 + n % 50],
               (array['x', 'instagram', 'linkedin']::public.platform[])[1 + n % 3],
               case when n % 10 = 0 then 'failed'::public.target_status else 'published' end,
               case when n % 10 = 0 then null else 'ext-' || n end, 1,
               case when n % 10 = 0 then 'platform_unavailable' end
        from generate_series(1, ${POSTS}) n`;
    });
    await db.sql`analyze public.posts`;
    await db.sql`analyze public.post_targets`;
  });
  after(async () => {
    await db?.drop();
  });

  interface PlanNode {
    'Node Type': string;
    'Relation Name'?: string;
    'Index Name'?: string;
    'Actual Rows'?: number;
    'Actual Loops'?: number;
    Plans?: PlanNode[];
  }
  function nodes(plan: PlanNode): PlanNode[] {
    return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
  }
  async function explain(tx: Sql | TransactionSql): Promise<{ plan: PlanNode; ms: number }> {
    const [row] = await tx.unsafe(
      'explain (analyze, format json) select * from public.post_status_overview limit 100',
    );
    const [result] = row!['QUERY PLAN'] as { Plan: PlanNode; 'Execution Time': number }[];
    return { plan: result!.Plan, ms: result!['Execution Time'] };
  }
  function checkPlan(plan: PlanNode, index: string): void {
    const all = nodes(plan);
    assert.equal(plan['Node Type'], 'Limit');
    assert.ok(!all.some((n) => n['Node Type'] === 'Seq Scan'), 'no sequential scan');
    assert.ok(!all.some((n) => n['Node Type'] === 'Sort'), 'no sort of all posts');
    const postScan = all.find((n) => n['Relation Name'] === 'posts')!;
    assert.equal(postScan['Index Name'], index);
    assert.ok(postScan['Actual Rows']! <= 100, `read ${postScan['Actual Rows']} posts for a page of 100`);
    assert.ok(
      all.some((n) => n['Index Name'] === 'post_targets_post_id_idx'),
      'targets are looked up per post by index',
    );
  }

  it('opens the first page in Studio (as postgres) from the scheduled_at index', async () => {
    const { plan, ms } = await explain(db.sql);
    checkPlan(plan, 'posts_scheduled_at_idx');
    console.log(`post_status_overview first page as postgres: ${ms.toFixed(1)} ms`);
  });

  it("opens a creator's first page from the per-creator index", async () => {
    const { plan, ms } = await asUser(db.sql, someUser, (tx) => explain(tx));
    checkPlan(plan, 'posts_user_scheduled_idx');
    console.log(`post_status_overview first page as a creator: ${ms.toFixed(1)} ms`);
  });
});
