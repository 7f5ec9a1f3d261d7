/**
 * The BullMQ implementation of the API's PostScheduler port (src/api/post-scheduler.ts), on the
 * `posts` queue (POST_JOBS_QUEUE): one delayed job per post version, due at its scheduled time. The
 * reconciler uses it too (postJobStates).
 *
 * - `schedule(post)` adds `post-<id>-v<version>`; repeating it is a no-op (BullMQ ignores a jobId that
 *   exists in any state).
 * - `reschedule(post)` (after an edit bumped the version) adds the new version's job and removes the
 *   previous version's. A stale job that survives anyway is dropped by the worker (version check).
 * - `cancel(post)` removes the post's job; repeating it is a no-op.
 * - After `retryFailedTargets` (post `publishing`, version bumped), `schedule(post)` adds a job due at
 *   once; the worker finds the post already publishing and sends its pending targets. Removal is hygiene, not safety:
 *   the worker's compare-and-set claim in Postgres is what makes cancel and edit win.
 *
 * Postgres is the source of truth and this queue a derived index: when an enqueue fails after the
 * commit, the reconciler adds the job later. Jobs are removed on completion and on failure — the
 * attempt log in Postgres is the record — which also frees their ids for reuse (BullMQ ignores an add whose jobId still exists).
 */
import { Queue } from 'bullmq';
import type { JobsOptions } from 'bullmq';
import type { RedisClient } from './redis-options.ts';
import type { Post } from '../domain/post.ts';
import type { PostJobData } from './job-data.ts';
import { encodePostJobData } from './job-data.ts';
import { bullPrefix, POST_JOB_NAME, POST_JOBS_QUEUE, postJobId } from './queue-names.ts';

/** Tries of a post job (fan-out) when Redis or the database fails under it. (Default: 5) */
export const POST_JOB_ATTEMPTS = 5;
/** First retry delay of a post job; doubles each time. (Default: 1000 ms) */
export const POST_JOB_BACKOFF_MS = 1000;
/**
 * The backoff type post jobs name; the worker's `settings.backoffStrategy` (postJobBackoff) computes
 * it. Why not BullMQ's `{ type: 'exponential', delay: 1000 }`: job options are stored in every job
 * hash, and those 20 more characters put each scheduled post's hash in a larger allocation: 901
 * instead of 870 bytes of Redis per post (3 targets), measured side by side.
 */
export const POST_JOB_BACKOFF_TYPE = 'post';

/** Delay before run `attemptsMade + 1` of a post job: `baseMs` × 2^(attemptsMade − 1). */
export function postJobBackoff(attemptsMade: number, baseMs: number = POST_JOB_BACKOFF_MS): number {
  return baseMs * 2 ** Math.max(0, attemptsMade - 1);
}
/**
 * Length of each queue's event stream. Nothing in the app reads it (tests listen to Worker events), and
 * each entry costs Redis memory. (Default: 100; BullMQ's own default is about 10 000)
 */
export const EVENTS_MAX_LEN = 100;

export type ScheduledPostRef = Pick<Post, 'id' | 'version' | 'scheduledAt'>;
export type PostJobState = 'present' | 'missing';

export interface BullPostScheduler {
  schedule(post: ScheduledPostRef): Promise<void>;
  reschedule(post: ScheduledPostRef): Promise<void>;
  cancel(post: Pick<Post, 'id' | 'version'>): Promise<void>;
  /** Whether each post's current-version job exists (reconciler). One round trip per call. */
  postJobStates(posts: readonly Pick<Post, 'id' | 'version'>[]): Promise<PostJobState[]>;
  /** Resolves when Redis answers (readiness). */
  ping(): Promise<void>;
  /** The underlying BullMQ queue (tests, metrics). */
  readonly queue: Queue<PostJobData>;
  close(): Promise<void>;
}

export interface BullPostSchedulerOptions {
  /** A connection the caller owns (closed by the caller, not by `close()`). */
  connection: RedisClient;
  /** QUEUE_PREFIX; BullMQ receives `{<queuePrefix>}`. */
  queuePrefix: string;
  /** Clock, for the delay. (Default: Date.now) */
  now?: () => number;
}

export function postJobOptions(post: ScheduledPostRef, nowMs: number): JobsOptions {
  return {
    jobId: postJobId(post.id, post.version),
    delay: Math.max(0, post.scheduledAt.getTime() - nowMs),
    attempts: POST_JOB_ATTEMPTS,
    backoff: { type: POST_JOB_BACKOFF_TYPE },
    // removeOnComplete / removeOnFail are set on the Worker (start-worker.ts), not here: job options are
    // stored in every job hash, and these would cost ~45 bytes per scheduled post.
  };
}

export function createBullPostScheduler(options: BullPostSchedulerOptions): BullPostScheduler {
  const now = options.now ?? Date.now;
  const queue = new Queue<PostJobData>(POST_JOBS_QUEUE, {
    connection: options.connection,
    prefix: bullPrefix(options.queuePrefix),
    streams: { events: { maxLen: EVENTS_MAX_LEN } },
  });
  // Errors surface through the awaited calls; without a listener an 'error' event would crash.
  queue.on('error', () => {});

  async function add(post: ScheduledPostRef): Promise<void> {
    await queue.add(
      POST_JOB_NAME,
      encodePostJobData({ postId: post.id, version: post.version }),
      postJobOptions(post, now()),
    );
  }

  return {
    queue,
    schedule: add,
    async reschedule(post) {
      await add(post);
      if (post.version > 1) await queue.remove(postJobId(post.id, post.version - 1));
    },
    async ping() {
      await options.connection.ping();
    },
    async cancel(post) {
      await queue.remove(postJobId(post.id, post.version));
    },
    async postJobStates(posts) {
      if (posts.length === 0) return [];
      const client = options.connection;
      const pipeline = client.pipeline();
      for (const post of posts) pipeline.exists(queue.toKey(postJobId(post.id, post.version)));
      const results = (await pipeline.exec()) ?? [];
      return posts.map((_, i) => {
        const [err, value] = results[i] ?? [new Error('no reply'), 0];
        if (err) throw err;
        return value === 1 ? 'present' : 'missing';
      });
    },
    async close() {
      await queue.close();
    },
  };
}
