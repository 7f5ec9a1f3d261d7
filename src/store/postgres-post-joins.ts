/**
 * Posts with their targets from one statement: each row is a post (`p.*`) joined with one of its
 * targets, whose columns come aliased `t_<column>` (all null for a post without targets). One
 * statement instead of a post read plus a targets read is a round trip less per request — two with
 * `prepare: false` (connect-postgres.ts) — and one snapshot for the post and its targets.
 */
import type postgres from 'postgres';
import type { Post } from '../domain/post.ts';
import type { PostRow, TargetRow } from './postgres-rows.ts';
import { toPost, toTarget } from './postgres-rows.ts';

const TARGET_COLUMNS = [
  'id',
  'post_id',
  'user_id',
  'account_id',
  'platform',
  'status',
  'text',
  'thread',
  'first_comment',
  'comment_status',
  'comment_attempts',
  'comment_next_attempt_at',
  'comment_claim_token',
  'comment_claimed_at',
  'comment_first_sent_at',
  'comment_external_id',
  'comment_external_url',
  'comment_error_code',
  'comment_error_message',
  'attempts',
  'next_attempt_at',
  'claim_token',
  'claimed_at',
  'first_sent_at',
  'external_id',
  'external_url',
  'error_code',
  'error_message',
  'published_at',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof TargetRow)[];

// A column TargetRow gains must be added above, or the joined reads would drop it: this fails to compile.
type MissingTargetColumn = Exclude<keyof TargetRow, (typeof TARGET_COLUMNS)[number]>;
const _everyTargetColumn: [MissingTargetColumn] extends [never] ? true : MissingTargetColumn = true;

type AliasedTarget = { [K in keyof TargetRow as `t_${K}`]: TargetRow[K] | null };

/** A row of a joined read: the post and one target (t_id null: the post has none). */
export type PostTargetRow = PostRow & AliasedTarget;

/** The aliased target columns of the relation named `alias`, for the select list. */
export function targetColumns(db: postgres.ISql, alias: string): postgres.PendingQuery<postgres.Row[]> {
  return db.unsafe(TARGET_COLUMNS.map((c) => `${alias}.${c} as t_${c}`).join(', '));
}

/** The post with its targets (ordered as they were made), on the pool or in a transaction. */
export async function readJoinedPost(db: postgres.ISql, id: string, userId?: string): Promise<Post | null> {
  const rows = await db<PostTargetRow[]>`
    select p.*, ${targetColumns(db, 't')}
    from public.posts p left join public.post_targets t on t.post_id = p.id
    where p.id = ${id} ${userId === undefined ? db`` : db`and p.user_id = ${userId}`}
    order by t.created_at, t.id`;
  return foldPostTargetRows(rows)[0] ?? null;
}

/**
 * The posts of joined rows, in the order their first rows come; targets in row order. Rows of one
 * post must be consecutive (order by the post first).
 */
export function foldPostTargetRows(rows: readonly PostTargetRow[]): Post[] {
  const posts: Post[] = [];
  let current: Post | null = null;
  for (const row of rows) {
    if (current?.id !== row.id) {
      current = toPost(row, []);
      posts.push(current);
    }
    if (row.t_id !== null) current.targets.push(toTarget(targetPart(row)));
  }
  return posts;
}

/** The target half of a joined row (spelled out: a loop over the columns costs a tenth of a list request). */
function targetPart(row: PostTargetRow): TargetRow {
  return {
    id: row.t_id!,
    post_id: row.t_post_id!,
    user_id: row.t_user_id!,
    account_id: row.t_account_id,
    platform: row.t_platform!,
    status: row.t_status!,
    text: row.t_text,
    thread: row.t_thread,
    first_comment: row.t_first_comment,
    comment_status: row.t_comment_status,
    comment_attempts: row.t_comment_attempts!,
    comment_next_attempt_at: row.t_comment_next_attempt_at,
    comment_claim_token: row.t_comment_claim_token,
    comment_claimed_at: row.t_comment_claimed_at,
    comment_first_sent_at: row.t_comment_first_sent_at,
    comment_external_id: row.t_comment_external_id,
    comment_external_url: row.t_comment_external_url,
    comment_error_code: row.t_comment_error_code,
    comment_error_message: row.t_comment_error_message,
    attempts: row.t_attempts!,
    next_attempt_at: row.t_next_attempt_at,
    claim_token: row.t_claim_token,
    claimed_at: row.t_claimed_at,
    first_sent_at: row.t_first_sent_at,
    external_id: row.t_external_id,
    external_url: row.t_external_url,
    error_code: row.t_error_code,
    error_message: row.t_error_message,
    published_at: row.t_published_at,
    created_at: row.t_created_at!,
    updated_at: row.t_updated_at!,
  };
}
