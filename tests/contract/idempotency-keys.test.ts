import { createMemoryIdempotencyKeyStore } from '../../src/store/memory-idempotency-keys.ts';
import { createPostgresIdempotencyKeyStore } from '../../src/store/postgres-idempotency-keys.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import { idempotencyKeysContract } from './idempotency-keys.contract.ts';
import { settableClock } from './store-harness.ts';

announcePostgresSkip();

// The adapters on their own: the port needs no other.
idempotencyKeysContract('memory', () => {
  const clock = settableClock();
  return Promise.resolve({
    store: createMemoryIdempotencyKeyStore({ now: clock.now }),
    createUser: () => Promise.resolve(crypto.randomUUID()),
    setClock: clock.set,
    cleanup: () => Promise.resolve(),
  });
});

idempotencyKeysContract('postgres', async () => {
  const db = await createTestDatabase();
  const clock = settableClock();
  return {
    store: createPostgresIdempotencyKeyStore({ sql: db.sql, now: clock.now }),
    createUser: () => createUser(db.sql),
    setClock: clock.set,
    cleanup: () => db.drop(),
  };
}, { skip: postgresSkip });
