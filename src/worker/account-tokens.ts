/**
 * Where the worker gets an account's tokens. The token provider (src/platforms/token-provider.ts)
 * refreshes expiring tokens once per account and can refresh after a platform rejected them; without
 * it, tokens come from the store (cached per account version, see account-token-cache.ts) and a
 * rejection is final.
 */
import type { AccountTokens, SocialAccount } from '../domain/post.ts';
import { createAccountTokenCache } from '../platforms/account-token-cache.ts';
import type { PostStore } from '../store/post-store.ts';

export interface AccountTokenSource {
  /** Usable tokens for the account (refreshed first if they are about to expire). Throws PublishError. */
  tokensFor(account: SocialAccount, signal: AbortSignal): Promise<AccountTokens>;
  /** New tokens after the platform rejected `rejected` as expired; throws PublishError when that fails. */
  refreshAfterRejection?(
    account: SocialAccount,
    rejected: AccountTokens,
    signal: AbortSignal,
  ): Promise<AccountTokens>;
}

export function createStoreTokenSource(store: PostStore): AccountTokenSource {
  const cache = createAccountTokenCache();
  return {
    async tokensFor(account) {
      return cache.get(account) ?? cache.put(account, await store.getAccountTokens(account.id));
    },
  };
}
