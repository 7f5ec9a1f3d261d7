/** Rolling a post's status up from its targets, once a run has settled one (or found it settled). */
import type { Logger } from '../observability/logger.ts';
import type { PostStore, SettledTarget } from '../store/post-store.ts';

/** Sets the post status once every target is settled. A failure is rethrown: the job retries it. */
export async function rollUpPost(store: PostStore, postId: string, log: Logger): Promise<void> {
  const post = await store.rollUpPost(postId);
  if (post.status !== 'publishing') log.debug({ postStatus: post.status }, 'post status rolled up');
}

/**
 * After a settle: the post's last settle rolled the post up itself (`postStatus`); when it could not,
 * rollUpPost does. The other settles leave it to the last.
 */
export async function rollUpAfterSettle(
  store: PostStore,
  settled: SettledTarget,
  log: Logger,
): Promise<void> {
  if (settled.postStatus !== null) log.debug({ postStatus: settled.postStatus }, 'post status rolled up');
  else if (settled.postSettled) await rollUpPost(store, settled.postId, log);
}
