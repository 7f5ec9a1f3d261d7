/**
 * Claiming several targets in one statement (the Postgres claimTarget batches the claims asked for in
 * one tick, see tick-batch.ts): each row is still its own compare-and-set `pending -> publishing` under
 * a fresh token, stamped by `clock_timestamp()` (the moment that row changed, after any lock wait), and
 * only while its post is `publishing` — a cancelled (or not yet claimed) post's target is never sent.
 * The account each claimed target publishes to comes back with it, so the send reads nothing more.
 */
import type postgres from 'postgres';
import type { SocialAccount } from '../domain/post.ts';
import type { ClaimedTarget } from './posts-and-targets.ts';
import type { AccountRow, TargetRow } from './postgres-rows.ts';
import { toAccount, toTarget } from './postgres-rows.ts';

/** The account's columns, prefixed so they sit beside the target's in one row (never the tokens). */
type ClaimRow = TargetRow & { [K in keyof AccountRow as `a_${K}`]: AccountRow[K] | null };

export async function claimTargets(sql: postgres.Sql, ids: string[]): Promise<Map<string, ClaimedTarget>> {
  // Sorted, so concurrent batches over the same targets lock them in the same order.
  const rows = await sql<ClaimRow[]>`
    with claimed as (
      update public.post_targets t
      set status = 'publishing', claim_token = gen_random_uuid(), claimed_at = clock_timestamp(),
          first_sent_at = coalesce(t.first_sent_at, clock_timestamp()), attempts = t.attempts + 1
      from public.posts p
      where t.id = any(${[...ids].sort()}::uuid[]) and t.status = 'pending'
        and p.id = t.post_id and p.status = 'publishing'
      returning t.*)
    select claimed.*,
           a.id as a_id, a.user_id as a_user_id, a.platform as a_platform, a.external_id as a_external_id,
           a.display_name as a_display_name, a.status as a_status, a.scopes as a_scopes,
           a.token_expires_at as a_token_expires_at, a.refreshed_at as a_refreshed_at,
           a.created_at as a_created_at, a.updated_at as a_updated_at
    from claimed left join public.social_accounts a on a.id = claimed.account_id`;
  return new Map(rows.map((row) => [row.id, { ...toTarget(row), account: accountOf(row) }]));
}

function accountOf(row: ClaimRow): SocialAccount | null {
  if (row.a_id === null) return null;
  return toAccount({
    id: row.a_id,
    user_id: row.a_user_id!,
    platform: row.a_platform!,
    external_id: row.a_external_id!,
    display_name: row.a_display_name,
    status: row.a_status!,
    scopes: row.a_scopes!,
    token_expires_at: row.a_token_expires_at,
    refreshed_at: row.a_refreshed_at,
    created_at: row.a_created_at!,
    updated_at: row.a_updated_at!,
  });
}
