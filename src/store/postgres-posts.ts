/**
 * The Postgres PostsAndTargets (posts-and-targets.ts): posts, their targets and the attempt log
 * (public.posts, public.post_targets, public.post_target_attempts). This module holds the post
 * lifecycle the API drives (create, read, list, edit, cancel, retry) and composes it with the
 * worker's and reconciler's half, postgres-target-claims.ts, into the one port.
 *
 * Every state change is a conditional UPDATE or runs in a transaction after `select … for update`,
 * so concurrent API requests, workers and the reconciler cannot both win (READ COMMITTED: a blocked
 * UPDATE re-checks its WHERE clause against the row the winner committed).
 */
import type postgres from 'postgres';
import type { MediaItem, Post } from '../domain/post.ts';
import {
  checkAccountIds,
  checkDate,
  checkPostContent,
  checkTargetAccounts,
  checkUserId,
  isUuid,
} from './input-checks.ts';
import { encodeCursor, normalizeListQuery } from './list-cursor.ts';
import { checkStorablePostContent } from './storable-text-checks.ts';
import type { ListPostsQuery, NewPost, PostChanges, PostPage, PostsAndTargets } from './posts-and-targets.ts';
import type { Db } from './postgres-post-reads.ts';
import { readPost, transaction, withTargets } from './postgres-post-reads.ts';
import type { AccountRow, PostRow } from './postgres-rows.ts';
import { createPostgresTargetClaims } from './postgres-target-claims.ts';
import {
  accountNotFound,
  asKnownUser,
  nothingToRetry,
  postNotEditable,
  postNotFound,
  postNotRetryable,
  versionConflict,
} from './store-errors.ts';

/** The methods of the post lifecycle; the rest of the port is postgres-target-claims.ts. */
type PostLifecycle = Pick<
  PostsAndTargets,
  'createPost' | 'getPost' | 'listPosts' | 'updatePost' | 'cancelPost' | 'retryFailedTargets'
>;

export function createPostgresPostsAndTargets(options: { sql: postgres.Sql }): PostsAndTargets {
  return { ...createPostgresPostLifecycle(options), ...createPostgresTargetClaims(options) };
}

function createPostgresPostLifecycle(options: { sql: postgres.Sql }): PostLifecycle {
  const { sql } = options;

  /** Locks the accounts for new targets (so they cannot vanish mid-transaction) and checks them. */
  async function lockTargetAccounts(tx: Db, userId: string, accountIds: string[]) {
    checkAccountIds(accountIds);
    for (const id of accountIds) if (!isUuid(id)) throw accountNotFound(id);
    const rows = await tx<Pick<AccountRow, 'id' | 'status'>[]>`
      select id, status from public.social_accounts
      where user_id = ${userId} and id = any(${accountIds}::uuid[])
      for share`;
    checkTargetAccounts(accountIds, new Map(rows.map((r) => [r.id, r])));
  }

  /** Adds a pending target for each account the post has none for (platform = the account's). */
  async function insertTargets(tx: Db, postId: string, userId: string, accountIds: string[]) {
    await tx`
      insert into public.post_targets (post_id, user_id, account_id, platform)
      select ${postId}, ${userId}, a.id, a.platform
      from public.social_accounts a
      where a.id = any(${accountIds}::uuid[])
        and not exists (select 1 from public.post_targets t where t.post_id = ${postId} and t.account_id = a.id)`;
  }

  async function lockOwnedPost(tx: Db, id: string, userId: string): Promise<PostRow> {
    const [row] = await tx<PostRow[]>`
      select * from public.posts where id = ${id} and user_id = ${userId} for update`;
    if (!row) throw postNotFound(id);
    return row;
  }

  return {
    async createPost(input: NewPost): Promise<Post> {
      checkDate(input.scheduledAt, 'scheduledAt');
      checkPostContent(input.text, input.media);
      checkStorablePostContent(input.text, input.media);
      checkUserId(input.userId);
      return await asKnownUser(input.userId, () =>
        transaction(sql, async (tx) => {
          await lockTargetAccounts(tx, input.userId, input.accountIds);
          const [row] = await tx<PostRow[]>`
          insert into public.posts (user_id, text, media, scheduled_at)
          values (${input.userId}, ${input.text}, ${tx.json(asJson(input.media))}, ${input.scheduledAt})
          returning *`;
          await insertTargets(tx, row!.id, input.userId, input.accountIds);
          return (await readPost(tx, row!.id))!;
        }));
    },

    async getPost(id: string, userId?: string): Promise<Post | null> {
      if (!isUuid(id) || (userId !== undefined && !isUuid(userId))) return null;
      const rows = userId === undefined
        ? await sql<PostRow[]>`select * from public.posts where id = ${id}`
        : await sql<PostRow[]>`select * from public.posts where id = ${id} and user_id = ${userId}`;
      return (await withTargets(sql, rows))[0] ?? null;
    },

    async listPosts(userId: string, query?: ListPostsQuery): Promise<PostPage> {
      const q = normalizeListQuery(query);
      if (!isUuid(userId)) return { items: [], nextCursor: null };
      // Keyset pagination on the (user_id, scheduled_at desc, id desc) index; one row more than the
      // page tells whether another page exists. cursor_at keeps the microseconds Postgres stores.
      const rows = await sql<(PostRow & { cursor_at: string })[]>`
        select *, to_char(scheduled_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
        from public.posts
        where user_id = ${userId}
          ${q.status === null ? sql`` : sql`and status = ${q.status}`}
          ${q.from === null ? sql`` : sql`and scheduled_at >= ${q.from}`}
          ${q.to === null ? sql`` : sql`and scheduled_at < ${q.to}`}
          ${
        q.after === null
          ? sql``
          : sql`and (scheduled_at, id) < (${q.after.scheduledAt}::timestamptz, ${q.after.id}::uuid)`
      }
        order by scheduled_at desc, id desc
        limit ${q.limit + 1}`;
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      const items = await withTargets(sql, page.map(({ cursor_at: _, ...row }) => row));
      return {
        items,
        nextCursor: rows.length > q.limit && last
          ? encodeCursor({ scheduledAt: last.cursor_at, id: last.id })
          : null,
      };
    },

    async updatePost(
      id: string,
      userId: string,
      changes: PostChanges,
      expectedVersion?: number,
    ): Promise<Post> {
      if (!isUuid(id) || !isUuid(userId)) throw postNotFound(id);
      if (changes.scheduledAt !== undefined) checkDate(changes.scheduledAt, 'scheduledAt');
      checkPostContent(changes.text, changes.media);
      checkStorablePostContent(changes.text, changes.media);
      return await transaction(sql, async (tx) => {
        const row = await lockOwnedPost(tx, id, userId);
        if (row.status !== 'scheduled') throw postNotEditable(id, row.status);
        if (expectedVersion !== undefined && expectedVersion !== row.version) {
          throw versionConflict(id, expectedVersion, row.version);
        }
        if (changes.accountIds !== undefined) {
          const accountIds = changes.accountIds;
          await lockTargetAccounts(tx, userId, accountIds);
          await tx`
            delete from public.post_targets
            where post_id = ${id} and (account_id is null or account_id <> all(${accountIds}::uuid[]))`;
          await insertTargets(tx, id, userId, accountIds);
        }
        await tx`
          update public.posts
          set text = ${changes.text ?? row.text},
              media = ${tx.json(asJson(changes.media ?? row.media))},
              scheduled_at = ${changes.scheduledAt ?? row.scheduled_at},
              version = version + 1
          where id = ${id} and version = ${row.version}`;
        return (await readPost(tx, id))!;
      });
    },

    async cancelPost(id: string, userId: string): Promise<Post> {
      if (!isUuid(id) || !isUuid(userId)) throw postNotFound(id);
      return await transaction(sql, async (tx) => {
        const row = await lockOwnedPost(tx, id, userId);
        if (row.status === 'cancelled') return (await readPost(tx, id))!;
        if (row.status !== 'scheduled') throw postNotEditable(id, row.status);
        await tx`update public.posts set status = 'cancelled' where id = ${id}`;
        await tx`update public.post_targets set status = 'cancelled' where post_id = ${id} and status = 'pending'`;
        return (await readPost(tx, id))!;
      });
    },

    async retryFailedTargets(id: string, userId: string): Promise<Post> {
      if (!isUuid(id) || !isUuid(userId)) throw postNotFound(id);
      return await transaction(sql, async (tx) => {
        const row = await lockOwnedPost(tx, id, userId);
        if (row.status !== 'failed' && row.status !== 'partially_published') {
          throw postNotRetryable(id, row.status);
        }
        // Published and unconfirmed targets are never re-sent; a target whose account is gone cannot be.
        const retried = await tx`
          update public.post_targets
          set status = 'pending', attempts = 0, next_attempt_at = null, error_code = null, error_message = null,
              first_sent_at = null
          where post_id = ${id} and status = 'failed' and account_id is not null
          returning id`;
        if (retried.length === 0) throw nothingToRetry(id);
        await tx`
          update public.posts
          set status = 'publishing', version = version + 1, error_code = null, error_message = null
          where id = ${id}`;
        return (await readPost(tx, id))!;
      });
    },
  };
}

/** jsonb parameters: postgres.js wants a JSONValue. */
function asJson(value: MediaItem[] | unknown): postgres.JSONValue {
  return value as postgres.JSONValue;
}
