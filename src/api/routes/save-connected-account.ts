/**
 * Storing the account an OAuth callback connected: a new account, or one connected before (same
 * platform and external id) given its new tokens and made `active` again.
 */
import { hasErrorCode } from '../../domain/error-codes.ts';
import type { Platform } from '../../domain/platform.ts';
import type { SocialAccount } from '../../domain/post.ts';
import type { ConnectedAccount } from '../../platforms/publisher.ts';
import type { PostStore } from '../../store/post-store.ts';

/** Creates the account, or gives an account connected before its new tokens and `active` again. */
export async function saveConnectedAccount(
  store: PostStore,
  userId: string,
  platform: Platform,
  connected: ConnectedAccount,
): Promise<{ account: SocialAccount; created: boolean }> {
  for (let attempt = 0;; attempt++) {
    const existing = (await store.listAccounts(userId)).find((a) =>
      a.platform === platform && a.externalId === connected.externalId
    );
    if (existing) {
      await store.updateAccountTokens(existing.id, connected.tokens);
      if (existing.status !== 'active') await store.setAccountStatus(existing.id, 'active');
      return { account: (await store.getAccount(existing.id, userId)) ?? existing, created: false };
    }
    try {
      const account = await store.createAccount({
        userId,
        platform,
        externalId: connected.externalId,
        displayName: connected.displayName,
        scopes: connected.scopes,
        tokens: connected.tokens,
      });
      return { account, created: true };
    } catch (err) {
      // A concurrent callback for the same account won the insert: update that one instead.
      if (!hasErrorCode(err, 'account_conflict') || attempt > 0) throw err;
    }
  }
}
