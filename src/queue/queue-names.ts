/**
 * Queue names, the key prefix, and the deterministic job ids.
 *
 * Two queues share one prefix `{<QUEUE_PREFIX>}` — the braces are a Redis Cluster hash tag, so every
 * key of both queues lands in one slot (BullMQ's Lua scripts touch several keys at once):
 * - `posts` (POST_JOBS_QUEUE): one delayed job per post version, due at the post's scheduled time; it
 *   fans out. Producer: bull-post-scheduler.ts.
 * - `publish` (TARGET_JOBS_QUEUE): one job per target, added at due time; retries, backoff and
 *   rate-limit deferral are per target, so one platform never holds up another (invariant 4,
 *   docs/operations.md). Producer: target-queue.ts.
 *
 * The values are on the wire (Redis keys of deployed queues): the constants say what each queue
 * holds, the values never change. Job ids contain no `:` and are never all digits (BullMQ's rules).
 */
export const POST_JOBS_QUEUE = 'posts';
export const TARGET_JOBS_QUEUE = 'publish';

/** Job names: short, because each is stored in every job hash. */
export const POST_JOB_NAME = 'post';
export const TARGET_JOB_NAME = 'target';

/** BullMQ's `prefix` for a QUEUE_PREFIX: `{solospark}`. */
export function bullPrefix(queuePrefix: string): string {
  return `{${queuePrefix}}`;
}

/** `post-<postId>-v<version>`: one job per post version; an edit bumps the version. */
export function postJobId(postId: string, version: number): string {
  return `post-${postId}-v${version}`;
}

/**
 * `target-<targetId>`: one target job per target at a time. A second fan-out of the same post (the
 * post job re-ran after a crash) adds nothing while the first job exists; once that job is removed the
 * target is settled, and a late duplicate finds it so and does nothing.
 */
export function targetJobId(targetId: string): string {
  return `target-${targetId}`;
}
