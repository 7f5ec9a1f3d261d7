/**
 * Chooses the NotificationStore the configuration asks for, with the cipher that seals endpoint
 * signing secrets: TOKEN_ENCRYPTION_KEY (and TOKEN_ENCRYPTION_PREVIOUS_KEYS), the key platform
 * tokens are sealed with. The in-memory store (USE_MOCK_DB) without a configured key seals with a
 * key that lives as long as the process, which is as long as its secrets do.
 */
import type { Sql } from 'postgres';
import type { Config } from '../config/load-config.ts';
import { AppError } from '../domain/error-codes.ts';
import { createMemoryNotificationStore } from './memory-notification-store.ts';
import type { NotificationStore } from './notification-store.ts';
import type { PostStore } from './post-store.ts';
import { createPostgresNotificationStore } from './postgres-notification-store.ts';
import { createTokenCipher, randomKey } from './token-cipher.ts';

export interface CreateNotificationStoreOptions {
  /** The pool (Postgres; the caller owns it). */
  sql?: () => Promise<Sql>;
  /** Where the memory store reads posts. */
  posts?: Pick<PostStore, 'getPost'>;
}

export async function createNotificationStore(
  config: Config,
  options: CreateNotificationStoreOptions = {},
): Promise<NotificationStore> {
  if (config.useMockDb) {
    const cipher = await createTokenCipher(
      config.tokenEncryptionKey ?? randomKey(),
      config.tokenEncryptionPreviousKeys,
    );
    return createMemoryNotificationStore({ cipher, ...(options.posts ? { posts: options.posts } : {}) });
  }
  if (!config.tokenEncryptionKey) {
    throw new AppError(
      'config_invalid',
      'TOKEN_ENCRYPTION_KEY is required with a real database (it seals webhook signing secrets): ' +
        '32 random bytes in base64 (openssl rand -base64 32)',
    );
  }
  if (!options.sql) throw new AppError('config_invalid', 'the Postgres notification store needs a pool');
  const cipher = await createTokenCipher(config.tokenEncryptionKey, config.tokenEncryptionPreviousKeys);
  return createPostgresNotificationStore({ sql: await options.sql(), cipher, ownsConnection: false });
}
