/**
 * Input checks both store adapters run before touching storage, so memory and Postgres refuse the
 * same inputs with the same validation_failed (or not-found) error. Pure.
 */
import type { AccountStatus } from '../domain/post.ts';
import { ACCOUNT_STATUSES } from '../domain/post.ts';
import { MAX_POST_TEXT_LENGTH, postTextLength } from '../domain/schedule-rules.ts';
import { accountNotFound, storeError } from './store-errors.ts';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids arrive from URLs and job data; anything that is not a uuid names no row. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

/** Owners are Supabase auth users: their ids are uuids in both adapters. */
export function checkUserId(userId: string): void {
  if (!isUuid(userId)) {
    throw storeError(
      'validation_failed',
      `userId must be a uuid (a Supabase auth user id), got ${JSON.stringify(userId)}`,
      {
        path: 'userId',
      },
    );
  }
}

/** Orders uuids as Postgres does (lowercase hex compares like the bytes). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Checks the account ids of a new post or an edit: at least one, no repeats, all uuids. */
export function checkAccountIds(accountIds: readonly string[]): void {
  if (!Array.isArray(accountIds) || accountIds.length === 0) {
    throw storeError(
      'validation_failed',
      'a post needs at least one account to publish to; pass accountIds',
      {
        path: 'accountIds',
      },
    );
  }
  const seen = new Set<string>();
  for (const id of accountIds) {
    if (seen.has(id)) {
      throw storeError(
        'validation_failed',
        `account ${id} is listed twice in accountIds; list each account once`,
        {
          path: 'accountIds',
          accountId: id,
        },
      );
    }
    seen.add(id);
  }
}

/** Throws unless every account was found for the user and is active. */
export function checkTargetAccounts(
  accountIds: readonly string[],
  found: ReadonlyMap<string, { status: AccountStatus }>,
): void {
  for (const id of accountIds) {
    const account = found.get(id);
    if (!account) throw accountNotFound(id);
    if (account.status !== 'active') {
      throw storeError(
        'validation_failed',
        `social account ${id} is ${account.status}: reconnect it before scheduling posts to it`,
        { path: 'accountIds', accountId: id, status: account.status },
      );
    }
  }
}

/** The storage limits of a post's content (the API applies the stricter per-platform rules first). */
export function checkPostContent(text: unknown, media: unknown): void {
  if (text !== undefined && (typeof text !== 'string' || postTextLength(text) > MAX_POST_TEXT_LENGTH)) {
    throw storeError(
      'validation_failed',
      `text must be a string of at most ${MAX_POST_TEXT_LENGTH} characters`,
      {
        path: 'text',
      },
    );
  }
  if (media !== undefined && !Array.isArray(media)) {
    throw storeError('validation_failed', 'media must be an array of { url, altText? }', { path: 'media' });
  }
}

export function checkDate(value: unknown, path: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw storeError('validation_failed', `${path} must be a valid Date`, { path });
  }
  return value;
}

/** A non-negative finite number of milliseconds. */
export function checkDuration(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw storeError('validation_failed', `${path} must be a non-negative number of milliseconds`, {
      path,
      value,
    });
  }
  return value;
}

export function checkAccountStatus(status: unknown): AccountStatus {
  if (!(ACCOUNT_STATUSES as readonly unknown[]).includes(status)) {
    throw storeError('validation_failed', `account status must be one of ${ACCOUNT_STATUSES.join(', ')}`, {
      status,
    });
  }
  return status as AccountStatus;
}
