/**
 * The Postgres PostsAndTargets (posts-and-targets.ts): posts, their targets and the attempt log
 * (public.posts, public.post_targets, public.post_target_attempts).
 *
 * Every state change is a conditional UPDATE or runs in a transaction after `select … for update`,
 * so concurrent API requests, workers and the reconciler cannot both win (READ COMMITTED: a blocked
 * UPDATE re-checks its WHERE clause against the row the winner committed).
 */
import type postgres from 'postgres';
import type { AttemptRecord, MediaItem, Post } from '../domain/post.ts';
import { canPostMove, rollUpPostStatus } from '../domain/post.ts';
import {
  checkAccountIds,
  checkDate,
  checkDuration,
  checkPostContent,
  checkTargetAccounts,
  checkUserId,
  isUuid,
} from './input-checks.ts';
import { encodeCursor, normalizeListQuery } from './list-cursor.ts';
import type {
  AttemptDetails,
  ClaimTakeover,
  ListPostsQuery,
  NewPost,
  PostChanges,
  PostClaim,
  PostPage,
  PostsAndTargets,
  ReconcileCandidates,
  TargetSettlement,
} from './posts-and-targets.ts';
import { DEFAULT_RECONCILE_LIMIT } from './posts-and-targets.ts';
import type { AccountRow, AttemptRow, PostRow, TargetRow } from './postgres-rows.ts';
import { toAttempt, toPost, toTarget } from './postgres-rows.ts';
import {
  attemptOutcomeOf,
  checkSettlement,
  rolledUpFields,
  settledFields,
  truncateMessage,
} from './settlement-rules.ts';
import {
  accountNotFound,
  claimLost,
  nothingToRetry,
  postNotEditable,
  postNotFound,
  postNotRetryable,
  versionConflict,
} from './store-errors.ts';

/** Anything queries run on: the pool or a transaction. */
type Db = postgres.ISql;

export function createPostgresPostsAndTargets(options: { sql: postgres.Sql }): PostsAndTargets {
  const { sql } = options;

  /** `sql.begin` keeping the callback's result type (postgres.js widens it through UnwrapPromiseArray). */
  function transaction<T>(fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
    return sql.begin(fn) as Promise<T>;
  }

  async function readTargets(db: Db, postIds: string[]) {
    const rows = await db<TargetRow[]>`
      select * from public.post_targets where post_id = any(${postIds}::uuid[]) order by created_at, id`;
    const byPost = new Map<string, TargetRow[]>();
    for (const row of rows) byPost.set(row.post_id, [...(byPost.get(row.post_id) ?? []), row]);
    return byPost;
  }

  async function withTargets(db: Db, rows: PostRow[]): Promise<Post[]> {
    if (rows.length === 0) return [];
    const targets = await readTargets(db, rows.map((r) => r.id));
    return rows.map((r) => toPost(r, (targets.get(r.id) ?? []).map(toTarget)));
  }

  async function readPost(db: Db, id: string): Promise<Post | null> {
    const rows = await db<PostRow[]>`select * from public.posts where id = ${id}`;
    return (await withTargets(db, rows))[0] ?? null;
  }

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
      checkUserId(input.userId);
      return await transaction(async (tx) => {
        await lockTargetAccounts(tx, input.userId, input.accountIds);
        const [row] = await tx<PostRow[]>`
          insert into public.posts (user_id, text, media, scheduled_at)
          values (${input.userId}, ${input.text}, ${tx.json(asJson(input.media))}, ${input.scheduledAt})
          returning *`;
        await insertTargets(tx, row!.id, input.userId, input.accountIds);
        return (await readPost(tx, row!.id))!;
      });
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
      return await transaction(async (tx) => {
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
      return await transaction(async (tx) => {
        const row = await lockOwnedPost(tx, id, userId);
        if (row.status === 'cancelled') return (await readPost(tx, id))!;
        if (row.status !== 'scheduled') throw postNotEditable(id, row.status);
        await tx`update public.posts set status = 'cancelled' where id = ${id}`;
        await tx`update public.post_targets set status = 'cancelled' where post_id = ${id} and status = 'pending'`;
        return (await readPost(tx, id))!;
      });
    },

    async claimPost(id: string, version: number): Promise<PostClaim> {
      if (!isUuid(id)) return { outcome: 'stale', post: null };
      if (Number.isInteger(version)) {
        const claimed = await sql<{ id: string }[]>`
          update public.posts set status = 'publishing'
          where id = ${id} and version = ${version} and status = 'scheduled'
          returning id`;
        if (claimed.length === 1) return { outcome: 'claimed', post: (await readPost(sql, id))! };
      }
      const post = await readPost(sql, id);
      if (post && post.version === version && post.status === 'publishing') {
        return { outcome: 'already_publishing', post };
      }
      return { outcome: 'stale', post };
    },

    async claimTarget(targetId: string) {
      if (!isUuid(targetId)) return null;
      // The post must be publishing too: a cancelled (or not yet claimed) post's target is never sent.
      // clock_timestamp(), not now(): the moment this row changed, after any lock wait.
      const [row] = await sql<TargetRow[]>`
        update public.post_targets t
        set status = 'publishing', claim_token = ${crypto.randomUUID()}, claimed_at = clock_timestamp(),
            first_sent_at = coalesce(t.first_sent_at, clock_timestamp()), attempts = t.attempts + 1
        from public.posts p
        where t.id = ${targetId} and t.status = 'pending' and p.id = t.post_id and p.status = 'publishing'
        returning t.*`;
      return row ? toTarget(row) : null;
    },

    async takeOverClaim(
      targetId: string,
      claimToken: string,
      abandonAfterMs: number,
    ): Promise<ClaimTakeover> {
      checkDuration(abandonAfterMs, 'abandonAfterMs');
      if (!isUuid(targetId) || !isUuid(claimToken)) return { outcome: 'gone' };
      const [taken] = await sql<TargetRow[]>`
        update public.post_targets
        set claim_token = ${crypto.randomUUID()}, claimed_at = clock_timestamp()
        where id = ${targetId} and status = 'publishing' and claim_token = ${claimToken}
          and claimed_at <= clock_timestamp() - make_interval(secs => ${abandonAfterMs / 1000}::float8)
        returning *`;
      if (taken) return { outcome: 'taken', target: toTarget(taken) };
      const [held] = await sql<{ age_ms: number }[]>`
        select (extract(epoch from clock_timestamp() - claimed_at) * 1000)::float8 as age_ms
        from public.post_targets
        where id = ${targetId} and status = 'publishing' and claim_token = ${claimToken}`;
      if (!held) return { outcome: 'gone' };
      return { outcome: 'held', retryInMs: Math.max(1, Math.ceil(abandonAfterMs - held.age_ms)) };
    },

    async noteOnClaim(targetId: string, claimToken: string, errorCode: string, errorMessage: string) {
      if (!isUuid(targetId) || !isUuid(claimToken)) return false;
      const rows = await sql`
        update public.post_targets set error_code = ${errorCode}, error_message = ${
        truncateMessage(errorMessage)
      }
        where id = ${targetId} and status = 'publishing' and claim_token = ${claimToken}
        returning id`;
      return rows.length === 1;
    },

    async listTakenExternalIds(accountId: string, exceptTargetId: string, since: Date) {
      checkDate(since, 'since');
      if (!isUuid(accountId)) return [];
      const rows = await sql<{ external_id: string }[]>`
        select external_id from public.post_targets
        where account_id = ${accountId} and id <> ${isUuid(exceptTargetId) ? exceptTargetId : null}::uuid
          and external_id is not null and published_at >= ${since}
        limit 1000`;
      return rows.map((r) => r.external_id);
    },

    async settleTarget(
      targetId: string,
      claimToken: string,
      settlement: TargetSettlement,
      attempt: AttemptDetails,
    ) {
      if (!isUuid(targetId)) throw claimLost(targetId, null);
      return await transaction(async (tx) => {
        const [row] = await tx<
          TargetRow[]
        >`select * from public.post_targets where id = ${targetId} for update`;
        if (!row || row.status !== 'publishing' || row.claim_token !== claimToken) {
          throw claimLost(targetId, row?.status ?? null);
        }
        checkSettlement(targetId, settlement);
        const next = { ...toTarget(row), ...settledFields(settlement, attempt) };
        const deferred = settlement.status === 'pending' && settlement.deferred === true;
        const [updated] = await tx<TargetRow[]>`
          update public.post_targets
          set status = ${next.status}, attempts = ${deferred ? row.attempts - 1 : row.attempts},
              claim_token = null, next_attempt_at = ${next.nextAttemptAt},
              external_id = ${next.externalId}, external_url = ${next.externalUrl},
              error_code = ${next.errorCode}, error_message = ${next.errorMessage},
              published_at = ${next.publishedAt}
          where id = ${targetId} and claim_token = ${claimToken}
          returning *`;
        const failed = settlement.status !== 'published';
        await tx`
          insert into public.post_target_attempts
            (target_id, post_id, user_id, attempt, outcome, started_at, finished_at, platform_status,
             error_code, error_message, external_id)
          values (${targetId}, ${row.post_id}, ${row.user_id}, ${row.attempts}, ${
          attemptOutcomeOf(settlement)
        },
                  ${attempt.startedAt}, ${attempt.finishedAt}, ${attempt.platformStatus ?? null},
                  ${failed ? settlement.errorCode : null}, ${
          failed ? truncateMessage(settlement.errorMessage) : null
        },
                  ${failed ? null : settlement.externalId})`;
        return toTarget(updated!);
      });
    },

    async rollUpPost(id: string): Promise<Post> {
      if (!isUuid(id)) throw postNotFound(id);
      return await transaction(async (tx) => {
        const [row] = await tx<PostRow[]>`select * from public.posts where id = ${id} for update`;
        if (!row) throw postNotFound(id);
        const post = (await withTargets(tx, [row]))[0]!;
        const status = rollUpPostStatus(post.targets);
        if (!status || row.status !== 'publishing' || !canPostMove(row.status, status)) return post;
        const fields = rolledUpFields(status, post.targets);
        await tx`
          update public.posts
          set status = ${status}, published_at = ${fields.publishedAt ?? null},
              error_code = ${fields.errorCode ?? null}, error_message = ${fields.errorMessage ?? null}
          where id = ${id} and status = 'publishing'`;
        return (await readPost(tx, id))!;
      });
    },

    async failScheduledPost(id: string, version: number, errorCode: string, errorMessage: string) {
      if (!isUuid(id) || !Number.isInteger(version)) return null;
      return await transaction(async (tx) => {
        const failed = await tx<{ id: string }[]>`
          update public.posts set status = 'failed', error_code = ${errorCode}, error_message = ${errorMessage}
          where id = ${id} and version = ${version} and status = 'scheduled'
          returning id`;
        if (failed.length === 0) return null;
        await tx`
          update public.post_targets
          set status = 'failed', error_code = ${errorCode}, error_message = ${errorMessage}
          where post_id = ${id} and status = 'pending'`;
        return await readPost(tx, id);
      });
    },

    async findReconcileCandidates(
      stuckForMs: number,
      limit = DEFAULT_RECONCILE_LIMIT,
    ): Promise<ReconcileCandidates> {
      checkDuration(stuckForMs, 'stuckForMs');
      const scheduled = await sql<{ id: string; version: number; scheduled_at: Date }[]>`
        select id, version, scheduled_at from public.posts
        where status = 'scheduled'
        order by scheduled_at, id
        limit ${limit}`;
      const stuck = await sql<TargetRow[]>`
        select * from public.post_targets
        where status = 'publishing'
          and claimed_at < clock_timestamp() - make_interval(secs => ${stuckForMs / 1000}::float8)
        order by claimed_at, id
        limit ${limit}`;
      // Both start from the few publishing posts (posts_publishing_idx), then their targets by post_id.
      const pending = await sql<PendingTargetRow[]>`
        select t.id, t.post_id, p.version, t.next_attempt_at, t.account_id, t.platform
        from public.posts p
        join public.post_targets t on t.post_id = p.id
        where p.status = 'publishing' and t.status = 'pending'
        order by coalesce(t.next_attempt_at, p.scheduled_at), t.id
        limit ${limit}`;
      const unrolled = await sql<{ id: string }[]>`
        select p.id from public.posts p
        where p.status = 'publishing'
          and not exists (
            select 1 from public.post_targets t
            where t.post_id = p.id and t.status in ('pending', 'publishing'))
        order by p.scheduled_at, p.id
        limit ${limit}`;
      return {
        scheduled: scheduled.map((r) => ({ id: r.id, version: r.version, scheduledAt: r.scheduled_at })),
        stuckTargets: stuck.map(toTarget),
        pendingTargets: pending.map((r) => ({
          id: r.id,
          postId: r.post_id,
          version: r.version,
          nextAttemptAt: r.next_attempt_at,
          accountId: r.account_id,
          platform: r.platform,
        })),
        unrolledPostIds: unrolled.map((r) => r.id),
      };
    },

    async listAttempts(targetId: string): Promise<AttemptRecord[]> {
      if (!isUuid(targetId)) return [];
      const rows = await sql<AttemptRow[]>`
        select id::text as id, target_id, post_id, user_id, attempt, outcome, started_at, finished_at,
               duration_ms, platform_status, error_code, error_message, external_id
        from public.post_target_attempts
        where target_id = ${targetId}
        order by started_at, id`;
      return rows.map(toAttempt);
    },

    async retryFailedTargets(id: string, userId: string): Promise<Post> {
      if (!isUuid(id) || !isUuid(userId)) throw postNotFound(id);
      return await transaction(async (tx) => {
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

type PendingTargetRow = Pick<TargetRow, 'id' | 'post_id' | 'next_attempt_at' | 'account_id' | 'platform'> & {
  version: number;
};

/** jsonb parameters: postgres.js wants a JSONValue. */
function asJson(value: MediaItem[] | unknown): postgres.JSONValue {
  return value as postgres.JSONValue;
}
