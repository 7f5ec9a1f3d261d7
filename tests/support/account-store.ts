/** An in-memory PostStore with a throw-away encryption key, for tests that store social accounts. */
import { createMemoryPostStore } from '../../src/store/memory-post-store.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createTokenCipher } from '../../src/store/token-cipher.ts';

export async function createAccountStore(): Promise<{ store: PostStore; userId: string }> {
  const cipher = await createTokenCipher(crypto.getRandomValues(new Uint8Array(32)));
  return { store: createMemoryPostStore({ cipher }), userId: crypto.randomUUID() };
}
