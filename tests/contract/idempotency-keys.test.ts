import { createMemoryIdempotencyKeyStore } from '../../src/store/memory-idempotency-keys.ts';
import { createPostgresIdempotencyKeyStore } from '../../src/store/postgres-idempotency-keys.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import { idempotencyKeysContract } from './idempotency-keys.contract.ts';

announcePostgresSkip();

// The adapters on their own: the port needs no other.
idempotencyKeysContract('memory', () =>
  Promise.resolve({
    store: createMemoryIdempotencyKeyStore({ now: () => new Date() }),
    createUser: () => Promise.resolve(crypto.randomUUID()),
    cleanup: () => Promise.resolve(),
  }));

idempotencyKeysContract('postgres', async () => {
  const db = await createTestDatabase();
  return {
    store: createPostgresIdempotencyKeyStore({ sql: db.sql, now: () => new Date() }),
    createUser: () => createUser(db.sql),
    cleanup: () => db.drop(),
  };
}, { skip: postgresSkip });
