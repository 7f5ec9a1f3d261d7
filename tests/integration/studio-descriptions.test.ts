/**
 * What Supabase Studio shows as descriptions, on the real migrations: Studio reads them through
 * postgres-meta, its own backend. postgres-meta cannot be installed here (@supabase/postgres-meta is a
 * server whose dependencies have install scripts), so this test runs the catalog queries it runs —
 * `obj_description(c.oid)` for tables (src/lib/sql/table.sql.ts, relkind r/p) and views
 * (views.sql.ts, relkind v), `col_description(c.oid, a.attnum)` for columns (columns.sql.ts) — in the
 * same shape, limited to the columns Studio displays.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { announcePostgresSkip, createTestDatabase, postgresSkip } from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';

announcePostgresSkip();

describe('Studio descriptions (postgres-meta catalog queries)', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => await db?.drop());

  it('describes every table of the public schema', async () => {
    // postgres-meta TABLES_SQL: pg_class joined to pg_namespace, relkind r/p, obj_description(c.oid).
    const tables = await db.sql<{ name: string; comment: string | null }[]>`
      select c.relname as name, obj_description(c.oid) as comment
      from pg_namespace nc join pg_class c on nc.oid = c.relnamespace
      where nc.nspname = 'public' and c.relkind in ('r', 'p') and not pg_is_other_temp_schema(nc.oid)
      order by c.relname`;
    assert.ok(tables.length >= 10, `the public tables: ${tables.map((t) => t.name).join(', ')}`);
    const missing = tables.filter((t) => !t.comment || t.comment.trim().length < 20).map((t) => t.name);
    assert.deepEqual(missing, [], 'tables Studio would show without a description');
    const posts = tables.find((t) => t.name === 'posts');
    assert.match(posts!.comment!, /scheduled post/);
  });

  it('describes the status view and each of its columns', async () => {
    // postgres-meta VIEWS_SQL: relkind v, obj_description(c.oid).
    const [view] = await db.sql<{ comment: string | null }[]>`
      select obj_description(c.oid) as comment
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relname = 'post_status_overview' and c.relkind = 'v'`;
    assert.match(view?.comment ?? '', /One row per post/);
    assert.match(view!.comment!, /security_invoker/);

    // postgres-meta COLUMNS_SQL: pg_attribute of the relation, attnum > 0, not dropped, col_description.
    const columns = await db.sql<{ name: string; comment: string | null }[]>`
      select a.attname as name, col_description(c.oid, a.attnum) as comment
      from pg_attribute a
      join (pg_class c join pg_namespace nc on c.relnamespace = nc.oid) on a.attrelid = c.oid
      where nc.nspname = 'public' and c.relname = 'post_status_overview'
        and a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'v', 'm', 'f', 'p')
      order by a.attnum`;
    // 17 columns, then what each platform publishes (x_text, instagram_text, linkedin_text) and the
    // first comments' status.
    assert.equal(columns.length, 21);
    assert.deepEqual(
      columns.filter((c) => !c.comment).map((c) => c.name),
      [],
      'view columns without a description',
    );
    assert.match(columns.find((c) => c.name === 'lateness')!.comment!, /how late/);
    assert.match(columns.find((c) => c.name === 'x_text')!.comment!, /thread/);
  });
});
