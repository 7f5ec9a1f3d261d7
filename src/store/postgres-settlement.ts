/**
 * Settling a claimed target and rolling its post up, in Postgres, in as few round trips as the
 * guarantees allow (docs/operations.md, "Database round trips"):
 *
 * - settleTarget: one round trip — `begin`, a lock on the post row, one statement that settles the
 *   target under its claim token, appends the attempt-log row and reads the statuses of the post's other
 *   targets, `commit`. The lock serialises the settles of one post's targets, and the statement after it
 *   starts with a fresh snapshot (READ COMMITTED), so it sees every earlier settle of the post: exactly
 *   the last settle finds every target settled (`postSettled`).
 * - rollUpPost: two round trips when the post is ready (read post and targets; a conditional UPDATE),
 *   one otherwise. No lock is needed: once a publishing post's targets are all settled none of them can
 *   change until the post leaves `publishing`, and the UPDATE re-checks both in its WHERE clause.
 */
import type postgres from 'postgres';
import type { Post, PostTarget, TargetStatus } from '../domain/post.ts';
import { canPostMove, isTargetSettled, rollUpPostStatus } from '../domain/post.ts';
import { isUuid } from './input-checks.ts';
import { inTransaction, pipelined } from './pipelined.ts';
import { readPost } from './postgres-post-reads.ts';
import type { AttemptDetails, SettledTarget, TargetSettlement } from './posts-and-targets.ts';
import type { PostRow, TargetRow } from './postgres-rows.ts';
import { toPost, toTarget } from './postgres-rows.ts';
import {
  attemptOutcomeOf,
  checkSettlement,
  rolledUpFields,
  settledFields,
  truncateMessage,
} from './settlement-rules.ts';
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

type SettleRow = TargetRow & { status_before: TargetStatus | null; sibling_statuses: TargetStatus[] };

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
  const [, [row]] = await inTransaction(sql, (c) =>
    [
      c`
        select 1 from public.posts
        where id = (select post_id from public.post_targets where id = ${targetId})
        for update`,
      c<SettleRow[]>`
        with settled as (
          update public.post_targets
          set ${c(changes)}, attempts = attempts - ${givenBack}, claim_token = null
          where id = ${targetId} and status = 'publishing'
            and claim_token = ${isUuid(claimToken) ? claimToken : null}::uuid
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
               array(select o.status::text from public.post_targets o
                     where o.post_id = cur.post_id and o.id <> cur.id) as sibling_statuses
        from public.post_targets cur left join settled on settled.id = cur.id
        where cur.id = ${targetId}`,
    ] as const);
  if (!row || row.id === null) throw claimLost(targetId, row?.status_before ?? null);
  const target = toTarget(row);
  const postSettled = isTargetSettled(target.status) && row.sibling_statuses.every(isTargetSettled);
  return { ...target, postSettled };
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
  const status = rollUpPostStatus(targets);
  if (!status || row.status !== 'publishing' || !canPostMove(row.status, status)) {
    return toPost(row, targets);
  }
  const fields = rolledUpFields(status, targets);
  // Re-checked here: the post is still publishing and no target of it went back to be sent.
  const [updated] = await sql<PostRow[]>`
    update public.posts
    set status = ${status}, published_at = ${fields.publishedAt ?? null},
        error_code = ${fields.errorCode ?? null}, error_message = ${fields.errorMessage ?? null}
    where id = ${id} and status = 'publishing'
      and not exists (
        select 1 from public.post_targets t
        where t.post_id = ${id} and t.status in ('pending', 'publishing'))
    returning *`;
  if (updated) return toPost(updated, targets);
  const current = await readPost(sql, id);
  if (!current) throw postNotFound(id);
  return current;
}
