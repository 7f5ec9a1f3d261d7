/**
 * Rules both PostStore adapters share, so memory and Postgres cannot drift: input checks, the list
 * cursor, the attempt-log outcome of a settlement, the token cipher contexts, and the errors they
 * throw. Pure: no storage here.
 */
import { MAX_POST_TEXT_LENGTH, postTextLength } from '../domain/schedule-rules.ts';
import type {
  AccountStatus,
  AttemptOutcome,
  Post,
  PostStatus,
  PostTarget,
  TargetStatus,
} from '../domain/post.ts';
import { ACCOUNT_STATUSES, canTargetMove, POST_STATUSES } from '../domain/post.ts';
import type { AttemptDetails, ListPostsQuery, TargetSettlement } from './post-store.ts';
import { StoreError, storeError } from './post-store.ts';
import { fromBase64Url, toBase64Url } from './token-cipher.ts';

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;
export const DEFAULT_RECONCILE_LIMIT = 500;
/** post_target_attempts.error_message has a check of at most 2000 characters. */
export const MAX_ATTEMPT_MESSAGE_LENGTH = 2000;

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

export function postNotFound(id: string): StoreError {
  return storeError('post_not_found', `post ${id} does not exist or belongs to another user`, { postId: id });
}

export function accountNotFound(id: string): StoreError {
  return storeError(
    'account_not_found',
    `social account ${id} does not exist or belongs to another user; list the connected accounts and use one of their ids`,
    { accountId: id },
  );
}

export function postNotEditable(id: string, status: PostStatus): StoreError {
  return storeError(
    'post_not_editable',
    `post ${id} is ${status}: only a scheduled post can change; publishing has begun or the post is finished`,
    { postId: id, status },
  );
}

export function postNotRetryable(id: string, status: PostStatus): StoreError {
  return storeError(
    'post_not_editable',
    `post ${id} is ${status}: only a failed or partially published post can be retried`,
    { postId: id, status },
  );
}

export function nothingToRetry(id: string): StoreError {
  return storeError(
    'nothing_to_retry',
    `post ${id} has no failed target whose account is still connected; reconnect the account and schedule a new post`,
    { postId: id },
  );
}

export function versionConflict(id: string, expected: number, actual: number): StoreError {
  return storeError(
    'version_conflict',
    `post ${id} is at version ${actual}, not ${expected}: it changed since you read it; reload and apply the change again`,
    { postId: id, expectedVersion: expected, version: actual },
  );
}

export function claimLost(targetId: string, status: TargetStatus | null): StoreError {
  return storeError(
    'claim_lost',
    `target ${targetId} is no longer held by this claim (now ${
      status ?? 'gone'
    }); another worker or the reconciler took it`,
    { targetId, status },
  );
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

export interface ListCursor {
  /** ISO 8601 UTC, with microseconds when the database has them. */
  scheduledAt: string;
  id: string;
}

export interface NormalizedListQuery {
  status: PostStatus | null;
  from: Date | null;
  to: Date | null;
  limit: number;
  after: ListCursor | null;
}

/** The cursor is opaque to callers: base64url of `[scheduledAt, id]` of the last item of a page. */
export function encodeCursor(cursor: ListCursor): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify([cursor.scheduledAt, cursor.id])));
}

export function decodeCursor(text: string): ListCursor {
  const invalid = storeError(
    'validation_failed',
    'cursor is not one this API returned; pass nextCursor from the previous page, or omit it to start again',
    { path: 'cursor' },
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(fromBase64Url(text)));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid;
  const [scheduledAt, id] = parsed as unknown[];
  if (typeof scheduledAt !== 'string' || Number.isNaN(Date.parse(scheduledAt)) || !isUuid(id)) throw invalid;
  return { scheduledAt, id };
}

export function normalizeListQuery(query: ListPostsQuery = {}): NormalizedListQuery {
  const limit = query.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw storeError(
      'validation_failed',
      `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got ${limit}`,
      {
        path: 'limit',
      },
    );
  }
  if (query.status !== undefined && !(POST_STATUSES as readonly string[]).includes(query.status)) {
    throw storeError('validation_failed', `status must be one of ${POST_STATUSES.join(', ')}`, {
      path: 'status',
    });
  }
  return {
    status: query.status ?? null,
    from: query.from === undefined ? null : checkDate(query.from, 'from'),
    to: query.to === undefined ? null : checkDate(query.to, 'to'),
    limit,
    after: query.cursor === undefined ? null : decodeCursor(query.cursor),
  };
}

/** The attempt-log outcome of a settlement. */
export function attemptOutcomeOf(settlement: TargetSettlement): AttemptOutcome {
  switch (settlement.status) {
    case 'published':
      return settlement.outcome ?? 'published';
    case 'failed':
      return 'failed';
    case 'pending':
      return settlement.deferred ? 'deferred' : 'retrying';
    case 'unconfirmed':
      return 'unconfirmed';
  }
}

/** Throws invalid_transition unless a publishing target may move to the settlement's status. */
export function checkSettlement(targetId: string, settlement: TargetSettlement): void {
  const to = (settlement as { status: TargetStatus }).status;
  if (!canTargetMove('publishing', to)) {
    throw storeError(
      'invalid_transition',
      `target ${targetId} cannot move from publishing to ${String(to)}`,
      {
        targetId,
        from: 'publishing',
        to,
      },
    );
  }
  if (settlement.status === 'published' && !settlement.externalId) {
    throw storeError(
      'validation_failed',
      `a published settlement of target ${targetId} needs the platform's post id`,
      {
        targetId,
        path: 'externalId',
      },
    );
  }
  if (settlement.status === 'pending') checkDate(settlement.nextAttemptAt, 'nextAttemptAt');
}

export function truncateMessage(message: string | null): string | null {
  if (message === null || message.length <= MAX_ATTEMPT_MESSAGE_LENGTH) return message;
  return `${message.slice(0, MAX_ATTEMPT_MESSAGE_LENGTH - 1)}…`;
}

/** Additional data bound into each token ciphertext: a value copied to another row or column fails. */
export function accessTokenContext(accountId: string): string {
  return `${accountId}:access_token`;
}

export function refreshTokenContext(accountId: string): string {
  return `${accountId}:refresh_token`;
}

/** Turns the cipher's failure into a StoreError naming the account. */
export function tokenDecryptFailed(accountId: string, cause: unknown): StoreError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(
    'token_decrypt_failed',
    `tokens of social account ${accountId} cannot be decrypted: ${reason}`,
    { accountId },
    { cause },
  );
}

/** The target fields a settlement sets (besides attempts and the claim, which the adapter handles). */
export function settledFields(settlement: TargetSettlement, attempt: AttemptDetails): Partial<PostTarget> {
  switch (settlement.status) {
    case 'published':
      return {
        status: 'published',
        externalId: settlement.externalId,
        externalUrl: settlement.externalUrl,
        publishedAt: new Date(attempt.finishedAt),
        nextAttemptAt: null,
        errorCode: null,
        errorMessage: null,
      };
    case 'pending':
      return {
        status: 'pending',
        nextAttemptAt: new Date(settlement.nextAttemptAt),
        errorCode: settlement.errorCode,
        errorMessage: settlement.errorMessage,
      };
    case 'failed':
    case 'unconfirmed':
      return {
        status: settlement.status,
        nextAttemptAt: null,
        errorCode: settlement.errorCode,
        errorMessage: settlement.errorMessage,
      };
  }
}

/**
 * The post's published_at (latest target's) and error fields (first failed target's, else first
 * unconfirmed one's) once its targets settle into `status`.
 */
export function rolledUpFields(status: Post['status'], list: readonly PostTarget[]): Partial<Post> {
  const published = list.filter((t) => t.status === 'published' && t.publishedAt !== null);
  const latest = published.reduce<Date | null>(
    (max, t) => (max === null || t.publishedAt! > max ? t.publishedAt! : max),
    null,
  );
  const failing = status === 'published'
    ? undefined
    : list.find((t) => t.status === 'failed') ?? list.find((t) => t.status === 'unconfirmed');
  return {
    publishedAt: latest ? new Date(latest) : null,
    errorCode: failing?.errorCode ?? null,
    errorMessage: failing?.errorMessage ?? null,
  };
}
