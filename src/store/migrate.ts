/**
 * Applies supabase/migrations/<version>_<name>.sql files in order, each in its own transaction,
 * recording them in supabase_migrations.schema_migrations(version, name, statements) — the table the
 * Supabase CLI uses, so `supabase db push` later agrees about what is applied. Runs under an advisory
 * lock so two deploys cannot apply the same file at once. A failing file leaves nothing behind.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { AppError } from '../domain/error-codes.ts';
import { splitSqlStatements } from './sql-statements.ts';

export interface MigrationFile {
  version: string;
  name: string;
  file: string;
  statements: string[];
}

export interface MigrateResult {
  applied: MigrationFile[];
  alreadyApplied: number;
}

const FILE_PATTERN = /^([0-9]+)_(.*)\.sql$/;
const LOCK_KEY = 7_245_110_231; // any constant: serialises concurrent runners on one database

export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const file of names) {
    const match = FILE_PATTERN.exec(file);
    if (!match) {
      throw new AppError(
        'migration_failed',
        `migration file ${file} does not match <version>_<name>.sql (create it with: supabase migration new <name>)`,
        { file },
      );
    }
    const text = await readFile(join(dir, file), 'utf8');
    files.push({ version: match[1]!, name: match[2]!, file, statements: splitSqlStatements(text) });
  }
  return files;
}

export async function migrate(
  sql: Sql,
  dir: string,
  log: (line: string) => void = () => {},
): Promise<MigrateResult> {
  const files = await readMigrations(dir);
  const reserved = await sql.reserve();
  try {
    await reserved`select pg_advisory_lock(${LOCK_KEY})`;
    await reserved.unsafe(`
      create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
      alter table supabase_migrations.schema_migrations add column if not exists statements text[];
      alter table supabase_migrations.schema_migrations add column if not exists name text;
    `);
    const rows = await reserved<
      { version: string }[]
    >`select version from supabase_migrations.schema_migrations`;
    const done = new Set(rows.map((r) => r.version));
    const applied: MigrationFile[] = [];
    for (const migration of files) {
      if (done.has(migration.version)) continue;
      await applyOne(reserved, migration);
      log(`applied ${migration.file} (${migration.statements.length} statements)`);
      applied.push(migration);
    }
    return { applied, alreadyApplied: files.length - applied.length };
  } finally {
    await reserved`select pg_advisory_unlock(${LOCK_KEY})`.catch(() => {});
    reserved.release();
  }
}

async function applyOne(sql: Sql, migration: MigrationFile): Promise<void> {
  await sql.unsafe('begin');
  try {
    for (const [index, statement] of migration.statements.entries()) {
      try {
        await sql.unsafe(statement);
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new AppError(
          'migration_failed',
          `migration ${migration.file} failed at statement ${
            index + 1
          } of ${migration.statements.length}: ${reason}\n` +
            `--- statement ---\n${statement}\n--- nothing from this file was applied ---`,
          { file: migration.file, statementIndex: index + 1 },
          { cause },
        );
      }
    }
    await sql`insert into supabase_migrations.schema_migrations (version, name, statements)
              values (${migration.version}, ${migration.name}, ${migration.statements})`;
    await sql.unsafe('commit');
  } catch (err) {
    await sql.unsafe('rollback');
    throw err;
  }
}
