import { createMemoryOAuthStateStore } from '../../src/store/memory-oauth-states.ts';
import { createPostgresOAuthStateStore } from '../../src/store/postgres-oauth-states.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import { oauthStatesContract } from './oauth-states.contract.ts';
import { settableClock } from './store-harness.ts';

announcePostgresSkip();

// The adapters on their own: the port needs no other. The clock is the real one (unless a case sets
// it), before the fixed 2030 `now` the suite passes to consumeOAuthState, so saving never sweeps a
// state under test.
oauthStatesContract('memory', async () => {
  const clock = settableClock();
  return {
    store: createMemoryOAuthStateStore({ cipher: await createTokenCipher(randomKey()), now: clock.now }),
    createUser: () => Promise.resolve(crypto.randomUUID()),
    setClock: clock.set,
    cleanup: () => Promise.resolve(),
  };
});

oauthStatesContract('postgres', async () => {
  const db = await createTestDatabase();
  const clock = settableClock();
  return {
    store: createPostgresOAuthStateStore({
      sql: db.sql,
      cipher: await createTokenCipher(randomKey()),
      now: clock.now,
    }),
    createUser: () => createUser(db.sql),
    setClock: clock.set,
    cleanup: () => db.drop(),
  };
}, { skip: postgresSkip });
