import { createMemoryNotificationStore } from '../../src/store/memory-notification-store.ts';
import { createPostgresNotificationStore } from '../../src/store/postgres-notification-store.ts';
import { connectPostgres } from '../../src/store/connect-postgres.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import { seedPost } from '../support/notify-fixtures.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import { notificationEndpointsContract } from './notification-endpoints.contract.ts';
import { notificationStoreContract } from './notification-store.contract.ts';
import type { NotificationHarness } from './notification-store.contract.ts';

announcePostgresSkip();

// Each call of the memory store's clock is a millisecond later, so rows made one after the other
// have distinct, ordered createdAt, as separate statements get in Postgres.
async function memoryHarness(): Promise<NotificationHarness> {
  let clock = Date.now();
  return {
    store: createMemoryNotificationStore({
      cipher: await createTokenCipher(randomKey()),
      now: () => new Date(++clock),
    }),
    createUser: () => Promise.resolve(crypto.randomUUID()),
    seedTarget: () => Promise.resolve({ postId: crypto.randomUUID(), targetId: crypto.randomUUID() }),
    cleanup: () => Promise.resolve(),
  };
}

// The store runs on a pool of its own, opened as production opens it (connectPostgres): a fresh
// connection is where postgres.js once serialised a text[] wrongly.
async function postgresHarness(): Promise<NotificationHarness> {
  const db = await createTestDatabase();
  const sql = connectPostgres(db.url, { max: 4 });
  const store = createPostgresNotificationStore({ sql, cipher: await createTokenCipher(randomKey()) });
  return {
    store,
    createUser: () => createUser(db.sql),
    seedTarget: async (userId) => {
      const { postId, targets } = await seedPost(db.sql, userId, ['x']);
      return { postId, targetId: targets.x! };
    },
    cleanup: async () => {
      await sql.end({ timeout: 5 });
      await db.drop();
    },
  };
}

notificationStoreContract('memory', memoryHarness);
notificationEndpointsContract('memory', memoryHarness);
notificationStoreContract('postgres', postgresHarness, { skip: postgresSkip });
notificationEndpointsContract('postgres', postgresHarness, { skip: postgresSkip });
