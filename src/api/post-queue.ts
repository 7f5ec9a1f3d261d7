/**
 * What the API needs from the queue: put a post's job on it, move it, take it off. The post row is
 * the source of truth (invariant 1, docs/operations.md), so a failing queue never fails a request that already
 * changed the row: the API answers `queued: false` and the worker's reconciler catches up.
 * The BullMQ module in src/queue satisfies this port (see src/entry for the wiring).
 */
import type { Post } from '../domain/post.ts';

export interface PostQueue {
  /** Adds the delayed job of this post version (due at `scheduledAt`; at once when past). */
  schedule(post: Post): Promise<void>;
  /** Replaces the job of an earlier version with this version's. */
  reschedule(post: Post): Promise<void>;
  /** Removes the post's job (a stale job left behind is dropped by the worker anyway). */
  cancel(post: Post): Promise<void>;
  /** Resolves when Redis answers (readiness). */
  ping(): Promise<void>;
}
