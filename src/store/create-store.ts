/**
 * Chooses the PostStore the configuration asks for: Postgres (DATABASE_URL), or the in-memory store
 * (USE_MOCK_DB=true, or no DATABASE_URL) for local development. The store returned owns the
 * connection it opened: `close()` ends it.
 */
import type { Sql } from 'postgres';
import type { Config } from '../config/load-config.ts';
import { AppError } from '../domain/error-codes.ts';
import type { Logger } from '../observability/logger.ts';
import { createMemoryPostStore } from './memory-post-store.ts';
import type { PostStore } from './post-store.ts';
import { connectPostgres, postgresOptions } from './connect-postgres.ts';
import { createPostgresPostStore } from './postgres-post-store.ts';
import { createTokenCipher, randomKey } from './token-cipher.ts';

export interface CreatePostStoreOptions {
  /**
   * The pool to run on (createServices shares one between the stores). The caller owns it: the
   * store's `close()` leaves it open. (Default: a pool of its own, opened from DATABASE_URL)
   */
  sql?: Sql;
}

export async function createPostStore(
  config: Config,
  logger: Logger,
  options: CreatePostStoreOptions = {},
): Promise<PostStore> {
  if (config.useMockDb) {
    // Without a configured key the in-memory tokens are sealed with a key that dies with the process,
    // which is exactly as long as they live.
    const cipher = await createTokenCipher(
      config.tokenEncryptionKey ?? randomKey(),
      config.tokenEncryptionPreviousKeys,
    );
    logger.warn(
      {
        store: 'memory',
        reason: config.mockDbReason,
        tokenKey: config.tokenEncryptionKey ? 'TOKEN_ENCRYPTION_KEY' : 'random per process',
      },
      'using the in-memory store: posts and accounts are lost when the process exits (set DATABASE_URL to keep them)',
    );
    return createMemoryPostStore({ cipher });
  }
  if (!config.databaseUrl) {
    throw new AppError('config_invalid', 'DATABASE_URL is required when USE_MOCK_DB=false');
  }
  if (!config.tokenEncryptionKey) {
    throw new AppError(
      'config_invalid',
      'TOKEN_ENCRYPTION_KEY is required with a real database: 32 random bytes in base64 (openssl rand -base64 32)',
    );
  }
  const cipher = await createTokenCipher(config.tokenEncryptionKey, config.tokenEncryptionPreviousKeys);
  const sql = options.sql ?? connectPostgres(config.databaseUrl, postgresOptions(config));
  const url = new URL(config.databaseUrl);
  logger.info(
    {
      store: 'postgres',
      host: url.hostname,
      port: url.port || '5432',
      database: url.pathname.slice(1),
      keyId: cipher.keyId,
    },
    'using the Postgres store',
  );
  return createPostgresPostStore({ sql, cipher, ownsConnection: !options.sql });
}
