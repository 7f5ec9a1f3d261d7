import { createMemoryPostStore } from '../../src/store/memory-post-store.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import { postStoreContract } from './post-store.contract.ts';

announcePostgresSkip();

postStoreContract('memory', async () => ({
  store: createMemoryPostStore({ cipher: await createTokenCipher(randomKey()) }),
  createUser: () => Promise.resolve(crypto.randomUUID()),
  cleanup: () => Promise.resolve(),
}));

postStoreContract('postgres', async () => {
  const db = await createTestDatabase();
  const store = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(randomKey()) });
  return {
    store,
    createUser: () => createUser(db.sql),
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
}, { skip: postgresSkip });
