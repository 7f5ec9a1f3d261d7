/**
 * The `listPosts` query as both adapters read it: limits, filters and the opaque keyset cursor
 * (`[scheduledAt, id]` of a page's last post). Pure.
 */
import type { PostStatus } from '../domain/post.ts';
import { POST_STATUSES } from '../domain/post.ts';
import { checkDate } from './input-checks.ts';
import type { ListPostsQuery } from './posts-and-targets.ts';
import { storeError } from './store-errors.ts';
import { decodeKeysetCursor, encodeKeysetCursor } from './keyset-cursor.ts';

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
  return encodeKeysetCursor({ at: cursor.scheduledAt, id: cursor.id });
}

export function decodeCursor(text: string): ListCursor {
  const { at, id } = decodeKeysetCursor(text);
  return { scheduledAt: at, id };
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
