/**
 * Chooses the NotificationStore the configuration asks for: Postgres (DATABASE_URL) with a small pool
 * of its own, or memory (USE_MOCK_DB) reading posts from the in-memory PostStore when given one.
 * The store returned owns the connection it opened: `close()` ends it.
 */
import type { Config } from '../config/load-config.ts';
import { AppError } from '../domain/error-codes.ts';
import { createPostgresNotificationStore } from '../store/postgres-notification-store.ts';
import { connectPostgres } from '../store/postgres-post-store.ts';
import type { PostStore } from '../store/post-store.ts';
import { createMemoryNotificationStore } from './memory-notification-store.ts';
import type { NotificationStore } from './notification-store.ts';

/** Connections of the notification pool. (Default: 3) */
export const NOTIFICATION_POOL_SIZE = 3;

export function createNotificationStore(
  config: Config,
  options: { posts?: Pick<PostStore, 'getPost'> } = {},
): NotificationStore {
  if (config.useMockDb) {
    return createMemoryNotificationStore(options.posts ? { posts: options.posts } : {});
  }
  if (!config.databaseUrl) {
    throw new AppError('config_invalid', 'DATABASE_URL is required when USE_MOCK_DB=false');
  }
  return createPostgresNotificationStore({
    sql: connectPostgres(config.databaseUrl, { max: NOTIFICATION_POOL_SIZE }),
    ownsConnection: true,
  });
}
