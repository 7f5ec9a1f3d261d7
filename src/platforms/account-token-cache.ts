/**
 * Decrypted tokens per account, kept briefly in this process so that publishing does not read and
 * decrypt (AES-GCM through WebCrypto, slow on Node) the same account's tokens for every target.
 *
 * Invalidation: an entry is tied to the version of the account row it was read under — `updatedAt`
 * (which every token update or status change moves: Postgres `set_updated_at` trigger, the memory
 * store's own stamp), `refreshedAt`, `tokenExpiresAt` and `status`. Callers pass the account they
 * just read, so after a refresh or a token update anywhere a fresh read of the account misses the cache
 * and reads the store again. Tokens are read *after* the account, so an entry is never older than the
 * row version it is filed under. As a backstop (two updates inside one millisecond), entries expire
 * after `maxAgeMs`; and a platform's 401 goes through `refreshAfterRejection`, which forgets the entry
 * and reads the store.
 *
 * The tokens never leave this map except to their caller: nothing here logs, and the cache is bounded.
 */
import type { AccountTokens, SocialAccount } from '../domain/post.ts';

/** How long decrypted tokens stay cached. (Default: 30 000 ms) */
export const TOKEN_CACHE_MAX_AGE_MS = 30_000;
/** Accounts kept at most; the oldest entry goes first. (Default: 1000) */
export const TOKEN_CACHE_MAX_ENTRIES = 1000;

export interface AccountTokenCache {
  /** The cached tokens for this version of the account, or undefined. */
  get(account: SocialAccount): AccountTokens | undefined;
  /** Files `tokens`, read after `account`, under that account version; returns them. */
  put(account: SocialAccount, tokens: AccountTokens): AccountTokens;
  /** Drops the account's entry (its tokens were refreshed or rejected). */
  forget(accountId: string): void;
}

export interface AccountTokenCacheOptions {
  /** (Default: TOKEN_CACHE_MAX_AGE_MS) */
  maxAgeMs?: number;
  /** (Default: TOKEN_CACHE_MAX_ENTRIES) */
  maxEntries?: number;
  /** Clock in ms. (Default: Date.now) */
  nowMs?: () => number;
}

interface Entry {
  version: string;
  updatedAtMs: number;
  storedAtMs: number;
  tokens: AccountTokens;
}

export function createAccountTokenCache(options: AccountTokenCacheOptions = {}): AccountTokenCache {
  const maxAgeMs = options.maxAgeMs ?? TOKEN_CACHE_MAX_AGE_MS;
  const maxEntries = options.maxEntries ?? TOKEN_CACHE_MAX_ENTRIES;
  const nowMs = options.nowMs ?? Date.now;
  const entries = new Map<string, Entry>();

  return {
    get(account) {
      const entry = entries.get(account.id);
      if (!entry) return undefined;
      if (nowMs() - entry.storedAtMs > maxAgeMs) {
        entries.delete(account.id);
        return undefined;
      }
      return entry.version === versionOf(account) ? copyTokens(entry.tokens) : undefined;
    },
    put(account, tokens) {
      const existing = entries.get(account.id);
      // A caller holding an older read of the account must not replace a newer entry.
      if (!existing || existing.updatedAtMs <= account.updatedAt.getTime()) {
        entries.delete(account.id);
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(account.id, {
          version: versionOf(account),
          updatedAtMs: account.updatedAt.getTime(),
          storedAtMs: nowMs(),
          tokens: copyTokens(tokens),
        });
      }
      return tokens;
    },
    forget(accountId) {
      entries.delete(accountId);
    },
  };
}

function versionOf(account: SocialAccount): string {
  return `${account.updatedAt.getTime()}|${account.refreshedAt?.getTime() ?? ''}|` +
    `${account.tokenExpiresAt?.getTime() ?? ''}|${account.status}`;
}

function copyTokens(tokens: AccountTokens): AccountTokens {
  return { ...tokens, expiresAt: tokens.expiresAt ? new Date(tokens.expiresAt) : null };
}
