/**
 * Putting a stored post version on the queue from a request. A queue failure never fails the request:
 * the row is the source of truth, the answer says `queued: false`, and the reconciler enqueues it.
 */
import type { Context } from 'hono';
import { coerceError } from '../../domain/error-codes.ts';
import type { Post } from '../../domain/post.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { AppEnv } from '../app-env.ts';

/** True when the job was queued, false when the queue failed (logged as a warning). */
export async function enqueuePost(
  deps: Pick<ApiDeps, 'postScheduler' | 'logger'>,
  action: 'schedule' | 'reschedule',
  post: Post,
  c: Context<AppEnv>,
): Promise<boolean> {
  try {
    await deps.postScheduler[action](post);
    return true;
  } catch (err) {
    deps.logger.warn(
      { err: coerceError(err), postId: post.id, version: post.version, requestId: c.get('requestId') },
      'enqueue failed; the reconciler will enqueue the post',
    );
    return false;
  }
}
