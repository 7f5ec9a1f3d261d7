/**
 * The Postgres NotificationStore (postgres.js). Runs as the table owner or service_role (RLS is for
 * the Data API; this adapter scopes by `userId` itself). One part per table on one connection —
 * postgres-post-snapshots.ts (reads posts), postgres-notifications.ts, postgres-notification-endpoints.ts
 * and postgres-notification-deliveries.ts — plus the connection's lifecycle.
 *
 * Connection ownership: `close()` ends `sql` only with `ownsConnection: true`.
 *
 * It lives in src/store (SQL stays in store/ and migrations); the port it implements,
 * NotificationStore, belongs to its users in src/notify.
 */
import type postgres from 'postgres';
import type { NotificationStore } from './notification-store.ts';
import { createPostgresNotificationDeliveries } from './postgres-notification-deliveries.ts';
import { createPostgresNotificationEndpoints } from './postgres-notification-endpoints.ts';
import { createPostgresNotifications } from './postgres-notifications.ts';
import { createPostgresPostSnapshots } from './postgres-post-snapshots.ts';

export interface PostgresNotificationStoreOptions {
  sql: postgres.Sql;
  /** End `sql` on `close()`. (Default: false) */
  ownsConnection?: boolean;
}

export function createPostgresNotificationStore(
  options: PostgresNotificationStoreOptions,
): NotificationStore {
  const { sql } = options;
  return {
    ...createPostgresPostSnapshots({ sql }),
    ...createPostgresNotifications({ sql }),
    ...createPostgresNotificationEndpoints({ sql }),
    ...createPostgresNotificationDeliveries({ sql }),

    async close() {
      if (options.ownsConnection) await sql.end({ timeout: 5 });
    },
  };
}
