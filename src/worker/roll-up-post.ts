/** Rolling a post's status up from its targets, once a run has settled one (or found it settled). */
import type { Logger } from '../observability/logger.ts';
import type { PostStore } from '../store/post-store.ts';

/** Sets the post status once every target is settled. A failure is rethrown: the job retries it. */
export async function rollUpPost(store: PostStore, postId: string, log: Logger): Promise<void> {
  const post = await store.rollUpPost(postId);
  if (post.status !== 'publishing') log.debug({ postStatus: post.status }, 'post status rolled up');
}
