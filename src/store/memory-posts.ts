// deno-lint-ignore-file require-await -- methods stay async so a failed check rejects instead of throwing synchronously
/**
 * The in-memory PostsAndTargets (posts-and-targets.ts): posts, targets and the attempt log for local
 * development and tests without Postgres; it passes the same contract suite as postgres-posts.ts.
 * This module holds the post lifecycle the API drives (create, read, list, edit, cancel, retry) and
 * composes it with the worker's and reconciler's half, memory-target-claims.ts, over one shared
 * state (memory-post-state.ts) into the one port.
 *
 * Atomicity: JavaScript runs one callback at a time, so every check-then-change below happens with no
 * `await` between the check and the change — that is this adapter's compare-and-set. Everything
 * returned is a copy: callers cannot change the store by mutating results.
 */
import type { Post, PostTarget } from '../domain/post.ts';
import {
  checkAccountIds,
  checkDate,
  checkPostContent,
  checkTargetAccounts,
  checkUserId,
  compareIds,
  isUuid,
} from './input-checks.ts';
import { encodeCursor, normalizeListQuery } from './list-cursor.ts';
import { checkStorablePostContent } from './storable-text-checks.ts';
import type { AccountRow } from './memory-accounts.ts';
import type { MemoryPostState, PostRow } from './memory-post-state.ts';
import { createMemoryPostState, snapshot, targetsOf } from './memory-post-state.ts';
import { createMemoryTargetClaims } from './memory-target-claims.ts';
import { createMemoryContentProgress } from './memory-content-progress.ts';
import { checkContentInput, storedContent } from './content-progress-rules.ts';
import { newComment } from '../domain/post-content.ts';
import type {
  ListPostsQuery,
  NewPost,
  PostChanges,
  PostPage,
  PostsAndTargets,
  TargetContent,
} from './posts-and-targets.ts';
import {
  nothingToRetry,
  postNotEditable,
  postNotFound,
  postNotRetryable,
  versionConflict,
} from './store-errors.ts';
import { checkTargetPlatforms } from './target-platform-check.ts';

export interface MemoryPostsAndTargets {
  store: PostsAndTargets;
  /** Keeps the targets of a deleted account with accountId null, as `on delete set null` does in Postgres. */
  detachAccount(accountId: string): void;
}

interface MemoryPostsOptions {
  /** The clock for timestamps and claim ages. */
  now: () => Date;
  /** The stored account row (not a copy), to check new targets with no `await` in between. */
  findAccount: (accountId: string) => AccountRow | undefined;
  /** The rows to keep posts in (tests put them in states only a crash leaves). (Default: empty) */
  state?: MemoryPostState;
}

/** The methods of the post lifecycle; the rest of the port is memory-target-claims.ts. */
type PostLifecycle = Pick<
  PostsAndTargets,
  'createPost' | 'getPost' | 'listPosts' | 'updatePost' | 'cancelPost' | 'retryFailedTargets'
>;

export function createMemoryPostsAndTargets(options: MemoryPostsOptions): MemoryPostsAndTargets {
  const { now } = options;
  const state = options.state ?? createMemoryPostState();

  function detachAccount(accountId: string): void {
    const at = now();
    for (const t of state.targets.values()) {
      if (t.accountId === accountId) Object.assign(t, { accountId: null, updatedAt: new Date(at) });
    }
  }

  const store: PostsAndTargets = {
    ...createMemoryPostLifecycle(state, options),
    ...createMemoryTargetClaims({ state, now, findAccount: options.findAccount }),
    ...createMemoryContentProgress({ state, now }),
  };
  return { store, detachAccount };
}

function createMemoryPostLifecycle(state: MemoryPostState, options: MemoryPostsOptions): PostLifecycle {
  const { now, findAccount } = options;

  function ownedPost(id: string, userId: string): PostRow {
    const row = isUuid(id) ? state.posts.get(id) : undefined;
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

  function addTarget(post: PostRow, account: AccountRow, at: Date, content: TargetContent | undefined): void {
    const stored = storedContent(content, post.firstComment);
    const target: PostTarget = {
      id: crypto.randomUUID(),
      postId: post.id,
      userId: post.userId,
      accountId: account.id,
      platform: account.platform,
      status: 'pending',
      text: stored.text,
      thread: stored.thread,
      firstComment: stored.firstComment,
      comment: stored.hasComment ? newComment() : null,
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
    state.targets.set(target.id, target);
    const list = state.targetsByPost.get(post.id);
    if (list) list.push(target);
    else state.targetsByPost.set(post.id, [target]);
  }

  function removeTarget(target: PostTarget): void {
    state.targets.delete(target.id);
    const list = state.targetsByPost.get(target.postId)?.filter((t) => t.id !== target.id) ?? [];
    if (list.length > 0) state.targetsByPost.set(target.postId, list);
    else state.targetsByPost.delete(target.postId);
  }

  return {
    async createPost(input: NewPost): Promise<Post> {
      checkDate(input.scheduledAt, 'scheduledAt');
      checkPostContent(input.text, input.media);
      checkStorablePostContent(input.text, input.media);
      checkContentInput(input.firstComment, input.targetContents, input.accountIds);
      checkUserId(input.userId);
      const chosen = checkAccountsFor(input.userId, input.accountIds);
      checkTargetPlatforms(chosen, input.platforms);
      const at = now();
      const row: PostRow = {
        id: crypto.randomUUID(),
        userId: input.userId,
        text: input.text,
        firstComment: input.firstComment ?? null,
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
      state.posts.set(row.id, row);
      for (const [i, account] of chosen.entries()) addTarget(row, account, at, input.targetContents?.[i]);
      return snapshot(state, row);
    },

    async getPost(id: string, userId?: string): Promise<Post | null> {
      const row = isUuid(id) ? state.posts.get(id) : undefined;
      if (!row || (userId !== undefined && row.userId !== userId)) return null;
      return snapshot(state, row);
    },

    async listPosts(userId: string, query?: ListPostsQuery): Promise<PostPage> {
      const q = normalizeListQuery(query);
      const afterMs = q.after ? Date.parse(q.after.scheduledAt) : null;
      const matching = [...state.posts.values()]
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
        items: page.map((row) => snapshot(state, row)),
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
      checkStorablePostContent(changes.text, changes.media);
      checkContentInput(changes.firstComment, changes.targetContents, changes.accountIds);
      const chosen = changes.accountIds === undefined ? null : checkAccountsFor(userId, changes.accountIds);
      const at = now();
      if (changes.text !== undefined) row.text = changes.text;
      if (changes.firstComment !== undefined) row.firstComment = changes.firstComment;
      if (changes.media !== undefined) row.media = structuredClone(changes.media);
      if (changes.scheduledAt !== undefined) row.scheduledAt = new Date(changes.scheduledAt);
      if (chosen) {
        const keep = new Set(chosen.map((a) => a.id));
        const existing = targetsOf(state, id);
        for (const t of existing) if (t.accountId === null || !keep.has(t.accountId)) removeTarget(t);
        const present = new Map(existing.map((t) => [t.accountId, t]));
        for (const [i, account] of chosen.entries()) {
          const content = changes.targetContents?.[i];
          const kept = present.get(account.id);
          if (!kept) {
            addTarget(row, account, at, content);
            continue;
          }
          const stored = storedContent(content, row.firstComment);
          Object.assign(kept, {
            text: stored.text,
            thread: stored.thread,
            firstComment: stored.firstComment,
            updatedAt: new Date(at),
          });
        }
      }
      // Every target is pending (the post is scheduled): whether a comment waits follows the edit.
      for (const t of targetsOf(state, id)) {
        t.comment = (t.firstComment ?? row.firstComment) === null ? null : (t.comment ?? newComment());
      }
      row.version += 1;
      row.updatedAt = new Date(at);
      return snapshot(state, row);
    },

    async cancelPost(id: string, userId: string): Promise<Post> {
      const row = ownedPost(id, userId);
      if (row.status === 'cancelled') return snapshot(state, row);
      if (row.status !== 'scheduled') throw postNotEditable(id, row.status);
      const at = now();
      row.status = 'cancelled';
      row.updatedAt = new Date(at);
      for (const t of targetsOf(state, id)) {
        if (t.status === 'pending') Object.assign(t, { status: 'cancelled', updatedAt: new Date(at) });
      }
      return snapshot(state, row);
    },

    async retryFailedTargets(id: string, userId: string): Promise<Post> {
      const row = ownedPost(id, userId);
      if (row.status !== 'failed' && row.status !== 'partially_published') {
        throw postNotRetryable(id, row.status);
      }
      // A thread cut short resumes at its first part not live (its live parts are kept).
      const retryable = targetsOf(state, id).filter((t) =>
        (t.status === 'failed' || t.status === 'partially_published') && t.accountId !== null
      );
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
      return snapshot(state, row);
    },
  };
}
