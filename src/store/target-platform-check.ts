/**
 * The check both store adapters make when a new post names the platforms its content is valid for
 * (NewPost.platforms): each target account must be on one of them. Pure.
 */
import type { Platform } from '../domain/platform.ts';
import { storeError } from './store-errors.ts';

/** Throws content_invalid naming the first account whose platform is not in `allowed`. */
export function checkTargetPlatforms(
  accounts: readonly { id: string; platform: Platform }[],
  allowed: readonly Platform[] | undefined,
): void {
  if (allowed === undefined) return;
  for (const account of accounts) {
    if (!allowed.includes(account.platform)) {
      throw storeError(
        'content_invalid',
        `the content does not meet the rules of ${account.platform}, the platform of account ${account.id}; ` +
          `change it or leave that account out`,
        { path: 'accountIds', accountId: account.id, platform: account.platform },
      );
    }
  }
}
