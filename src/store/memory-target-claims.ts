// deno-lint-ignore-file require-await -- methods stay async so a failed check rejects instead of throwing synchronously
/**
 * The worker's and reconciler's half of the in-memory PostsAndTargets (composed into the port by
 * memory-posts.ts over the shared memory-post-state.ts): claiming a post and its targets, takeovers,
 * settling with the attempt log, the roll-up, failing a missed post and the reconcile candidates.
 *
 * Atomicity: JavaScript runs one callback at a time, so every check-then-change below happens with no
 * `await` between the check and the change — that is this adapter's compare-and-set. Claim ages are
 * judged by the store's `now`. Everything returned is a copy.
 */
import type { AttemptRecord, Post, PostStatus, SocialAccount } from '../domain/post.ts';
import { isTargetSettled } from '../domain/post.ts';
import type { AccountRow } from './memory-accounts.ts';
import { publicAccount } from './memory-accounts.ts';
import { checkDate, checkDuration, compareIds, isUuid } from './input-checks.ts';
import type { MemoryPostState, PostRow } from './memory-post-state.ts';
import { copyRow, snapshot, targetsOf } from './memory-post-state.ts';
import { commentCandidates } from './memory-content-progress.ts';
import type {
  AttemptDetails,
  ClaimedTarget,
  ClaimTakeover,
  PendingTargetRef,
  PostClaim,
  PostsAndTargets,
  ReconcileCandidates,
  SettledTarget,
  TargetSettlement,
} from './posts-and-targets.ts';
import { DEFAULT_RECONCILE_LIMIT } from './posts-and-targets.ts';
import {
  attemptOutcomeOf,
  checkSettlement,
  rolledUpFields,
  rollUpTo,
  settledFields,
  truncateMessage,
} from './settlement-rules.ts';
import { claimLost, postNotFound } from './store-errors.ts';

/** The methods of claims, settlement and reconciling; the post lifecycle is memory-posts.ts. */
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

export function createMemoryTargetClaims(options: {
  state: MemoryPostState;
  /** The clock for timestamps and claim ages. */
  now: () => Date;
  /** The stored account row (memory-accounts.ts), for the account a claim returns. */
  findAccount: (accountId: string) => AccountRow | undefined;
}): TargetClaims {
  const { state, now, findAccount } = options;

  function accountOf(accountId: string | null): SocialAccount | null {
    const row = accountId === null ? undefined : findAccount(accountId);
    return row ? publicAccount(row) : null;
  }

  /** Rolls a publishing post up from its targets once all are settled: the status set, else null. */
  function rollUp(postId: string): PostStatus | null {
    const row = state.posts.get(postId);
    if (!row) return null;
    const list = targetsOf(state, postId);
    const status = rollUpTo(row.status, list);
    if (!status) return null;
    Object.assign(row, rolledUpFields(status, list), { status, updatedAt: now() });
    return status;
  }

  /** Pending targets of publishing posts, and publishing posts with every target settled (reconciler). */
  function publishingCandidates(limit: number) {
    const publishing = new Map<string, PostRow>();
    for (const p of state.posts.values()) if (p.status === 'publishing') publishing.set(p.id, p);
    const unsettled = new Set<string>();
    const pending: PendingTargetRef[] = [];
    for (const post of publishing.values()) {
      for (const t of targetsOf(state, post.id)) {
        if (t.status !== 'pending' && t.status !== 'publishing') continue;
        unsettled.add(post.id);
        if (t.status !== 'pending') continue;
        pending.push({
          id: t.id,
          postId: post.id,
          version: post.version,
          nextAttemptAt: t.nextAttemptAt ? new Date(t.nextAttemptAt) : null,
          accountId: t.accountId,
          platform: t.platform,
        });
      }
    }
    const dueAt = (t: PendingTargetRef) =>
      (t.nextAttemptAt ?? publishing.get(t.postId)!.scheduledAt).getTime();
    const byScheduledAt = (a: PostRow, b: PostRow) =>
      a.scheduledAt.getTime() - b.scheduledAt.getTime() || compareIds(a.id, b.id);
    return {
      pendingTargets: pending.sort((a, b) => dueAt(a) - dueAt(b) || compareIds(a.id, b.id)).slice(0, limit),
      unrolledPostIds: [...publishing.values()]
        .filter((p) => !unsettled.has(p.id))
        .sort(byScheduledAt)
        .slice(0, limit)
        .map((p) => p.id),
    };
  }

  return {
    async claimPost(id: string, version: number): Promise<PostClaim> {
      const row = isUuid(id) ? state.posts.get(id) : undefined;
      if (!row) return { outcome: 'stale', post: null };
      if (row.version === version && row.status === 'scheduled') {
        row.status = 'publishing';
        row.updatedAt = now();
        return { outcome: 'claimed', post: snapshot(state, row) };
      }
      if (row.version === version && row.status === 'publishing') {
        return { outcome: 'already_publishing', post: snapshot(state, row) };
      }
      return { outcome: 'stale', post: snapshot(state, row) };
    },

    async claimTarget(targetId: string): Promise<ClaimedTarget | null> {
      const target = isUuid(targetId) ? state.targets.get(targetId) : undefined;
      if (!target || target.status !== 'pending') return null;
      if (state.posts.get(target.postId)?.status !== 'publishing') return null;
      const at = now();
      Object.assign(target, {
        status: 'publishing',
        claimToken: crypto.randomUUID(),
        claimedAt: at,
        firstSentAt: target.firstSentAt ?? at,
        attempts: target.attempts + 1,
        updatedAt: at,
      });
      return { ...copyRow(target), account: accountOf(target.accountId) };
    },

    async takeOverClaim(
      targetId: string,
      claimToken: string,
      abandonAfterMs: number,
    ): Promise<ClaimTakeover> {
      checkDuration(abandonAfterMs, 'abandonAfterMs');
      const target = isUuid(targetId) ? state.targets.get(targetId) : undefined;
      if (!target || target.status !== 'publishing' || target.claimToken !== claimToken) {
        return { outcome: 'gone' };
      }
      const at = now();
      const ageMs = at.getTime() - (target.claimedAt?.getTime() ?? 0);
      if (ageMs < abandonAfterMs) return { outcome: 'held', retryInMs: abandonAfterMs - ageMs };
      Object.assign(target, { claimToken: crypto.randomUUID(), claimedAt: at, updatedAt: at });
      return { outcome: 'taken', target: copyRow(target) };
    },

    async noteOnClaim(targetId: string, claimToken: string, errorCode: string, errorMessage: string) {
      const target = isUuid(targetId) ? state.targets.get(targetId) : undefined;
      if (!target || target.status !== 'publishing' || target.claimToken !== claimToken) return false;
      Object.assign(target, { errorCode, errorMessage: truncateMessage(errorMessage), updatedAt: now() });
      return true;
    },

    async listTakenExternalIds(accountId: string, exceptTargetId: string, since: Date): Promise<string[]> {
      checkDate(since, 'since');
      return [...state.targets.values()]
        .filter((t) =>
          t.accountId === accountId && t.id !== exceptTargetId && t.externalId !== null &&
          t.publishedAt !== null && t.publishedAt >= since
        )
        .slice(0, 1000)
        .map((t) => t.externalId!);
    },

    async settleTarget(
      targetId: string,
      claimToken: string,
      settlement: TargetSettlement,
      attempt: AttemptDetails,
    ): Promise<SettledTarget> {
      const target = isUuid(targetId) ? state.targets.get(targetId) : undefined;
      if (!target || target.status !== 'publishing' || target.claimToken !== claimToken) {
        throw claimLost(targetId, target?.status ?? null);
      }
      checkSettlement(targetId, settlement);
      const attemptNumber = target.attempts;
      const changes = settledFields(settlement, attempt);
      Object.assign(target, changes, {
        attempts: settlement.status === 'pending' && settlement.deferred ? attemptNumber - 1 : attemptNumber,
        claimToken: null,
        updatedAt: now(),
      });
      const errorCode = settlement.status === 'published' ? null : settlement.errorCode;
      const errorMessage = settlement.status === 'published' ? null : settlement.errorMessage;
      state.attempts.push({
        id: String(++state.attemptSeq),
        targetId,
        postId: target.postId,
        userId: target.userId,
        attempt: attemptNumber,
        outcome: attemptOutcomeOf(settlement),
        startedAt: new Date(attempt.startedAt),
        finishedAt: new Date(attempt.finishedAt),
        durationMs: Math.max(0, Math.round(attempt.finishedAt.getTime() - attempt.startedAt.getTime())),
        platformStatus: attempt.platformStatus ?? null,
        errorCode,
        errorMessage: truncateMessage(errorMessage),
        externalId: settlement.status === 'published' ? settlement.externalId : null,
      });
      const postSettled = targetsOf(state, target.postId).every((t) => isTargetSettled(t.status));
      // The last settle rolls the post up itself, as the Postgres store does.
      const postStatus = postSettled ? rollUp(target.postId) : null;
      return { ...copyRow(target), postSettled, postStatus };
    },

    async rollUpPost(id: string): Promise<Post> {
      const row = isUuid(id) ? state.posts.get(id) : undefined;
      if (!row) throw postNotFound(id);
      rollUp(id);
      return snapshot(state, row);
    },

    async failScheduledPost(id: string, version: number, errorCode: string, errorMessage: string) {
      const row = isUuid(id) ? state.posts.get(id) : undefined;
      if (!row || row.status !== 'scheduled' || row.version !== version) return null;
      const at = now();
      Object.assign(row, { status: 'failed', errorCode, errorMessage, updatedAt: new Date(at) });
      for (const t of targetsOf(state, id)) {
        if (t.status === 'pending') {
          Object.assign(t, { status: 'failed', errorCode, errorMessage, updatedAt: at });
        }
      }
      return snapshot(state, row);
    },

    async findReconcileCandidates(
      stuckForMs: number,
      limit = DEFAULT_RECONCILE_LIMIT,
    ): Promise<ReconcileCandidates> {
      checkDuration(stuckForMs, 'stuckForMs');
      const stuckBefore = new Date(now().getTime() - stuckForMs);
      const scheduled = [...state.posts.values()]
        .filter((p) => p.status === 'scheduled')
        .sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime() || compareIds(a.id, b.id))
        .slice(0, limit)
        .map((p) => ({ id: p.id, version: p.version, scheduledAt: new Date(p.scheduledAt) }));
      const stuckTargets = [...state.targets.values()]
        .filter((t) => t.status === 'publishing' && t.claimedAt !== null && t.claimedAt < stuckBefore)
        .sort((a, b) => a.claimedAt!.getTime() - b.claimedAt!.getTime() || compareIds(a.id, b.id))
        .slice(0, limit);
      const { pendingTargets, unrolledPostIds } = publishingCandidates(limit);
      return {
        scheduled,
        stuckTargets: structuredClone(stuckTargets),
        pendingTargets,
        unrolledPostIds,
        ...commentCandidates(state, stuckBefore, limit),
      };
    },

    async listAttempts(targetId: string): Promise<AttemptRecord[]> {
      return structuredClone(
        state.attempts
          .filter((a) => a.targetId === targetId)
          .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || Number(a.id) - Number(b.id)),
      );
    },
  };
}
