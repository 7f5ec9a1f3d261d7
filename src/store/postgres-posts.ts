/**
 * The Postgres PostsAndTargets (posts-and-targets.ts): posts, their targets and the attempt log
 * (public.posts, public.post_targets, public.post_target_attempts). This module holds the post
 * lifecycle the API drives (create, read, list, edit, cancel, retry) and composes it with the
 * worker's and reconciler's half, postgres-target-claims.ts, into the one port.
 *
 * Every state change is a conditional UPDATE or runs in a transaction after `select … for update`,
 * so concurrent API requests, workers and the reconciler cannot both win (READ COMMITTED: a blocked
 * UPDATE re-checks its WHERE clause against the row the winner committed).
 *
 * What the API does on every request is one statement each — create (with its accounts' and
 * platforms' checks), read, list, edit of text, media or time, cancel — returning the post with its
 * targets (postgres-post-joins.ts): a single statement is its own transaction, and each statement is
 * a round trip while the request waits (two without prepared statements, connect-postgres.ts).
 * Rarer changes (replacing the targets, retry) still lock and then write in a transaction.
 */
import type postgres from 'postgres';
import type { Platform } from '../domain/platform.ts';
import type { AccountStatus, MediaItem, Post } from '../domain/post.ts';
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
import { checkContentInput, storedContent } from './content-progress-rules.ts';
import { checkTargetPlatforms } from './target-platform-check.ts';
import type { ListPostsQuery, NewPost, PostChanges, PostPage, PostsAndTargets } from './posts-and-targets.ts';
import type { Db } from './postgres-post-reads.ts';
import { readPost, transaction } from './postgres-post-reads.ts';
import type { PostTargetRow } from './postgres-post-joins.ts';
import { foldPostTargetRows, readJoinedPost, targetColumns } from './postgres-post-joins.ts';
import type { AccountRow, PostRow } from './postgres-rows.ts';
import { createPostgresTargetClaims } from './postgres-target-claims.ts';
import { createPostgresContentProgress } from './postgres-content-progress.ts';
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
  return {
    ...createPostgresPostLifecycle(options),
    ...createPostgresTargetClaims(options),
    ...createPostgresContentProgress(options),
  };
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

  /**
   * Adds a pending target for each account the post has none for (platform = the account's), and
   * gives the kept ones their new content.
   */
  async function upsertTargets(tx: Db, postId: string, userId: string, contents: ContentColumns) {
    await tx`
      with c as (
        select * from unnest(${contents.ids}::uuid[], ${contents.texts}::text[], ${contents.threads}::text[],
                             ${contents.comments}::text[])
          as c (account_id, text, thread, first_comment)
      ), kept as (
        update public.post_targets t
        set text = c.text, thread = c.thread::jsonb, first_comment = c.first_comment,
            comment_status = case when ${contents.hasComment} or c.first_comment is not null then 'pending' end
        from c where t.post_id = ${postId} and t.account_id = c.account_id
        returning t.account_id
      )
      insert into public.post_targets
        (post_id, user_id, account_id, platform, text, thread, first_comment, comment_status)
      select ${postId}, ${userId}, a.id, a.platform, c.text, c.thread::jsonb, c.first_comment,
             case when ${contents.hasComment} or c.first_comment is not null then 'pending' end
      from public.social_accounts a join c on c.account_id = a.id
      where not exists (select 1 from public.post_targets t where t.post_id = ${postId} and t.account_id = a.id)`;
  }

  async function lockOwnedPost(tx: Db, id: string, userId: string): Promise<PostRow> {
    const [row] = await tx<PostRow[]>`
      select * from public.posts where id = ${id} and user_id = ${userId} for update`;
    if (!row) throw postNotFound(id);
    return row;
  }

  /** Why a post's compare-and-set changed nothing: not found, not editable, or another version. */
  async function whyNotChanged(id: string, userId: string, expectedVersion?: number): Promise<Error> {
    const [row] = await sql<Pick<PostRow, 'status' | 'version'>[]>`
      select status, version from public.posts where id = ${id} and user_id = ${userId}`;
    if (!row) return postNotFound(id);
    if (row.status !== 'scheduled') return postNotEditable(id, row.status);
    // A matching version here would mean the post left `scheduled` and came back, which no transition
    // does; should it happen all the same, it is a lost race, not a success.
    return versionConflict(id, expectedVersion ?? row.version, row.version);
  }

  /** An edit that replaces the targets: in a transaction, after locking the post and the accounts. */
  async function replaceTargets(
    id: string,
    userId: string,
    changes: PostChanges & { accountIds: string[] },
    expectedVersion: number | undefined,
  ): Promise<Post> {
    return await transaction(sql, async (tx) => {
      const row = await lockOwnedPost(tx, id, userId);
      if (row.status !== 'scheduled') throw postNotEditable(id, row.status);
      if (expectedVersion !== undefined && expectedVersion !== row.version) {
        throw versionConflict(id, expectedVersion, row.version);
      }
      const { accountIds } = changes;
      await lockTargetAccounts(tx, userId, accountIds);
      await tx`
        delete from public.post_targets
        where post_id = ${id} and (account_id is null or account_id <> all(${accountIds}::uuid[]))`;
      const firstComment = changes.firstComment === undefined ? row.first_comment : changes.firstComment;
      await upsertTargets(tx, id, userId, contentColumns(accountIds, changes.targetContents, firstComment));
      await tx`
        update public.posts
        set text = ${changes.text ?? row.text}, first_comment = ${firstComment},
            media = ${tx.json(asJson(changes.media ?? row.media))},
            scheduled_at = ${changes.scheduledAt ?? row.scheduled_at},
            version = version + 1
        where id = ${id} and version = ${row.version}`;
      return (await readJoinedPost(tx, id))!;
    });
  }

  return {
    async createPost(input: NewPost): Promise<Post> {
      checkDate(input.scheduledAt, 'scheduledAt');
      checkPostContent(input.text, input.media);
      checkStorablePostContent(input.text, input.media);
      checkContentInput(input.firstComment, input.targetContents, input.accountIds);
      checkUserId(input.userId);
      const { userId, accountIds } = input;
      const contents = contentColumns(accountIds, input.targetContents, input.firstComment ?? null);
      checkAccountIds(accountIds);
      for (const id of accountIds) if (!isUuid(id)) throw accountNotFound(id);
      // One statement, so one implicit transaction: the accounts are locked `for share` (they cannot
      // vanish or change status until it commits), the post is inserted only when every one of them
      // is the user's, active and on a platform the content is valid for, and each gets its target.
      // The rows come back with the account they were made for (a_*), so a refusal can say which
      // account was wrong without another query.
      const { platforms } = input;
      const rows = await asKnownUser(
        userId,
        () =>
          sql<(PostTargetRow & { a_id: string; a_status: AccountStatus; a_platform: Platform })[]>`
          with accounts as (
            select id, platform, status from public.social_accounts
            where user_id = ${userId} and id = any(${accountIds}::uuid[])
            for share
          ), p as (
            insert into public.posts (user_id, text, media, scheduled_at, first_comment)
            select ${userId}, ${input.text}, ${sql.json(asJson(input.media))}, ${input.scheduledAt},
                   ${input.firstComment ?? null}::text
            where (select count(*) from accounts where status = 'active') = ${accountIds.length}
              ${
            platforms === undefined
              ? sql``
              : sql`and not exists (select 1 from accounts where platform::text <> all(${[
                ...platforms,
              ]}::text[]))`
          }
            returning *
          ), c as (
            select * from unnest(${contents.ids}::uuid[], ${contents.texts}::text[], ${contents.threads}::text[],
                                 ${contents.comments}::text[])
              as c (account_id, text, thread, first_comment)
          ), t as (
            insert into public.post_targets
              (post_id, user_id, account_id, platform, text, thread, first_comment, comment_status)
            select p.id, p.user_id, a.id, a.platform, c.text, c.thread::jsonb, c.first_comment,
                   case when coalesce(c.first_comment, p.first_comment) is not null then 'pending' end
            from p cross join accounts a join c on c.account_id = a.id
            returning *
          )
          select a.id as a_id, a.status as a_status, a.platform as a_platform, p.*, ${targetColumns(sql, 't')}
          from accounts a
          left join t on t.account_id = a.id
          left join p on p.id = t.post_id
          order by t.created_at, t.id`,
      );
      const [post] = foldPostTargetRows(rows.filter((r) => r.id !== null));
      if (post) return post;
      checkTargetAccounts(accountIds, new Map(rows.map((r) => [r.a_id, { status: r.a_status }])));
      checkTargetPlatforms(rows.map((r) => ({ id: r.a_id, platform: r.a_platform })), platforms);
      throw new Error(`post not created though its accounts ${accountIds.join(', ')} passed the checks`);
    },

    async getPost(id: string, userId?: string): Promise<Post | null> {
      if (!isUuid(id) || (userId !== undefined && !isUuid(userId))) return null;
      return await readJoinedPost(sql, id, userId);
    },

    async listPosts(userId: string, query?: ListPostsQuery): Promise<PostPage> {
      const q = normalizeListQuery(query);
      if (!isUuid(userId)) return { items: [], nextCursor: null };
      // Keyset pagination on the (user_id, scheduled_at desc, id desc) index; one row more than the
      // page tells whether another page exists. cursor_at keeps the microseconds Postgres stores.
      // The page's targets come in the same statement, looked up by the page's ids (those of the
      // extra post too) as a second query would: `post_id = any(…)` on post_targets_post_id_idx. (A
      // plain join of page and targets is planned from the tables' statistics and, when they lag a
      // fast-growing table, hash-joins every target row.)
      const rows = await sql<(PostTargetRow & { cursor_at: string })[]>`
        with page as (
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
          limit ${q.limit + 1}
        ), t as (
          select * from public.post_targets where post_id = any(array(select id from page))
        )
        select page.*, ${targetColumns(sql, 't')}
        from page left join t on t.post_id = page.id
        order by page.scheduled_at desc, page.id desc, t.created_at, t.id`;
      const posts = foldPostTargetRows(rows);
      const items = posts.slice(0, q.limit);
      const last = items[items.length - 1];
      const lastRow = last && posts.length > q.limit ? rows.find((r) => r.id === last.id) : undefined;
      return {
        items,
        nextCursor: lastRow ? encodeCursor({ scheduledAt: lastRow.cursor_at, id: lastRow.id }) : null,
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
      checkContentInput(changes.firstComment, changes.targetContents, changes.accountIds);
      if (changes.accountIds !== undefined) {
        return await replaceTargets(
          id,
          userId,
          { ...changes, accountIds: changes.accountIds },
          expectedVersion,
        );
      }
      // Text, media or time only: one conditional UPDATE is the compare-and-set (scheduled, and the
      // expected version), and the targets, which it leaves alone, are read in the same statement.
      const commentChanged = changes.firstComment !== undefined;
      const rows = await sql<(PostTargetRow & { seen_version: number })[]>`
        with p as (
          update public.posts
          set text = coalesce(${changes.text ?? null}::text, text),
              first_comment = case when ${commentChanged} then ${changes.firstComment ?? null}::text
                                   else first_comment end,
              media = coalesce(${
        changes.media === undefined ? null : sql.json(asJson(changes.media))
      }::jsonb, media),
              scheduled_at = coalesce(${changes.scheduledAt ?? null}::timestamptz, scheduled_at),
              version = version + 1
          where id = ${id} and user_id = ${userId} and status = 'scheduled'
            ${expectedVersion === undefined ? sql`` : sql`and version = ${expectedVersion}`}
          returning *
        ), commented as (
          -- Every target is pending (the post is scheduled): whether a comment waits follows the edit.
          update public.post_targets t
          set comment_status = case when coalesce(t.first_comment, p.first_comment) is not null
                                    then 'pending' end
          from p where ${commentChanged} and t.post_id = p.id
          returning t.*
        )
        select p.*, ${targetColumns(sql, 't')},
               (select version from public.posts where id = p.id) as seen_version
        from p left join (
          select * from commented
          union all
          select * from public.post_targets
          where post_id = (select id from p) and id not in (select id from commented)
        ) t on t.post_id = p.id
        order by t.created_at, t.id`;
      const [post] = foldPostTargetRows(rows);
      if (!post) throw await whyNotChanged(id, userId, expectedVersion);
      // The targets come from the statement's snapshot. Had another edit committed after it was taken
      // (the UPDATE then applied to that edit's row, as READ COMMITTED does), they may be stale: reread.
      if (rows[0]!.seen_version + 1 !== post.version) return (await readJoinedPost(sql, id))!;
      return post;
    },

    async cancelPost(id: string, userId: string): Promise<Post> {
      if (!isUuid(id) || !isUuid(userId)) throw postNotFound(id);
      // One statement: the compare-and-set scheduled -> cancelled, and its pending targets with it.
      const rows = await sql<(PostTargetRow & { seen_version: number })[]>`
        with p as (
          update public.posts set status = 'cancelled'
          where id = ${id} and user_id = ${userId} and status = 'scheduled'
          returning *
        ), t as (
          update public.post_targets set status = 'cancelled'
          where post_id = (select id from p) and status = 'pending'
          returning *
        )
        select p.*, ${targetColumns(sql, 't')},
               (select version from public.posts where id = p.id) as seen_version
        from p left join (
          select * from t
          union all
          select * from public.post_targets
          where post_id = (select id from p) and id not in (select id from t)
        ) t on true
        order by t.created_at, t.id`;
      const [post] = foldPostTargetRows(rows);
      if (!post) {
        const current = await readJoinedPost(sql, id, userId);
        if (!current) throw postNotFound(id);
        if (current.status === 'cancelled') return current;
        throw postNotEditable(id, current.status);
      }
      // As in updatePost: an edit that committed after the snapshot (it may have added targets the
      // snapshot does not show) is followed by a second pass over the post's pending targets.
      if (rows[0]!.seen_version !== post.version) {
        await sql`update public.post_targets set status = 'cancelled' where post_id = ${id} and status = 'pending'`;
        return (await readJoinedPost(sql, id))!;
      }
      return post;
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
          where post_id = ${id} and status in ('failed', 'partially_published') and account_id is not null
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

/** Per-account content as parallel arrays, for `unnest` (one statement whatever the count). */
interface ContentColumns {
  ids: string[];
  texts: (string | null)[];
  /** JSON text of each thread (cast to jsonb in SQL). */
  threads: (string | null)[];
  comments: (string | null)[];
  /** The post has a first comment: every target posts one. */
  hasComment: boolean;
}

function contentColumns(
  accountIds: readonly string[],
  contents: NewPost['targetContents'],
  postFirstComment: string | null,
): ContentColumns {
  const columns: ContentColumns = {
    ids: [],
    texts: [],
    threads: [],
    comments: [],
    hasComment: postFirstComment !== null,
  };
  for (const [i, id] of accountIds.entries()) {
    const stored = storedContent(contents?.[i], postFirstComment);
    columns.ids.push(id);
    columns.texts.push(stored.text);
    columns.threads.push(stored.thread ? JSON.stringify(stored.thread) : null);
    columns.comments.push(stored.firstComment);
  }
  return columns;
}

/** jsonb parameters: postgres.js wants a JSONValue. */
function asJson(value: MediaItem[] | unknown): postgres.JSONValue {
  return value as postgres.JSONValue;
}
