/**
 * The throw-away database of `--store postgres`: created on TEST_DATABASE_URL's server and loaded the way
 * tests/support/test-database.ts loads a test database (the Supabase shim, then the real migrations),
 * dropped at the end — also after a failure or Ctrl-C (the parent's handlers call `drop`). That module
 * reads TEST_DATABASE_URL when it is imported and has no default, so its two steps are repeated here.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { migrate } from '../../src/store/migrate.ts';

export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const MIGRATIONS_DIR = fileURLToPath(new URL('../../supabase/migrations/', import.meta.url));
const SHIM_FILE = fileURLToPath(new URL('../../tests/support/supabase-shim.sql', import.meta.url));

export interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `solospark_bench_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | null = null;
  const drop = () =>
    dropped ??= (async () => {
      const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await cleanup.end();
      }
    })();
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {}, prepare: false });
  try {
    await sql.unsafe(await readFile(SHIM_FILE, 'utf8'));
    await migrate(sql, MIGRATIONS_DIR);
  } catch (err) {
    await sql.end({ timeout: 5 });
    await drop();
    throw err;
  }
  await sql.end({ timeout: 5 });
  return { url: url.toString(), name, drop };
}

/** Empties the posts (and, by cascade, targets, attempts, notifications) between rounds; keeps accounts. */
export async function truncatePosts(sql: Sql): Promise<void> {
  await sql`truncate public.posts cascade`;
}

/** A creator in the shim's auth.users (posts reference it). */
export async function createBenchUser(sql: Sql): Promise<string> {
  const id = crypto.randomUUID();
  await sql`insert into auth.users (id, email) values (${id}, ${`${id}@bench.test`})`;
  return id;
}

/**
 * Posts (status `publishing`, as after the fan-out) with one `pending` target per account, inserted
 * in bulk for the physical minimum, which never goes through the store. Returns the target ids in
 * order: target i belongs to post ⌊i / accounts⌋.
 */
export async function insertPendingTargets(
  sql: Sql,
  userId: string,
  accounts: { id: string; platform: string }[],
  count: number,
  scheduledAt: (i: number) => Date,
): Promise<string[]> {
  const targetIds: string[] = [];
  for (let from = 0; from < count; from += 3000) {
    const to = Math.min(count, from + 3000);
    const postIds: string[] = [];
    const postTimes: Date[] = [];
    const tIds: string[] = [];
    const tPosts: string[] = [];
    const tAccounts: string[] = [];
    const tPlatforms: string[] = [];
    for (let i = from; i < to; i++) {
      const k = i % accounts.length;
      if (k === 0 || i === from) {
        postIds.push(crypto.randomUUID());
        postTimes.push(scheduledAt(i));
      }
      const id = crypto.randomUUID();
      tIds.push(id);
      tPosts.push(postIds.at(-1)!);
      tAccounts.push(accounts[k]!.id);
      tPlatforms.push(accounts[k]!.platform);
    }
    await sql`
      insert into public.posts (id, user_id, text, scheduled_at, status)
      select id, ${userId}, 'bench minimum', at, 'publishing'
      from unnest(${postIds}::uuid[], ${postTimes.map((d) => d.toISOString())}::timestamptz[]) as t(id, at)`;
    await sql`
      insert into public.post_targets (id, post_id, user_id, account_id, platform)
      select id, post_id, ${userId}, account_id, platform::public.platform
      from unnest(${tIds}::uuid[], ${tPosts}::uuid[], ${tAccounts}::uuid[], ${tPlatforms}::text[])
        as t(id, post_id, account_id, platform)`;
    targetIds.push(...tIds);
  }
  return targetIds;
}
