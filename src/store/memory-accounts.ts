// deno-lint-ignore-file require-await -- methods stay async so a failed check rejects instead of throwing synchronously
/**
 * The in-memory AccountStore (account-store.ts). Tokens are encrypted with the same cipher and
 * contexts as in Postgres, so a test against memory exercises the real encryption. Checks and
 * changes happen with no `await` between them (see memory-posts.ts on atomicity).
 */
import type { AccountTokens, SocialAccount } from '../domain/post.ts';
import type { AccountStore, NewAccount } from './account-store.ts';
import { checkAccountStatus, checkUserId, compareIds, isUuid } from './input-checks.ts';
import { accountNotFound, storeError, tokenDecryptFailed } from './store-errors.ts';
import { checkStorableAccountText } from './storable-text-checks.ts';
import type { TokenCipher } from './token-cipher.ts';
import { accessTokenContext, refreshTokenContext } from './token-contexts.ts';

export interface AccountRow extends SocialAccount {
  accessTokenCiphertext: string;
  refreshTokenCiphertext: string | null;
  tokenKeyId: string;
}

export interface MemoryAccounts {
  store: AccountStore;
  /** The stored row (not a copy), for the posts adapter's own checks (memory-posts.ts). */
  find(id: string): AccountRow | undefined;
}

export function createMemoryAccountStore(options: {
  cipher: TokenCipher;
  now: () => Date;
  /** Called after an account is deleted, so targets can keep their history with accountId null. */
  onDeleted: (accountId: string) => void;
}): MemoryAccounts {
  const { cipher, now, onDeleted } = options;
  const accounts = new Map<string, AccountRow>();

  function accountRow(accountId: string): AccountRow {
    const row = isUuid(accountId) ? accounts.get(accountId) : undefined;
    if (!row) throw accountNotFound(accountId);
    return row;
  }

  async function decryptRefreshToken(row: AccountRow): Promise<string | null> {
    if (row.refreshTokenCiphertext === null) return null;
    try {
      return await cipher.decrypt(row.refreshTokenCiphertext, refreshTokenContext(row.id));
    } catch (cause) {
      throw tokenDecryptFailed(row.id, cause);
    }
  }

  const store: AccountStore = {
    async createAccount(input: NewAccount): Promise<SocialAccount> {
      checkUserId(input.userId);
      checkStorableAccountText(input);
      const id = crypto.randomUUID();
      const accessTokenCiphertext = await cipher.encrypt(input.tokens.accessToken, accessTokenContext(id));
      const refreshTokenCiphertext = input.tokens.refreshToken === null
        ? null
        : await cipher.encrypt(input.tokens.refreshToken, refreshTokenContext(id));
      // Checked after the awaits, with none before the insert: the uniqueness check is atomic.
      for (const other of accounts.values()) {
        if (
          other.userId === input.userId && other.platform === input.platform &&
          other.externalId === input.externalId
        ) {
          throw accountConflict(input);
        }
      }
      const at = now();
      const row: AccountRow = {
        id,
        userId: input.userId,
        platform: input.platform,
        externalId: input.externalId,
        displayName: input.displayName ?? null,
        status: 'active',
        scopes: [...(input.scopes ?? [])],
        tokenExpiresAt: input.tokens.expiresAt ? new Date(input.tokens.expiresAt) : null,
        refreshedAt: null,
        createdAt: new Date(at),
        updatedAt: new Date(at),
        accessTokenCiphertext,
        refreshTokenCiphertext,
        tokenKeyId: cipher.keyId,
      };
      accounts.set(id, row);
      return publicAccount(row);
    },

    async getAccount(id: string, userId?: string): Promise<SocialAccount | null> {
      const row = isUuid(id) ? accounts.get(id) : undefined;
      if (!row || (userId !== undefined && row.userId !== userId)) return null;
      return publicAccount(row);
    },

    async listAccounts(userId: string): Promise<SocialAccount[]> {
      return [...accounts.values()]
        .filter((a) => a.userId === userId)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || compareIds(a.id, b.id))
        .map(publicAccount);
    },

    async deleteAccount(id: string, userId: string): Promise<boolean> {
      const row = isUuid(id) ? accounts.get(id) : undefined;
      if (!row || row.userId !== userId) return false;
      accounts.delete(id);
      onDeleted(id);
      return true;
    },

    async getAccountTokens(accountId: string): Promise<AccountTokens> {
      const row = accountRow(accountId);
      let accessToken: string;
      try {
        accessToken = await cipher.decrypt(row.accessTokenCiphertext, accessTokenContext(row.id));
      } catch (cause) {
        throw tokenDecryptFailed(row.id, cause);
      }
      return {
        accessToken,
        refreshToken: await decryptRefreshToken(row),
        expiresAt: row.tokenExpiresAt ? new Date(row.tokenExpiresAt) : null,
      };
    },

    async updateAccountTokens(accountId: string, tokens: AccountTokens, expectedRefreshToken?: string) {
      // Re-run when another update changed the row while this one awaited the cipher.
      for (;;) {
        const row = accountRow(accountId);
        const seen = row.refreshTokenCiphertext;
        if (expectedRefreshToken !== undefined) {
          const current = await decryptRefreshToken(row);
          if (current !== expectedRefreshToken) return false;
        }
        const access = await cipher.encrypt(tokens.accessToken, accessTokenContext(accountId));
        const refresh = tokens.refreshToken === null
          ? null
          : await cipher.encrypt(tokens.refreshToken, refreshTokenContext(accountId));
        const latest = accounts.get(accountId);
        if (!latest) throw accountNotFound(accountId);
        if (latest !== row || latest.refreshTokenCiphertext !== seen) continue;
        const at = now();
        Object.assign(row, {
          accessTokenCiphertext: access,
          refreshTokenCiphertext: refresh,
          tokenKeyId: cipher.keyId,
          tokenExpiresAt: tokens.expiresAt ? new Date(tokens.expiresAt) : null,
          refreshedAt: new Date(at),
          status: 'active',
          updatedAt: new Date(at),
        });
        return true;
      }
    },

    async setAccountStatus(accountId: string, status) {
      checkAccountStatus(status);
      const row = accountRow(accountId);
      Object.assign(row, { status, updatedAt: now() });
    },
  };
  return { store, find: (id) => accounts.get(id) };
}

function accountConflict(input: NewAccount) {
  return storeError(
    'account_conflict',
    `the ${input.platform} account ${input.externalId} is already connected for this user; ` +
      'update its tokens or delete it first',
    { platform: input.platform, externalId: input.externalId },
  );
}

/** The account as the store hands it out: a copy, without the token ciphertexts. */
export function publicAccount(row: AccountRow): SocialAccount {
  const { accessTokenCiphertext: _a, refreshTokenCiphertext: _r, tokenKeyId: _k, ...account } = row;
  // A copy the caller may change freely; field by field, as structuredClone cost more than the rest
  // of a publish on the worker's hot path (the claim returns the account of every target).
  return {
    ...account,
    scopes: [...account.scopes],
    tokenExpiresAt: copyDate(account.tokenExpiresAt),
    refreshedAt: copyDate(account.refreshedAt),
    createdAt: new Date(account.createdAt.getTime()),
    updatedAt: new Date(account.updatedAt.getTime()),
  };
}

function copyDate(value: Date | null): Date | null {
  return value === null ? null : new Date(value.getTime());
}
