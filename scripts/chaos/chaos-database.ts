/**
 * The soak's own PostgreSQL database, `solospark_chaos_<ms>_<pid>`, made the way the tests make
 * theirs (tests/support/test-database.ts): the Supabase shim, then the real migrations. The soak
 * touches no other database; `drop()` removes it (with force, since killed workers may leave
 * sessions behind) and is safe to call twice.
 */
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { migrate } from '../../src/store/migrate.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../supabase/migrations/', import.meta.url));
const SHIM_FILE = fileURLToPath(new URL('../../tests/support/supabase-shim.sql', import.meta.url));

export interface ChaosDatabase {
  name: string;
  /** The database's URL on the server (host, port, user as the admin URL). */
  url: string;
  host: string;
  port: number;
  /** A small pool for the soak's own reads (accounts, oracle, fault injection). */
  sql: Sql;
  drop(): Promise<void>;
}

export async function createChaosDatabase(adminUrl: string): Promise<ChaosDatabase> {
  const admin = new URL(adminUrl);
  const name = `solospark_chaos_${Date.now()}_${process.pid}`;
  const adminSql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await adminSql.unsafe(`create database ${name}`);
  } finally {
    await adminSql.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), {
    max: 4,
    onnotice: () => {},
    prepare: false,
    connection: { application_name: 'chaos-soak' },
  });
  let dropped: Promise<void> | null = null;
  const drop = () => {
    dropped ??= (async () => {
      await sql.end({ timeout: 5 }).catch(() => {});
      const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await cleanup.end();
      }
    })();
    return dropped;
  };
  try {
    await sql.unsafe(await readFile(SHIM_FILE, 'utf8'));
    await migrate(sql, MIGRATIONS_DIR);
  } catch (err) {
    await drop();
    throw err;
  }
  return {
    name,
    url: url.toString(),
    host: admin.hostname,
    port: Number(admin.port || 5432),
    sql,
    drop,
  };
}

/**
 * Ends the worker sessions (application_name `chaos-worker-*`, or a client port the TCP proxy
 * holds) of the soak's own database. Returns how many it ended.
 */
export async function terminateWorkerSessions(
  db: ChaosDatabase,
  clientPorts: readonly number[],
): Promise<number> {
  const rows = await db.sql<{ ended: boolean }[]>`
    select pg_terminate_backend(pid) as ended
    from pg_stat_activity
    where datname = ${db.name}
      and pid <> pg_backend_pid()
      and (application_name like 'chaos-worker-%' or client_port = any(${
    db.sql.array([...clientPorts])
  }::int[]))`;
  return rows.filter((r) => r.ended).length;
}
