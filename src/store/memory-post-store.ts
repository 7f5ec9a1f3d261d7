/**
 * The in-memory PostStore (USE_MOCK_DB=true): for local development and tests without Postgres. One
 * adapter per port — memory-posts.ts, memory-accounts.ts, memory-idempotency-keys.ts and
 * memory-oauth-states.ts — composed here; each passes the same contract suite as its Postgres twin
 * (tests/contract/). Data lives only as long as the process.
 */
import { createMemoryAccountStore } from './memory-accounts.ts';
import { createMemoryIdempotencyKeyStore } from './memory-idempotency-keys.ts';
import { createMemoryOAuthStateStore } from './memory-oauth-states.ts';
import type { MemoryPostState } from './memory-post-state.ts';
import { createMemoryPostsAndTargets } from './memory-posts.ts';
import type { PostStore } from './post-store.ts';
import type { TokenCipher } from './token-cipher.ts';

export interface MemoryPostStoreOptions {
  cipher: TokenCipher;
  /** The clock for timestamps. (Default: () => new Date()) */
  now?: () => Date;
  /** The post rows (tests put them in states only a crash leaves). (Default: empty) */
  state?: MemoryPostState;
}

export function createMemoryPostStore(options: MemoryPostStoreOptions): PostStore {
  const { cipher } = options;
  const now = options.now ?? (() => new Date());
  // The posts adapter checks new targets against the stored accounts, and a deleted account's targets
  // keep their history: the two adapters are wired to each other, as the foreign key does in Postgres.
  const accounts = createMemoryAccountStore({ cipher, now, onDeleted: (id) => posts.detachAccount(id) });
  const posts = createMemoryPostsAndTargets({ now, findAccount: accounts.find, state: options.state });
  return {
    ...posts.store,
    ...accounts.store,
    ...createMemoryIdempotencyKeyStore({ now }),
    ...createMemoryOAuthStateStore({ cipher, now }),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
