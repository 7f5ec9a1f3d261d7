// deno-lint-ignore-file require-await -- methods stay async so a failed check rejects instead of throwing synchronously
/**
 * The in-memory half of content progress (posts-and-targets.ts): a thread's live parts and first
 * comments' claims, over the shared memory-post-state.ts. Same atomicity as memory-target-claims.ts:
 * no `await` between a check and its change; everything returned is a copy.
 */
import type { PostTarget } from '../domain/post.ts';
import { checkDuration, compareIds, isUuid } from './input-checks.ts';
import type { MemoryPostState } from './memory-post-state.ts';
import { copyRow } from './memory-post-state.ts';
import type {
  AttemptDetails,
  ClaimTakeover,
  CommentSettlement,
  ContentProgress,
  PendingTargetRef,
  ThreadPartRecord,
} from './posts-and-targets.ts';
import {
  checkCommentSettlement,
  checkThreadPart,
  settledCommentFields,
  withLivePart,
} from './content-progress-rules.ts';
import { claimLost } from './store-errors.ts';

export function createMemoryContentProgress(options: {
  state: MemoryPostState;
  now: () => Date;
}): ContentProgress {
  const { state, now } = options;

  function held(targetId: string, claimToken: string): PostTarget {
    const target = isUuid(targetId) ? state.targets.get(targetId) : undefined;
    if (!target || target.status !== 'publishing' || target.claimToken !== claimToken) {
      throw claimLost(targetId, target?.status ?? null);
    }
    return target;
  }

  function heldComment(targetId: string, claimToken: string): PostTarget {
    const target = isUuid(targetId) ? state.targets.get(targetId) : undefined;
    if (
      !target?.comment || target.comment.status !== 'publishing' || target.comment.claimToken !== claimToken
    ) {
      throw claimLost(targetId, target?.status ?? null);
    }
    return target;
  }

  return {
    async recordThreadPart(
      targetId: string,
      claimToken: string,
      part: ThreadPartRecord,
      attempt: AttemptDetails,
    ): Promise<PostTarget> {
      const target = held(targetId, claimToken);
      checkThreadPart(target, part);
      const at = now();
      const attemptNumber = target.attempts;
      Object.assign(target, {
        thread: withLivePart(target.thread!, part),
        externalId: target.externalId ?? part.externalId,
        externalUrl: target.externalId === null ? part.url : target.externalUrl,
        publishedAt: target.publishedAt ?? new Date(attempt.finishedAt),
        errorCode: null,
        errorMessage: null,
        claimedAt: part.renew ? at : target.claimedAt,
        firstSentAt: part.renew ? at : null,
        attempts: part.renew ? 1 : 0,
        updatedAt: at,
      });
      state.attempts.push({
        id: String(++state.attemptSeq),
        targetId,
        postId: target.postId,
        userId: target.userId,
        attempt: attemptNumber,
        outcome: part.outcome,
        startedAt: new Date(attempt.startedAt),
        finishedAt: new Date(attempt.finishedAt),
        durationMs: Math.max(0, Math.round(attempt.finishedAt.getTime() - attempt.startedAt.getTime())),
        platformStatus: attempt.platformStatus ?? null,
        errorCode: null,
        errorMessage: null,
        externalId: part.externalId,
      });
      return copyRow(target);
    },

    async claimComment(targetId: string): Promise<PostTarget | null> {
      const target = isUuid(targetId) ? state.targets.get(targetId) : undefined;
      if (!target?.comment || target.status !== 'published' || target.comment.status !== 'pending') {
        return null;
      }
      const at = now();
      Object.assign(target.comment, {
        status: 'publishing',
        claimToken: crypto.randomUUID(),
        claimedAt: at,
        firstSentAt: target.comment.firstSentAt ?? at,
        attempts: target.comment.attempts + 1,
      });
      target.updatedAt = at;
      return copyRow(target);
    },

    async settleComment(
      targetId: string,
      claimToken: string,
      settlement: CommentSettlement,
    ): Promise<PostTarget> {
      const target = heldComment(targetId, claimToken);
      checkCommentSettlement(targetId, settlement);
      const comment = target.comment!;
      Object.assign(comment, settledCommentFields(settlement), {
        attempts: settlement.status === 'pending' && settlement.deferred
          ? comment.attempts - 1
          : comment.attempts,
        claimToken: null,
      });
      target.updatedAt = now();
      return copyRow(target);
    },

    async takeOverComment(
      targetId: string,
      claimToken: string,
      abandonAfterMs: number,
    ): Promise<ClaimTakeover> {
      checkDuration(abandonAfterMs, 'abandonAfterMs');
      const target = isUuid(targetId) ? state.targets.get(targetId) : undefined;
      const comment = target?.comment;
      if (!target || !comment || comment.status !== 'publishing' || comment.claimToken !== claimToken) {
        return { outcome: 'gone' };
      }
      const at = now();
      const ageMs = at.getTime() - (comment.claimedAt?.getTime() ?? 0);
      if (ageMs < abandonAfterMs) return { outcome: 'held', retryInMs: abandonAfterMs - ageMs };
      Object.assign(comment, { claimToken: crypto.randomUUID(), claimedAt: at });
      target.updatedAt = at;
      return { outcome: 'taken', target: copyRow(target) };
    },
  };
}

/** The reconciler's comment candidates (ReconcileCandidates.stuckComments, pendingComments). */
export function commentCandidates(
  state: MemoryPostState,
  stuckBefore: Date,
  limit: number,
): { stuckComments: PendingTargetRef[]; pendingComments: PendingTargetRef[] } {
  const stuck: PostTarget[] = [];
  const pending: PendingTargetRef[] = [];
  const ref = (t: PostTarget): PendingTargetRef => ({
    id: t.id,
    postId: t.postId,
    version: state.posts.get(t.postId)?.version ?? 1,
    nextAttemptAt: t.comment?.nextAttemptAt ? new Date(t.comment.nextAttemptAt) : null,
    accountId: t.accountId,
    platform: t.platform,
  });
  for (const t of state.targets.values()) {
    const c = t.comment;
    if (!c) continue;
    if (c.status === 'publishing' && c.claimedAt !== null && c.claimedAt < stuckBefore) stuck.push(t);
    if (c.status === 'pending' && t.status === 'published') pending.push(ref(t));
  }
  const dueAt = (r: PendingTargetRef) => r.nextAttemptAt?.getTime() ?? 0;
  return {
    stuckComments: stuck
      .sort((a, b) =>
        a.comment!.claimedAt!.getTime() - b.comment!.claimedAt!.getTime() || compareIds(a.id, b.id)
      )
      .slice(0, limit)
      .map((t) => ({ ...ref(t), nextAttemptAt: null })),
    pendingComments: pending.sort((a, b) => dueAt(a) - dueAt(b) || compareIds(a.id, b.id)).slice(0, limit),
  };
}
