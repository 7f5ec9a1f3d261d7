/**
 * A post as the notifications see it (PostSnapshot): the post row and its targets, read fresh when a
 * status event arrives, so the text of a notification describes the post as it is now.
 */
import type postgres from 'postgres';
import type { Platform } from '../domain/platform.ts';
import type { PostStatus, TargetStatus } from '../domain/post.ts';
import { isUuid } from './input-checks.ts';
import type { NotificationStore, PostSnapshot } from './notification-store.ts';

export function createPostgresPostSnapshots(
  options: { sql: postgres.Sql },
): Pick<NotificationStore, 'getPostSnapshot'> {
  const { sql } = options;
  return {
    async getPostSnapshot(postId: string): Promise<PostSnapshot | null> {
      if (!isUuid(postId)) return null;
      const [post] = await sql<{
        id: string;
        user_id: string;
        status: PostStatus;
        version: number;
        scheduled_at: Date;
        published_at: Date | null;
        error_code: string | null;
        error_message: string | null;
      }[]>`
        select id, user_id, status, version, scheduled_at, published_at, error_code, error_message
        from public.posts where id = ${postId}`;
      if (!post) return null;
      const targets = await sql<{
        id: string;
        platform: Platform;
        status: TargetStatus;
        attempts: number;
        external_url: string | null;
        error_code: string | null;
        error_message: string | null;
        next_attempt_at: Date | null;
      }[]>`
        select id, platform, status, attempts, external_url, error_code, error_message, next_attempt_at
        from public.post_targets where post_id = ${postId} order by created_at, id`;
      return {
        id: post.id,
        userId: post.user_id,
        status: post.status,
        version: post.version,
        scheduledAt: post.scheduled_at,
        publishedAt: post.published_at,
        errorCode: post.error_code,
        errorMessage: post.error_message,
        targets: targets.map((t) => ({
          id: t.id,
          platform: t.platform,
          status: t.status,
          attempts: t.attempts,
          externalUrl: t.external_url,
          errorCode: t.error_code,
          errorMessage: t.error_message,
          nextAttemptAt: t.next_attempt_at,
        })),
      };
    },
  };
}
