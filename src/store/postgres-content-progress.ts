/**
 * The Postgres half of content progress (posts-and-targets.ts): a thread's live parts and first
 * comments' claims. Each is one conditional UPDATE (compare-and-set on the claim token, or on the
 * comment's status), so two holders cannot both win; timestamps are the database's clock, as for
 * target claims (postgres-target-claims.ts).
 */
import type postgres from 'postgres';
import type { PostTarget } from '../domain/post.ts';
import { checkDuration, isUuid } from './input-checks.ts';
import type {
  AttemptDetails,
  ClaimTakeover,
  CommentSettlement,
  ContentProgress,
  PendingTargetRef,
  ThreadPartRecord,
} from './posts-and-targets.ts';
import type { TargetRow } from './postgres-rows.ts';
import { toTarget } from './postgres-rows.ts';
import {
  checkCommentSettlement,
  checkThreadPart,
  settledCommentFields,
  withLivePart,
} from './content-progress-rules.ts';
import { claimLost } from './store-errors.ts';

export function createPostgresContentProgress(options: { sql: postgres.Sql }): ContentProgress {
  const { sql } = options;

  async function statusOf(targetId: string) {
    const [row] = await sql<
      Pick<TargetRow, 'status'>[]
    >`select status from public.post_targets where id = ${targetId}`;
    return row?.status ?? null;
  }

  return {
    async recordThreadPart(
      targetId: string,
      claimToken: string,
      part: ThreadPartRecord,
      attempt: AttemptDetails,
    ): Promise<PostTarget> {
      if (!isUuid(targetId) || !isUuid(claimToken)) throw claimLost(targetId, null);
      const [current] = await sql<TargetRow[]>`
        select * from public.post_targets where id = ${targetId} and claim_token = ${claimToken}`;
      if (!current || current.status !== 'publishing') throw claimLost(targetId, current?.status ?? null);
      checkThreadPart({ id: targetId, thread: current.thread }, part);
      const thread = withLivePart(current.thread!, part);
      // The compare-and-set is the claim token and the thread as read: a concurrent holder (there is
      // none while the claim is held) or a second record of the same part changes nothing.
      const [row] = await sql<TargetRow[]>`
        with recorded as (
          update public.post_targets
          set thread = ${sql.json(thread as unknown as postgres.JSONValue)},
              external_id = coalesce(external_id, ${part.externalId}),
              external_url = case when external_id is null then ${part.url}::text else external_url end,
              published_at = coalesce(published_at, ${attempt.finishedAt}),
              error_code = null, error_message = null,
              claimed_at = case when ${part.renew} then clock_timestamp() else claimed_at end,
              first_sent_at = case when ${part.renew} then clock_timestamp() else null end,
              attempts = case when ${part.renew} then 1 else 0 end
          where id = ${targetId} and status = 'publishing' and claim_token = ${claimToken}
            and thread = ${sql.json(current.thread as unknown as postgres.JSONValue)}
          returning *),
        logged as (
          insert into public.post_target_attempts
            (target_id, post_id, user_id, attempt, outcome, started_at, finished_at, platform_status, external_id)
          select id, post_id, user_id, ${current.attempts}, ${part.outcome}, ${attempt.startedAt},
                 ${attempt.finishedAt}, ${attempt.platformStatus ?? null}::int, ${part.externalId}
          from recorded)
        select * from recorded`;
      if (!row) throw claimLost(targetId, await statusOf(targetId));
      return toTarget(row);
    },

    async claimComment(targetId: string): Promise<PostTarget | null> {
      if (!isUuid(targetId)) return null;
      const [row] = await sql<TargetRow[]>`
        update public.post_targets
        set comment_status = 'publishing', comment_claim_token = gen_random_uuid(),
            comment_claimed_at = clock_timestamp(),
            comment_first_sent_at = coalesce(comment_first_sent_at, clock_timestamp()),
            comment_attempts = comment_attempts + 1
        where id = ${targetId} and status = 'published' and comment_status = 'pending'
        returning *`;
      return row ? toTarget(row) : null;
    },

    async settleComment(
      targetId: string,
      claimToken: string,
      settlement: CommentSettlement,
    ): Promise<PostTarget> {
      if (!isUuid(targetId) || !isUuid(claimToken)) throw claimLost(targetId, null);
      checkCommentSettlement(targetId, settlement);
      const f = settledCommentFields(settlement);
      const givenBack = settlement.status === 'pending' && settlement.deferred === true ? 1 : 0;
      const [row] = await sql<TargetRow[]>`
        update public.post_targets
        set comment_status = ${f.status}, comment_next_attempt_at = ${f.nextAttemptAt},
            comment_external_id = ${f.externalId}, comment_external_url = ${f.externalUrl},
            comment_error_code = ${f.errorCode}, comment_error_message = ${f.errorMessage},
            comment_attempts = comment_attempts - ${givenBack}, comment_claim_token = null
        where id = ${targetId} and comment_status = 'publishing' and comment_claim_token = ${claimToken}
        returning *`;
      if (!row) throw claimLost(targetId, await statusOf(targetId));
      return toTarget(row);
    },

    async takeOverComment(
      targetId: string,
      claimToken: string,
      abandonAfterMs: number,
    ): Promise<ClaimTakeover> {
      checkDuration(abandonAfterMs, 'abandonAfterMs');
      if (!isUuid(targetId) || !isUuid(claimToken)) return { outcome: 'gone' };
      const [row] = await sql<(TargetRow & { taken: boolean; age_ms: number })[]>`
        with cur as (
          select id, extract(epoch from (clock_timestamp() - comment_claimed_at)) * 1000 as age_ms
          from public.post_targets
          where id = ${targetId} and comment_status = 'publishing' and comment_claim_token = ${claimToken}
        ), taken as (
          update public.post_targets t
          set comment_claim_token = gen_random_uuid(), comment_claimed_at = clock_timestamp()
          from cur
          where t.id = cur.id and cur.age_ms >= ${abandonAfterMs}
            and t.comment_status = 'publishing' and t.comment_claim_token = ${claimToken}
          returning t.*)
        select taken.*, (taken.id is not null) as taken, cur.age_ms::float8 as age_ms
        from cur left join taken on true`;
      if (!row) return { outcome: 'gone' };
      if (row.taken) return { outcome: 'taken', target: toTarget(row) };
      return { outcome: 'held', retryInMs: Math.max(1, Math.ceil(abandonAfterMs - row.age_ms)) };
    },
  };
}

/** The reconciler's comment candidates (ReconcileCandidates.stuckComments, pendingComments). */
export async function findCommentCandidates(
  sql: postgres.Sql,
  stuckForMs: number,
  limit: number,
): Promise<{ stuckComments: PendingTargetRef[]; pendingComments: PendingTargetRef[] }> {
  // Each walks its own small partial index (post_targets_stuck_comment_idx, _pending_comment_idx).
  type RefRow = Pick<TargetRow, 'id' | 'post_id' | 'account_id' | 'platform' | 'comment_next_attempt_at'> & {
    version: number;
  };
  const stuck = await sql<RefRow[]>`
    select t.id, t.post_id, p.version, null::timestamptz as comment_next_attempt_at, t.account_id, t.platform
    from public.post_targets t join public.posts p on p.id = t.post_id
    where t.comment_status = 'publishing'
      and t.comment_claimed_at < clock_timestamp() - make_interval(secs => ${stuckForMs / 1000}::float8)
    order by t.comment_claimed_at, t.id
    limit ${limit}`;
  const pending = await sql<RefRow[]>`
    select t.id, t.post_id, p.version, t.comment_next_attempt_at, t.account_id, t.platform
    from public.post_targets t join public.posts p on p.id = t.post_id
    where t.comment_status = 'pending' and t.status = 'published'
    order by t.comment_next_attempt_at nulls first, t.id
    limit ${limit}`;
  const toRef = (r: RefRow): PendingTargetRef => ({
    id: r.id,
    postId: r.post_id,
    version: r.version,
    nextAttemptAt: r.comment_next_attempt_at,
    accountId: r.account_id,
    platform: r.platform,
  });
  return { stuckComments: stuck.map(toRef), pendingComments: pending.map(toRef) };
}
