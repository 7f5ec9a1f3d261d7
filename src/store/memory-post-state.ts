/**
 * The state both halves of the in-memory PostsAndTargets (memory-posts.ts, memory-target-claims.ts)
 * change: the posts, their targets and the attempt log, and how a stored row is read out as a copy.
 * Callers must never hand the stored objects out: every read goes through `snapshot` or `copyRow`.
 */
import type { AttemptRecord, Post, PostTarget } from '../domain/post.ts';
import { compareIds } from './input-checks.ts';

export type PostRow = Omit<Post, 'targets'>;

export interface MemoryPostState {
  posts: Map<string, PostRow>;
  targets: Map<string, PostTarget>;
  /** Each post's targets (the same objects as in `targets`): reads of one post never scan them all. */
  targetsByPost: Map<string, PostTarget[]>;
  attempts: AttemptRecord[];
  /** The last attempt-log id handed out. */
  attemptSeq: number;
}

export function createMemoryPostState(): MemoryPostState {
  return { posts: new Map(), targets: new Map(), targetsByPost: new Map(), attempts: [], attemptSeq: 0 };
}

/** The post's stored targets (not copies), in creation order. */
export function targetsOf(state: MemoryPostState, postId: string): PostTarget[] {
  return [...(state.targetsByPost.get(postId) ?? [])]
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || compareIds(a.id, b.id));
}

/** A copy of the post with copies of its targets. */
export function snapshot(state: MemoryPostState, row: PostRow): Post {
  return { ...copyRow(row), targets: targetsOf(state, row.id).map(copyRow) };
}

/**
 * A deep copy of a stored row: Dates are copied, any other object (a post's media) goes through
 * structuredClone, primitives are shared. The worker reads posts and targets several times per
 * publish, and structuredClone of a whole post was a measurable part of its CPU time.
 */
export function copyRow<T extends object>(row: T): T {
  const copy = { ...row } as Record<string, unknown>;
  for (const key in copy) {
    const value = copy[key];
    if (value instanceof Date) copy[key] = new Date(value.getTime());
    else if (Array.isArray(value) && value.length === 0) copy[key] = []; // most posts: no media
    else if (typeof value === 'object' && value !== null) copy[key] = structuredClone(value);
  }
  return copy as T;
}
