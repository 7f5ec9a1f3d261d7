/**
 * What both halves of the Postgres PostsAndTargets (postgres-posts.ts, postgres-target-claims.ts)
 * share: reading a post with its targets, on the pool or inside a transaction, and `sql.begin`
 * with its result type kept.
 */
import type postgres from 'postgres';
import type { Post } from '../domain/post.ts';
import type { PostRow, TargetRow } from './postgres-rows.ts';
import { toPost, toTarget } from './postgres-rows.ts';

/** Anything queries run on: the pool or a transaction. */
export type Db = postgres.ISql;

/** `sql.begin` keeping the callback's result type (postgres.js widens it through UnwrapPromiseArray). */
export function transaction<T>(
  sql: postgres.Sql,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  return sql.begin(fn) as Promise<T>;
}

async function readTargets(db: Db, postIds: string[]) {
  const rows = await db<TargetRow[]>`
    select * from public.post_targets where post_id = any(${postIds}::uuid[]) order by created_at, id`;
  const byPost = new Map<string, TargetRow[]>();
  for (const row of rows) byPost.set(row.post_id, [...(byPost.get(row.post_id) ?? []), row]);
  return byPost;
}

/** The posts of `rows` with their targets (one query for all of them), in the order of `rows`. */
export async function withTargets(db: Db, rows: PostRow[]): Promise<Post[]> {
  if (rows.length === 0) return [];
  const targets = await readTargets(db, rows.map((r) => r.id));
  return rows.map((r) => toPost(r, (targets.get(r.id) ?? []).map(toTarget)));
}

export async function readPost(db: Db, id: string): Promise<Post | null> {
  const rows = await db<PostRow[]>`select * from public.posts where id = ${id}`;
  return (await withTargets(db, rows))[0] ?? null;
}
