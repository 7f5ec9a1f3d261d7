import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, readMigrations } from '../../src/store/migrate.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  MIGRATIONS_DIR,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';

announcePostgresSkip();

describe('migration runner', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  after(async () => {
    await db?.drop();
  });

  it('applies every migration from zero, then nothing on a second run', async () => {
    const files = await readMigrations(MIGRATIONS_DIR);
    const first = await migrate(db.sql, MIGRATIONS_DIR);
    assert.deepEqual(first.applied.map((m) => m.version), files.map((f) => f.version));
    const second = await migrate(db.sql, MIGRATIONS_DIR);
    assert.equal(second.applied.length, 0);
    assert.equal(second.alreadyApplied, files.length);
    const rows = await db.sql<{ version: string; name: string; statements: string[] }[]>`
      select version, name, statements from supabase_migrations.schema_migrations order by version`;
    assert.deepEqual(rows.map((r) => r.version), files.map((f) => f.version));
    assert.equal(rows[0]!.name, files[0]!.name);
    assert.ok(rows[0]!.statements.length > 10, 'statements are recorded like the Supabase CLI does');
  });

  it('rolls back a failing migration whole and names the file and statement', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'solospark-migrations-'));
    try {
      await writeFile(
        join(dir, '20990101000000_broken.sql'),
        'create table public.half_done (id int);\n-- a comment; with a semicolon\nselect * from no_such_table;\n',
      );
      await assert.rejects(migrate(db.sql, dir), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'migration_failed');
        assert.match(err.message, /20990101000000_broken\.sql failed at statement 2 of 2/);
        assert.match(err.message, /no_such_table/);
        return true;
      });
      const [table] = await db.sql`select to_regclass('public.half_done') as t`;
      assert.equal(table!.t, null, 'the first statement of the failed file was rolled back');
      const [row] = await db.sql`select count(*)::int as n from supabase_migrations.schema_migrations
                                 where version = '20990101000000'`;
      assert.equal(row!.n, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
