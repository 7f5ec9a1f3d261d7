/**
 * Paging GET /notification-endpoints as GET /posts pages (list-cursor.ts): a limit of 1..100
 * (default 20) and an opaque keyset cursor, base64url of `[createdAt, id]` of a page's last endpoint
 * (oldest first), so a page never skips or repeats a row when others are added or removed. Both
 * notification stores read the query here. Pure.
 */
import type { EndpointQuery } from './notification-store.ts';
import { storeError } from './store-errors.ts';
import { decodeKeysetCursor, encodeKeysetCursor } from './keyset-cursor.ts';

export const DEFAULT_ENDPOINT_PAGE = 20;
export const MAX_ENDPOINT_PAGE = 100;

export interface EndpointCursor {
  /** ISO 8601 UTC, with microseconds when the database has them. */
  createdAt: string;
  id: string;
}

export interface NormalizedEndpointQuery {
  limit: number;
  after: EndpointCursor | null;
}

export function encodeEndpointCursor(cursor: EndpointCursor): string {
  return encodeKeysetCursor({ at: cursor.createdAt, id: cursor.id });
}

export function normalizeEndpointQuery(query: EndpointQuery = {}): NormalizedEndpointQuery {
  const limit = query.limit ?? DEFAULT_ENDPOINT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ENDPOINT_PAGE) {
    throw storeError(
      'validation_failed',
      `limit must be a whole number from 1 to ${MAX_ENDPOINT_PAGE}, got ${limit}`,
      { path: 'limit' },
    );
  }
  return { limit, after: query.cursor === undefined ? null : decodeEndpointCursor(query.cursor) };
}

function decodeEndpointCursor(text: string): EndpointCursor {
  const { at, id } = decodeKeysetCursor(text);
  return { createdAt: at, id };
}
