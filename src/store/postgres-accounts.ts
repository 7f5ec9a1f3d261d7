/**
 * The Postgres AccountStore (account-store.ts): rows in public.social_accounts with their tokens
 * encrypted in TypeScript before the INSERT (the account id is generated here, so the cipher context
 * `<id>:access_token` is known). The ciphertext columns are read only by `getAccountTokens` and
 * `updateAccountTokens`; every other read selects ACCOUNT_COLUMNS.
 */
import type postgres from 'postgres';
import type { AccountTokens, SocialAccount } from '../domain/post.ts';
import type { AccountStore, NewAccount } from './account-store.ts';
import { checkAccountStatus, checkUserId, isUuid } from './input-checks.ts';
import type { AccountRow, AccountSecretRow } from './postgres-rows.ts';
import { toAccount } from './postgres-rows.ts';
import { accountNotFound, storeError, tokenDecryptFailed } from './store-errors.ts';
import { checkStorableAccountText } from './storable-text-checks.ts';
import type { TokenCipher } from './token-cipher.ts';
import { accessTokenContext, refreshTokenContext } from './token-contexts.ts';

const ACCOUNT_COLUMNS = [
  'id',
  'user_id',
  'platform',
  'external_id',
  'display_name',
  'status',
  'scopes',
  'token_expires_at',
  'refreshed_at',
  'created_at',
  'updated_at',
];

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const CHECK_VIOLATION = '23514';

export function createPostgresAccountStore(
  options: { sql: postgres.Sql; cipher: TokenCipher; now: () => Date },
): AccountStore {
  const { sql, cipher, now } = options;

  /** `sql.begin` keeping the callback's result type (postgres.js widens it through UnwrapPromiseArray). */
  function transaction<T>(fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
    return sql.begin(fn) as Promise<T>;
  }

  async function decryptRefreshToken(row: AccountSecretRow): Promise<string | null> {
    if (row.refresh_token_ciphertext === null) return null;
    try {
      return await cipher.decrypt(row.refresh_token_ciphertext, refreshTokenContext(row.id));
    } catch (cause) {
      throw tokenDecryptFailed(row.id, cause);
    }
  }

  async function encryptTokens(accountId: string, tokens: AccountTokens) {
    return {
      access: await cipher.encrypt(tokens.accessToken, accessTokenContext(accountId)),
      refresh: tokens.refreshToken === null
        ? null
        : await cipher.encrypt(tokens.refreshToken, refreshTokenContext(accountId)),
    };
  }

  return {
    async createAccount(input: NewAccount): Promise<SocialAccount> {
      checkUserId(input.userId);
      checkStorableAccountText(input);
      const id = crypto.randomUUID();
      const sealed = await encryptTokens(id, input.tokens);
      try {
        const [row] = await sql<AccountRow[]>`
          insert into public.social_accounts
            (id, user_id, platform, external_id, display_name, scopes, access_token_ciphertext,
             refresh_token_ciphertext, token_key_id, token_expires_at)
          values (${id}, ${input.userId}, ${input.platform}, ${input.externalId}, ${
          input.displayName ?? null
        },
                  ${input.scopes ?? []}::text[], ${sealed.access}, ${sealed.refresh}, ${cipher.keyId},
                  ${input.tokens.expiresAt})
          returning ${sql(ACCOUNT_COLUMNS)}`;
        return toAccount(row!);
      } catch (err) {
        throw accountWriteError(err, input);
      }
    },

    async getAccount(id: string, userId?: string): Promise<SocialAccount | null> {
      if (!isUuid(id) || (userId !== undefined && !isUuid(userId))) return null;
      const [row] = userId === undefined
        ? await sql<AccountRow[]>`select ${sql(ACCOUNT_COLUMNS)} from public.social_accounts where id = ${id}`
        : await sql<AccountRow[]>`
            select ${
          sql(ACCOUNT_COLUMNS)
        } from public.social_accounts where id = ${id} and user_id = ${userId}`;
      return row ? toAccount(row) : null;
    },

    async listAccounts(userId: string): Promise<SocialAccount[]> {
      if (!isUuid(userId)) return [];
      const rows = await sql<AccountRow[]>`
        select ${sql(ACCOUNT_COLUMNS)} from public.social_accounts where user_id = ${userId}
        order by created_at, id`;
      return rows.map(toAccount);
    },

    async deleteAccount(id: string, userId: string): Promise<boolean> {
      if (!isUuid(id) || !isUuid(userId)) return false;
      // post_targets.account_id is `on delete set null`: targets keep their history.
      const rows =
        await sql`delete from public.social_accounts where id = ${id} and user_id = ${userId} returning id`;
      return rows.length === 1;
    },

    async getAccountTokens(accountId: string): Promise<AccountTokens> {
      if (!isUuid(accountId)) throw accountNotFound(accountId);
      const [row] = await sql<AccountSecretRow[]>`
        select id, access_token_ciphertext, refresh_token_ciphertext, token_expires_at
        from public.social_accounts where id = ${accountId}`;
      if (!row) throw accountNotFound(accountId);
      let accessToken: string;
      try {
        accessToken = await cipher.decrypt(row.access_token_ciphertext, accessTokenContext(row.id));
      } catch (cause) {
        throw tokenDecryptFailed(row.id, cause);
      }
      return { accessToken, refreshToken: await decryptRefreshToken(row), expiresAt: row.token_expires_at };
    },

    async updateAccountTokens(accountId: string, tokens: AccountTokens, expectedRefreshToken?: string) {
      if (!isUuid(accountId)) throw accountNotFound(accountId);
      const sealed = await encryptTokens(accountId, tokens);
      return await transaction(async (tx) => {
        // The row lock makes decrypt-compare-write one step: a second refresher waits here, then sees
        // the winner's refresh token and gets false.
        const [row] = await tx<AccountSecretRow[]>`
          select id, access_token_ciphertext, refresh_token_ciphertext, token_expires_at
          from public.social_accounts where id = ${accountId}
          for update`;
        if (!row) throw accountNotFound(accountId);
        if (expectedRefreshToken !== undefined && (await decryptRefreshToken(row)) !== expectedRefreshToken) {
          return false;
        }
        await tx`
          update public.social_accounts
          set access_token_ciphertext = ${sealed.access}, refresh_token_ciphertext = ${sealed.refresh},
              token_key_id = ${cipher.keyId}, token_expires_at = ${tokens.expiresAt},
              refreshed_at = ${now()}, status = 'active'
          where id = ${accountId}`;
        return true;
      });
    },

    async setAccountStatus(accountId: string, status) {
      checkAccountStatus(status);
      if (!isUuid(accountId)) throw accountNotFound(accountId);
      const rows =
        await sql`update public.social_accounts set status = ${status} where id = ${accountId} returning id`;
      if (rows.length === 0) throw accountNotFound(accountId);
    },
  };
}

/** Turns constraint violations on insert into codes a person can act on. */
function accountWriteError(err: unknown, input: NewAccount): Error {
  const code = (err as { code?: unknown }).code;
  if (code === UNIQUE_VIOLATION) {
    return storeError(
      'account_conflict',
      `the ${input.platform} account ${input.externalId} is already connected for this user; ` +
        'update its tokens or delete it first',
      { platform: input.platform, externalId: input.externalId },
    );
  }
  if (code === FOREIGN_KEY_VIOLATION) {
    return storeError(
      'validation_failed',
      `user ${input.userId} does not exist in auth.users; sign the user up (or create them in Supabase Auth) first`,
      { path: 'userId', userId: input.userId },
    );
  }
  if (code === CHECK_VIOLATION) {
    return storeError(
      'validation_failed',
      `the account was refused by a database check: ${(err as Error).message}`,
      {
        constraint: (err as { constraint_name?: string }).constraint_name,
      },
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}
