/**
 * Harnesses over the whole composed store (createMemoryPostStore, createPostgresPostStore), for the
 * contracts whose port needs another beside it: posts target accounts, and deleting an account
 * keeps its targets. Each call builds a fresh store (Postgres: a fresh database).
 */
import type { PostStore } from '../../src/store/post-store.ts';
import { createMemoryPostState } from '../../src/store/memory-post-state.ts';
import { createMemoryPostStore } from '../../src/store/memory-post-store.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import { createTestDatabase, createUser } from '../support/test-database.ts';
import { unrollMemoryPost, unrollPostgresPost } from '../support/unroll-post.ts';
import type { ClaimsHarness } from './store-harness.ts';

export async function memoryPostStoreHarness(): Promise<ClaimsHarness<PostStore>> {
  // The store's clock runs ahead by `offset`: moving it ages every claim made so far.
  let offset = 0;
  const state = createMemoryPostState();
  return {
    store: createMemoryPostStore({
      cipher: await createTokenCipher(randomKey()),
      now: () => new Date(Date.now() + offset),
      state,
    }),
    unrollPost: (postId) => unrollMemoryPost(state, postId),
    createUser: () => Promise.resolve(crypto.randomUUID()),
    ageClaims: (ms) => {
      offset += ms;
      return Promise.resolve();
    },
    cleanup: () => Promise.resolve(),
  };
}

export async function postgresPostStoreHarness(): Promise<ClaimsHarness<PostStore>> {
  const db = await createTestDatabase();
  const store = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(randomKey()) });
  return {
    store,
    createUser: () => createUser(db.sql),
    ageClaims: async (ms) => {
      await db.sql`
        update public.post_targets
        set claimed_at = claimed_at - make_interval(secs => ${ms / 1000}::float8),
            first_sent_at = first_sent_at - make_interval(secs => ${ms / 1000}::float8)
        where claimed_at is not null`;
    },
    unrollPost: (postId) => unrollPostgresPost(db.sql, postId),
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
}
