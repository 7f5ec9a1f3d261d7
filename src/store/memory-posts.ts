// deno-lint-ignore-file require-await -- methods stay async so a failed check rejects instead of throwing synchronously
/**
 * The in-memory PostsAndTargets (posts-and-targets.ts): posts, targets and the attempt log for local
 * development and tests without Postgres; it passes the same contract suite as postgres-posts.ts.
 *
 * Atomicity: JavaScript runs one callback at a time, so every check-then-change below happens with no
 * `await` between the check and the change — that is this adapter's compare-and-set. Everything
 * returned is a copy: callers cannot change the store by mutating results.
 */
import type { AttemptRecord, Post, PostTarget } from '../domain/post.ts';
import { canPostMove, rollUpPostStatus } from '../domain/post.ts';
import {
  checkAccountIds,
  checkDate,
  checkDuration,
  checkPostContent,
  checkTargetAccounts,
  checkUserId,
  compareIds,
  isUuid,
} from './input-checks.ts';
import { encodeCursor, normalizeListQuery } from './list-cursor.ts';
import type { AccountRow } from './memory-accounts.ts';
import type {
  AttemptDetails,
  ClaimTakeover,
  ListPostsQuery,
  NewPost,
  PendingTargetRef,
  PostChanges,
  PostClaim,
  PostPage,
  PostsAndTargets,
  ReconcileCandidates,
  TargetSettlement,
} from './posts-and-targets.ts';
import { DEFAULT_RECONCILE_LIMIT } from './posts-and-targets.ts';
import {
  attemptOutcomeOf,
  checkSettlement,
  rolledUpFields,
  settledFields,
  truncateMessage,
} from './settlement-rules.ts';
import {
  claimLost,
  nothingToRetry,
  postNotEditable,
  postNotFound,
  postNotRetryable,
  versionConflict,
} from './store-errors.ts';

type PostRow = Omit<Post, 'targets'>;

export interface MemoryPostsAndTargets {
  store: PostsAndTargets;
  /** Keeps the targets of a deleted account with accountId null, as `on delete set null` does in Postgres. */
  detachAccount(accountId: string): void;
}

export function createMemoryPostsAndTargets(options: {
  /** The clock for timestamps and claim ages. */
  now: () => Date;
  /** The stored account row (not a copy), to check new targets with no `await` in between. */
  findAccount: (accountId: string) => AccountRow | undefined;
}): MemoryPostsAndTargets {
  const { now, findAccount } = options;
  const posts = new Map<string, PostRow>();
  const targets = new Map<string, PostTarget>();
  /** Each post's targets (the same objects as in `targets`): reads of one post never scan them all. */
  const targetsByPost = new Map<string, PostTarget[]>();
  const attempts: AttemptRecord[] = [];
  let attemptSeq = 0;

  function targetsOf(postId: string): PostTarget[] {
    return [...(targetsByPost.get(postId) ?? [])]
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || compareIds(a.id, b.id));
  }

  function snapshot(row: PostRow): Post {
    return { ...copyRow(row), targets: targetsOf(row.id).map(copyRow) };
  }

  function ownedPost(id: string, userId: string): PostRow {
    const row = isUuid(id) ? posts.get(id) : undefined;
    if (!row || row.userId !== userId) throw postNotFound(id);
    return row;
  }

  /** Validates accounts for new targets (no awaits: callers rely on it for atomicity). */
  function checkAccountsFor(userId: string, accountIds: readonly string[]): AccountRow[] {
    checkAccountIds(accountIds);
    const found = new Map<string, AccountRow>();
    for (const id of accountIds) {
      const account = findAccount(id);
      if (account && account.userId === userId) found.set(id, account);
    }
    checkTargetAccounts(accountIds, found);
    return accountIds.map((id) => found.get(id)!);
  }

  function addTarget(post: PostRow, account: AccountRow, at: Date): void {
    const target: PostTarget = {
      id: crypto.randomUUID(),
      postId: post.id,
      userId: post.userId,
      accountId: account.id,
      platform: account.platform,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: null,
      externalId: null,
      externalUrl: null,
      errorCode: null,
      errorMessage: null,
      publishedAt: null,
      claimToken: null,
      claimedAt: null,
      firstSentAt: null,
      createdAt: new Date(at),
      updatedAt: new Date(at),
    };
    targets.set(target.id, target);
    const list = targetsByPost.get(post.id);
    if (list) list.push(target);
    else targetsByPost.set(post.id, [target]);
  }

  function removeTarget(target: PostTarget): void {
    targets.delete(target.id);
    const list = targetsByPost.get(target.postId)?.filter((t) => t.id !== target.id) ?? [];
    if (list.length > 0) targetsByPost.set(target.postId, list);
    else targetsByPost.delete(target.postId);
  }

  /** Pending targets of publishing posts, and publishing posts with every target settled (reconciler). */
  function publishingCandidates(limit: number) {
    const publishing = new Map<string, PostRow>();
    for (const p of posts.values()) if (p.status === 'publishing') publishing.set(p.id, p);
    const unsettled = new Set<string>();
    const pending: PendingTargetRef[] = [];
    for (const post of publishing.values()) {
      for (const t of targetsOf(post.id)) {
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

  function detachAccount(accountId: string): void {
    const at = now();
    for (const t of targets.values()) {
      if (t.accountId === accountId) Object.assign(t, { accountId: null, updatedAt: new Date(at) });
    }
  }

  const store: PostsAndTargets = {
    async createPost(input: NewPost): Promise<Post> {
      checkDate(input.scheduledAt, 'scheduledAt');
      checkPostContent(input.text, input.media);
      checkUserId(input.userId);
      const chosen = checkAccountsFor(input.userId, input.accountIds);
      const at = now();
      const row: PostRow = {
        id: crypto.randomUUID(),
        userId: input.userId,
        text: input.text,
        media: structuredClone(input.media),
        scheduledAt: new Date(input.scheduledAt),
        status: 'scheduled',
        version: 1,
        errorCode: null,
        errorMessage: null,
        publishedAt: null,
        createdAt: new Date(at),
        updatedAt: new Date(at),
      };
      posts.set(row.id, row);
      for (const account of chosen) addTarget(row, account, at);
      return snapshot(row);
    },

    async getPost(id: string, userId?: string): Promise<Post | null> {
      const row = isUuid(id) ? posts.get(id) : undefined;
      if (!row || (userId !== undefined && row.userId !== userId)) return null;
      return snapshot(row);
    },

    async listPosts(userId: string, query?: ListPostsQuery): Promise<PostPage> {
      const q = normalizeListQuery(query);
      const afterMs = q.after ? Date.parse(q.after.scheduledAt) : null;
      const matching = [...posts.values()]
        .filter((p) =>
          p.userId === userId &&
          (q.status === null || p.status === q.status) &&
          (q.from === null || p.scheduledAt.getTime() >= q.from.getTime()) &&
          (q.to === null || p.scheduledAt.getTime() < q.to.getTime()) &&
          (q.after === null || afterMs! > p.scheduledAt.getTime() ||
            (afterMs === p.scheduledAt.getTime() && compareIds(p.id, q.after.id) < 0))
        )
        .sort((a, b) => b.scheduledAt.getTime() - a.scheduledAt.getTime() || compareIds(b.id, a.id));
      const page = matching.slice(0, q.limit);
      const last = page[page.length - 1];
      return {
        items: page.map(snapshot),
        nextCursor: matching.length > q.limit && last
          ? encodeCursor({ scheduledAt: last.scheduledAt.toISOString(), id: last.id })
          : null,
      };
    },

    async updatePost(
      id: string,
      userId: string,
      changes: PostChanges,
      expectedVersion?: number,
    ): Promise<Post> {
      const row = ownedPost(id, userId);
      if (row.status !== 'scheduled') throw postNotEditable(id, row.status);
      if (expectedVersion !== undefined && expectedVersion !== row.version) {
        throw versionConflict(id, expectedVersion, row.version);
      }
      if (changes.scheduledAt !== undefined) checkDate(changes.scheduledAt, 'scheduledAt');
      checkPostContent(changes.text, changes.media);
      const chosen = changes.accountIds === undefined ? null : checkAccountsFor(userId, changes.accountIds);
      const at = now();
      if (changes.text !== undefined) row.text = changes.text;
      if (changes.media !== undefined) row.media = structuredClone(changes.media);
      if (changes.scheduledAt !== undefined) row.scheduledAt = new Date(changes.scheduledAt);
      if (chosen) {
        const keep = new Set(chosen.map((a) => a.id));
        const existing = targetsOf(id);
        for (const t of existing) if (t.accountId === null || !keep.has(t.accountId)) removeTarget(t);
        const present = new Set(existing.map((t) => t.accountId));
        for (const account of chosen) if (!present.has(account.id)) addTarget(row, account, at);
      }
      row.version += 1;
      row.updatedAt = new Date(at);
      return snapshot(row);
    },

    async cancelPost(id: string, userId: string): Promise<Post> {
      const row = ownedPost(id, userId);
      if (row.status === 'cancelled') return snapshot(row);
      if (row.status !== 'scheduled') throw postNotEditable(id, row.status);
      const at = now();
      row.status = 'cancelled';
      row.updatedAt = new Date(at);
      for (const t of targetsOf(id)) {
        if (t.status === 'pending') Object.assign(t, { status: 'cancelled', updatedAt: new Date(at) });
      }
      return snapshot(row);
    },

    async claimPost(id: string, version: number): Promise<PostClaim> {
      const row = isUuid(id) ? posts.get(id) : undefined;
      if (!row) return { outcome: 'stale', post: null };
      if (row.version === version && row.status === 'scheduled') {
        row.status = 'publishing';
        row.updatedAt = now();
        return { outcome: 'claimed', post: snapshot(row) };
      }
      if (row.version === version && row.status === 'publishing') {
        return { outcome: 'already_publishing', post: snapshot(row) };
      }
      return { outcome: 'stale', post: snapshot(row) };
    },

    async claimTarget(targetId: string): Promise<PostTarget | null> {
      const target = isUuid(targetId) ? targets.get(targetId) : undefined;
      if (!target || target.status !== 'pending') return null;
      if (posts.get(target.postId)?.status !== 'publishing') return null;
      const at = now();
      Object.assign(target, {
        status: 'publishing',
        claimToken: crypto.randomUUID(),
        claimedAt: at,
        firstSentAt: target.firstSentAt ?? at,
        attempts: target.attempts + 1,
        updatedAt: at,
      });
      return copyRow(target);
    },

    async takeOverClaim(
      targetId: string,
      claimToken: string,
      abandonAfterMs: number,
    ): Promise<ClaimTakeover> {
      checkDuration(abandonAfterMs, 'abandonAfterMs');
      const target = isUuid(targetId) ? targets.get(targetId) : undefined;
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
      const target = isUuid(targetId) ? targets.get(targetId) : undefined;
      if (!target || target.status !== 'publishing' || target.claimToken !== claimToken) return false;
      Object.assign(target, { errorCode, errorMessage: truncateMessage(errorMessage), updatedAt: now() });
      return true;
    },

    async listTakenExternalIds(accountId: string, exceptTargetId: string, since: Date): Promise<string[]> {
      checkDate(since, 'since');
      return [...targets.values()]
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
    ): Promise<PostTarget> {
      const target = isUuid(targetId) ? targets.get(targetId) : undefined;
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
      attempts.push({
        id: String(++attemptSeq),
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
      return copyRow(target);
    },

    async rollUpPost(id: string): Promise<Post> {
      const row = isUuid(id) ? posts.get(id) : undefined;
      if (!row) throw postNotFound(id);
      const list = targetsOf(id);
      const status = rollUpPostStatus(list);
      if (status && row.status === 'publishing' && canPostMove(row.status, status)) {
        Object.assign(row, rolledUpFields(status, list), { status, updatedAt: now() });
      }
      return snapshot(row);
    },

    async failScheduledPost(id: string, version: number, errorCode: string, errorMessage: string) {
      const row = isUuid(id) ? posts.get(id) : undefined;
      if (!row || row.status !== 'scheduled' || row.version !== version) return null;
      const at = now();
      Object.assign(row, { status: 'failed', errorCode, errorMessage, updatedAt: new Date(at) });
      for (const t of targetsOf(id)) {
        if (t.status === 'pending') {
          Object.assign(t, { status: 'failed', errorCode, errorMessage, updatedAt: at });
        }
      }
      return snapshot(row);
    },

    async findReconcileCandidates(
      stuckForMs: number,
      limit = DEFAULT_RECONCILE_LIMIT,
    ): Promise<ReconcileCandidates> {
      checkDuration(stuckForMs, 'stuckForMs');
      const stuckBefore = new Date(now().getTime() - stuckForMs);
      const scheduled = [...posts.values()]
        .filter((p) => p.status === 'scheduled')
        .sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime() || compareIds(a.id, b.id))
        .slice(0, limit)
        .map((p) => ({ id: p.id, version: p.version, scheduledAt: new Date(p.scheduledAt) }));
      const stuckTargets = [...targets.values()]
        .filter((t) => t.status === 'publishing' && t.claimedAt !== null && t.claimedAt < stuckBefore)
        .sort((a, b) => a.claimedAt!.getTime() - b.claimedAt!.getTime() || compareIds(a.id, b.id))
        .slice(0, limit);
      const { pendingTargets, unrolledPostIds } = publishingCandidates(limit);
      return { scheduled, stuckTargets: structuredClone(stuckTargets), pendingTargets, unrolledPostIds };
    },

    async listAttempts(targetId: string): Promise<AttemptRecord[]> {
      return structuredClone(
        attempts
          .filter((a) => a.targetId === targetId)
          .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || Number(a.id) - Number(b.id)),
      );
    },

    async retryFailedTargets(id: string, userId: string): Promise<Post> {
      const row = ownedPost(id, userId);
      if (row.status !== 'failed' && row.status !== 'partially_published') {
        throw postNotRetryable(id, row.status);
      }
      const retryable = targetsOf(id).filter((t) => t.status === 'failed' && t.accountId !== null);
      if (retryable.length === 0) throw nothingToRetry(id);
      const at = now();
      for (const t of retryable) {
        Object.assign(t, {
          status: 'pending',
          attempts: 0,
          nextAttemptAt: null,
          errorCode: null,
          errorMessage: null,
          firstSentAt: null,
          updatedAt: new Date(at),
        });
      }
      Object.assign(row, {
        status: 'publishing',
        version: row.version + 1,
        errorCode: null,
        errorMessage: null,
        updatedAt: new Date(at),
      });
      return snapshot(row);
    },
  };
  return { store, detachAccount };
}

/**
 * A deep copy of a stored row: Dates are copied, any other object (a post's media) goes through
 * structuredClone, primitives are shared. The worker reads posts and targets several times per
 * publish, and structuredClone of a whole post was a measurable part of its CPU time.
 */
function copyRow<T extends object>(row: T): T {
  const copy = { ...row } as Record<string, unknown>;
  for (const key in copy) {
    const value = copy[key];
    if (value instanceof Date) copy[key] = new Date(value.getTime());
    else if (Array.isArray(value) && value.length === 0) copy[key] = []; // most posts: no media
    else if (typeof value === 'object' && value !== null) copy[key] = structuredClone(value);
  }
  return copy as T;
}
