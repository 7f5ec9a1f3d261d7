/**
 * The `listPosts` query as both adapters read it: limits, filters and the opaque keyset cursor
 * (`[scheduledAt, id]` of a page's last post). Pure.
 */
import type { PostStatus } from '../domain/post.ts';
import { POST_STATUSES } from '../domain/post.ts';
import { checkDate, isUuid } from './input-checks.ts';
import type { ListPostsQuery } from './posts-and-targets.ts';
import { storeError } from './store-errors.ts';
import { fromBase64Url, toBase64Url } from './token-cipher.ts';

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

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
  if (!isCursorInstant(scheduledAt) || !isUuid(id)) throw invalid;
  return { scheduledAt, id };
}

/** What encodeCursor writes: `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, with up to microseconds. */
const CURSOR_INSTANT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d{1,6})?Z$/;

/**
 * Only the form both adapters write, naming a real instant from year 1 to 9999: Date.parse alone
 * accepts text (`March 7 2030`, year 0, extended years) that Postgres refuses as a timestamptz, so a
 * crafted cursor would be a database error on one store and a page on the other.
 */
function isCursorInstant(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = CURSOR_INSTANT.exec(value);
  if (!match || match[1]!.startsWith('0000')) return false;
  const ms = Date.parse(value);
  return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(match[1]!);
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
