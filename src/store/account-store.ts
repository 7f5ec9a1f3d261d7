/**
 * The account port: connected social accounts and their platform tokens. Tokens are encrypted before
 * they reach storage and decrypted only by `getAccountTokens`. Adapters: postgres-accounts.ts and
 * memory-accounts.ts; contract: tests/contract/accounts.contract.ts.
 */
import type { AccountStatus, AccountTokens, SocialAccount } from '../domain/post.ts';
import type { Platform } from '../domain/platform.ts';

export interface NewAccount {
  userId: string;
  platform: Platform;
  externalId: string;
  displayName?: string | null;
  scopes?: string[];
  tokens: AccountTokens;
}

export interface AccountStore {
  createAccount(input: NewAccount): Promise<SocialAccount>;
  getAccount(id: string, userId?: string): Promise<SocialAccount | null>;
  listAccounts(userId: string): Promise<SocialAccount[]>;
  /** Deletes the account and its tokens; targets keep their history with accountId null. */
  deleteAccount(id: string, userId: string): Promise<boolean>;
  /** Decrypted tokens, for the platform call only. Throws token_decrypt_failed on a bad key. */
  getAccountTokens(accountId: string): Promise<AccountTokens>;
  /**
   * Stores new tokens atomically. With `expectedRefreshToken`, only if the stored refresh token is
   * still that one (rotating refresh tokens: exactly one refresher wins); returns false otherwise.
   */
  updateAccountTokens(
    accountId: string,
    tokens: AccountTokens,
    expectedRefreshToken?: string,
  ): Promise<boolean>;
  setAccountStatus(accountId: string, status: AccountStatus): Promise<void>;
}
