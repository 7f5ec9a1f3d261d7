/**
 * The worker's and reconciler's half of the Postgres PostsAndTargets (composed into the port by
 * postgres-posts.ts): claiming a post and its targets (postgres-claim-targets.ts), takeovers, settling
 * with the attempt log and the roll-up (postgres-settlement.ts), failing a missed post and the
 * reconcile candidates.
 *
 * Every state change is a conditional UPDATE or runs in a transaction after `select … for update`,
 * so concurrent workers and the reconciler cannot both win (READ COMMITTED: a blocked UPDATE
 * re-checks its WHERE clause against the row the winner committed). Claim ages are judged by the
 * database's `clock_timestamp()`, never a caller's clock.
 */
import type postgres from 'postgres';
import type { AttemptRecord } from '../domain/post.ts';
import { checkDate, checkDuration, isUuid } from './input-checks.ts';
import { pipelined } from './pipelined.ts';
import type { ClaimTakeover, PostClaim, PostsAndTargets, ReconcileCandidates } from './posts-and-targets.ts';
import { DEFAULT_RECONCILE_LIMIT } from './posts-and-targets.ts';
import { claimTargets } from './postgres-claim-targets.ts';
import { findCommentCandidates } from './postgres-content-progress.ts';
import { readPost, transaction } from './postgres-post-reads.ts';
import type { AttemptRow, PostRow, TargetRow } from './postgres-rows.ts';
import { toAttempt, toPost, toTarget } from './postgres-rows.ts';
import { rollUpPost, settleTarget } from './postgres-settlement.ts';
import { truncateMessage } from './settlement-rules.ts';
import { createTickBatch } from './tick-batch.ts';

/** The methods of claims, settlement and reconciling; the post lifecycle is postgres-posts.ts. */
export type TargetClaims = Pick<
  PostsAndTargets,
  | 'claimPost'
  | 'claimTarget'
  | 'takeOverClaim'
  | 'noteOnClaim'
  | 'listTakenExternalIds'
  | 'settleTarget'
  | 'rollUpPost'
  | 'failScheduledPost'
  | 'findReconcileCandidates'
  | 'listAttempts'
>;

export function createPostgresTargetClaims(options: { sql: postgres.Sql }): TargetClaims {
  const { sql } = options;
  const claimInBatch = createTickBatch((ids: string[]) => claimTargets(sql, ids));

  return {
    async claimPost(id: string, version: number): Promise<PostClaim> {
      if (!isUuid(id)) return { outcome: 'stale', post: null };
      // One round trip: the claim, then the row and its targets as they are after it (separate
      // statements: each starts with a fresh snapshot, so a claim that lost a race reads the winner's).
      const [claimed, [row], targets] = await pipelined(sql, (c) =>
        [
          c<{ id: string }[]>`
            update public.posts set status = 'publishing'
            where id = ${id} and version = ${Number.isInteger(version) ? version : null}::int
              and status = 'scheduled'
            returning id`,
          c<PostRow[]>`select * from public.posts where id = ${id}`,
          c<TargetRow[]>`
            select * from public.post_targets where post_id = ${id} order by created_at, id`,
        ] as const);
      if (!row) return { outcome: 'stale', post: null };
      const post = toPost(row, targets.map(toTarget));
      if (claimed.length === 1) return { outcome: 'claimed', post };
      if (post.version === version && post.status === 'publishing') {
        return { outcome: 'already_publishing', post };
      }
      return { outcome: 'stale', post };
    },

    async claimTarget(targetId: string) {
      if (!isUuid(targetId)) return null;
      return (await claimInBatch(targetId)) ?? null;
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

    settleTarget: (targetId, claimToken, settlement, attempt) =>
      settleTarget(sql, targetId, claimToken, settlement, attempt),

    rollUpPost: (id) => rollUpPost(sql, id),

    async failScheduledPost(id: string, version: number, errorCode: string, errorMessage: string) {
      if (!isUuid(id) || !Number.isInteger(version)) return null;
      return await transaction(sql, async (tx) => {
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
        ...(await findCommentCandidates(sql, stuckForMs, limit)),
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
  };
}

type PendingTargetRow = Pick<TargetRow, 'id' | 'post_id' | 'next_attempt_at' | 'account_id' | 'platform'> & {
  version: number;
};
