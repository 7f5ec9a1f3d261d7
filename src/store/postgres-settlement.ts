/**
 * Settling a claimed target and rolling its post up, in Postgres, in as few statements as the
 * guarantees allow (docs/operations.md, "Database round trips"):
 *
 * - settleTarget: one statement — it locks the post row, settles the target under its claim token,
 *   appends the attempt-log row and reads the post's other targets through other_targets_now(), which
 *   takes a fresh snapshot after the lock (migration 20261203100000). The lock serialises the settles
 *   of one post's targets and the fresh read sees every earlier one, so exactly the last settle finds
 *   every target settled (`postSettled`). That settle then rolls the post up from what it read: one
 *   conditional UPDATE, no re-read.
 * - rollUpPost: two round trips when the post is ready (read post and targets; a conditional UPDATE),
 *   one otherwise. No lock is needed: once a publishing post's targets are all settled none of them can
 *   change until the post leaves `publishing`, and the UPDATE re-checks both in its WHERE clause.
 */
import type postgres from 'postgres';
import type { Post, PostStatus, PostTarget, TargetStatus } from '../domain/post.ts';
import { isTargetSettled } from '../domain/post.ts';
import { isUuid } from './input-checks.ts';
import { pipelined } from './pipelined.ts';
import { readPost } from './postgres-post-reads.ts';
import type { AttemptDetails, SettledTarget, TargetSettlement } from './posts-and-targets.ts';
import type { PostRow, TargetRow } from './postgres-rows.ts';
import { toPost, toTarget } from './postgres-rows.ts';
import {
  attemptOutcomeOf,
  checkSettlement,
  rolledUpFields,
  rollUpTo,
  settledFields,
  truncateMessage,
} from './settlement-rules.ts';
import type { RollUpTarget } from './settlement-rules.ts';
import { claimLost, postNotFound } from './store-errors.ts';

/** The columns a settlement sets, by the PostTarget field they hold. */
const SETTLED_COLUMNS: Partial<Record<keyof PostTarget, string>> = {
  status: 'status',
  externalId: 'external_id',
  externalUrl: 'external_url',
  publishedAt: 'published_at',
  nextAttemptAt: 'next_attempt_at',
  errorCode: 'error_code',
  errorMessage: 'error_message',
};

/** What other_targets_now() returns of each other target of the post (JSON). */
interface OtherTargetJson {
  id: string;
  created_at: string;
  status: TargetStatus;
  published_at: string | null;
  error_code: string | null;
  error_message: string | null;
}

type SettleRow = TargetRow & { status_before: TargetStatus | null; others: OtherTargetJson[] | null };

export async function settleTarget(
  sql: postgres.Sql,
  targetId: string,
  claimToken: string,
  settlement: TargetSettlement,
  attempt: AttemptDetails,
): Promise<SettledTarget> {
  if (!isUuid(targetId)) throw claimLost(targetId, null);
  checkSettlement(targetId, settlement);
  const changes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(settledFields(settlement, attempt))) {
    changes[SETTLED_COLUMNS[field as keyof PostTarget]!] = value;
  }
  // A deferral gives the attempt back; the log row keeps the number the claim counted.
  const givenBack = settlement.status === 'pending' && settlement.deferred === true ? 1 : 0;
  const failed = settlement.status !== 'published';
  // `locked` is read by the UPDATE's WHERE and by the others' read, so both run after the lock.
  const [row] = await sql<SettleRow[]>`
    with locked as materialized (
      select id from public.posts
      where id = (select post_id from public.post_targets where id = ${targetId})
      for update),
    settled as (
      update public.post_targets
      set ${sql(changes)}, attempts = attempts - ${givenBack}, claim_token = null
      where id = ${targetId} and status = 'publishing'
        and claim_token = ${isUuid(claimToken) ? claimToken : null}::uuid
        and exists (select 1 from locked)
      returning *),
    logged as (
      insert into public.post_target_attempts
        (target_id, post_id, user_id, attempt, outcome, started_at, finished_at, platform_status,
         error_code, error_message, external_id)
      select id, post_id, user_id, attempts + ${givenBack}, ${attemptOutcomeOf(settlement)},
             ${attempt.startedAt}, ${attempt.finishedAt}, ${attempt.platformStatus ?? null}::int,
             ${failed ? settlement.errorCode : null}::text,
             ${failed ? truncateMessage(settlement.errorMessage) : null}::text,
             ${failed ? null : settlement.externalId}::text
      from settled)
    select settled.*, cur.status as status_before,
           (select public.other_targets_now(locked.id, cur.id) from locked) as others
    from public.post_targets cur left join settled on settled.id = cur.id
    where cur.id = ${targetId}`;
  if (!row || row.id === null) throw claimLost(targetId, row?.status_before ?? null);
  const target = toTarget(row);
  const others = (row.others ?? []).map(toRollUpTarget);
  const postSettled = isTargetSettled(target.status) && others.every((t) => isTargetSettled(t.status));
  if (!postSettled) return { ...target, postSettled, postStatus: null };
  // Order does not matter to the roll-up's status, only to which failure it names first: the
  // targets' own order (created_at, id), as rollUpPost reads them.
  const all = [...others, target].sort((a, b) =>
    a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
  const postStatus = await applyRollUp(sql, target.postId, all).catch(() => null);
  return { ...target, postSettled, postStatus };
}

type OrderedTarget = RollUpTarget & { id: string; createdAt: Date };

function toRollUpTarget(json: OtherTargetJson): OrderedTarget {
  return {
    id: json.id,
    createdAt: new Date(json.created_at),
    status: json.status,
    publishedAt: json.published_at === null ? null : new Date(json.published_at),
    errorCode: json.error_code,
    errorMessage: json.error_message,
  };
}

export async function rollUpPost(sql: postgres.Sql, id: string): Promise<Post> {
  if (!isUuid(id)) throw postNotFound(id);
  const [[row], targetRows] = await pipelined(sql, (c) =>
    [
      c<PostRow[]>`select * from public.posts where id = ${id}`,
      c<TargetRow[]>`select * from public.post_targets where post_id = ${id} order by created_at, id`,
    ] as const);
  if (!row) throw postNotFound(id);
  const targets = targetRows.map(toTarget);
  const status = rollUpTo(row.status, targets);
  if (!status) return toPost(row, targets);
  const updated = await rollUpUpdate(sql, id, status, targets);
  if (updated) return toPost(updated, targets);
  const current = await readPost(sql, id);
  if (!current) throw postNotFound(id);
  return current;
}

/**
 * Rolls a publishing post up from its settled targets (in their order): the status it set, or null
 * when the roll-up does not apply (still something to send, or the post is no longer publishing).
 */
async function applyRollUp(
  sql: postgres.Sql,
  postId: string,
  targets: readonly RollUpTarget[],
): Promise<PostStatus | null> {
  // The settle saw the post's last target settle; the UPDATE checks the post is still publishing.
  const status = rollUpTo('publishing', targets);
  if (!status) return null;
  const updated = await rollUpUpdate(sql, postId, status, targets);
  return updated ? status : null;
}

/** The conditional UPDATE: re-checked here, the post is still publishing and no target went back. */
async function rollUpUpdate(
  sql: postgres.Sql,
  id: string,
  status: PostStatus,
  targets: readonly RollUpTarget[],
): Promise<PostRow | undefined> {
  const fields = rolledUpFields(status, targets);
  const [updated] = await sql<PostRow[]>`
    update public.posts
    set status = ${status}, published_at = ${fields.publishedAt ?? null},
        error_code = ${fields.errorCode ?? null}, error_message = ${fields.errorMessage ?? null}
    where id = ${id} and status = 'publishing'
      and not exists (
        select 1 from public.post_targets t
        where t.post_id = ${id} and t.status in ('pending', 'publishing'))
    returning *`;
  return updated;
}
