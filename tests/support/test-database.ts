/**
 * A throw-away PostgreSQL database per test file: created on the server named by TEST_DATABASE_URL,
 * loaded with the Supabase shim and the real migrations, dropped afterwards. Tests never touch a
 * database they did not create. Without TEST_DATABASE_URL the Postgres suites skip with a visible
 * reason — unless REQUIRE_POSTGRES_TESTS=true (CI), where a missing database is a failure.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { migrate } from '../../src/store/migrate.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../supabase/migrations/', import.meta.url));
const SHIM_FILE = fileURLToPath(new URL('./supabase-shim.sql', import.meta.url));

const adminUrl = process.env.TEST_DATABASE_URL;

if (!adminUrl && process.env.REQUIRE_POSTGRES_TESTS === 'true') {
  throw new Error(
    'REQUIRE_POSTGRES_TESTS=true but TEST_DATABASE_URL is unset: the Postgres suites cannot run',
  );
}

/** `false` when Postgres suites can run, else the reason they skip (pass as `{ skip }`). */
export const postgresSkip: string | false = adminUrl
  ? false
  : 'TEST_DATABASE_URL is unset; Postgres-backed tests skipped (e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres)';

let announced = false;
export function announcePostgresSkip(): void {
  if (postgresSkip && !announced) {
    announced = true;
    console.log(`# SKIP ${postgresSkip}`);
  }
}

export interface TestDatabase {
  /** Connection URL of the fresh database (as the owner, a superuser: bypasses RLS). */
  url: string;
  name: string;
  sql: Sql;
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Apply the migrations (default true). */
  migrate?: boolean;
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  if (!adminUrl) throw new Error(postgresSkip || 'TEST_DATABASE_URL is unset');
  const name = `solospark_test_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 5, onnotice: () => {}, prepare: false });
  const drop = async () => {
    await sql.end({ timeout: 5 });
    const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      await cleanup.unsafe(`drop database if exists ${name} with (force)`);
    } finally {
      await cleanup.end();
    }
  };
  try {
    await sql.unsafe(await readFile(SHIM_FILE, 'utf8'));
    if (options.migrate !== false) await migrate(sql, MIGRATIONS_DIR);
  } catch (err) {
    await drop();
    throw err;
  }
  return { url: url.toString(), name, sql, drop };
}

/** Inserts a user into the shim's auth.users and returns its id. */
export async function createUser(sql: Sql, email?: string): Promise<string> {
  const id = crypto.randomUUID();
  await sql`insert into auth.users (id, email) values (${id}, ${email ?? `${id}@example.test`})`;
  return id;
}
