/**
 * The port the API schedules posts through: put a post version's job on the queue, move it, take it
 * off. The post row is the source of truth (invariant 1, docs/operations.md), so a failing queue never
 * fails a request that already changed the row: the API answers `queued: false` and the worker's reconciler catches up.
 * createBullPostScheduler (src/queue/bull-post-scheduler.ts) implements it on the `posts` queue;
 * buildApi (src/app/build-api.ts) bounds its calls by a deadline.
 */
import type { Post } from '../domain/post.ts';

export interface PostScheduler {
  /** Adds the delayed job of this post version (due at `scheduledAt`; at once when past). */
  schedule(post: Post): Promise<void>;
  /** Replaces the job of an earlier version with this version's. */
  reschedule(post: Post): Promise<void>;
  /** Removes the post's job (a stale job left behind is dropped by the worker anyway). */
  cancel(post: Post): Promise<void>;
  /** Resolves when Redis answers (readiness). */
  ping(): Promise<void>;
}
