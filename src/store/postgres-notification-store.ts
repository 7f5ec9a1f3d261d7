/**
 * The Postgres NotificationStore (postgres.js). Runs as the table owner or service_role (RLS is for
 * the Data API; this adapter scopes by `userId` itself). One part per concern on one connection —
 * postgres-post-snapshots.ts (reads posts), postgres-notifications.ts,
 * postgres-notification-endpoints.ts, postgres-signing-secrets.ts, postgres-test-sends.ts and
 * postgres-notification-deliveries.ts — plus the connection's lifecycle.
 *
 * Connection ownership: `close()` ends `sql` only with `ownsConnection: true`.
 *
 * The wording of notifications is not decided here: composeNotification, the caller of
 * NotificationStore, belongs to its users in src/notify.
 */
import type postgres from 'postgres';
import type { NotificationStore } from './notification-store.ts';
import { createPostgresNotificationDeliveries } from './postgres-notification-deliveries.ts';
import { createPostgresNotificationEndpoints } from './postgres-notification-endpoints.ts';
import { createPostgresNotifications } from './postgres-notifications.ts';
import { createPostgresPostSnapshots } from './postgres-post-snapshots.ts';
import { createPostgresSigningSecrets } from './postgres-signing-secrets.ts';
import { createPostgresTestSends } from './postgres-test-sends.ts';
import type { TokenCipher } from './token-cipher.ts';

export interface PostgresNotificationStoreOptions {
  sql: postgres.Sql;
  /** Seals and opens the endpoints' signing secrets (TOKEN_ENCRYPTION_KEY, as for platform tokens). */
  cipher: TokenCipher;
  /** End `sql` on close(). (Default: false) */
  ownsConnection?: boolean;
}

export function createPostgresNotificationStore(
  options: PostgresNotificationStoreOptions,
): NotificationStore {
  const { sql, cipher } = options;
  return {
    ...createPostgresPostSnapshots({ sql }),
    ...createPostgresNotifications({ sql }),
    ...createPostgresNotificationEndpoints({ sql, cipher }),
    ...createPostgresSigningSecrets({ sql, cipher }),
    ...createPostgresTestSends({ sql }),
    ...createPostgresNotificationDeliveries({ sql }),

    async close() {
      if (options.ownsConnection) await sql.end({ timeout: 5 });
    },
  };
}
