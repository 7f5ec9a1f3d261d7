/**
 * Paging GET /notification-endpoints as GET /posts pages (list-cursor.ts): a limit of 1..100
 * (default 20) and an opaque keyset cursor, base64url of `[createdAt, id]` of a page's last endpoint
 * (oldest first), so a page never skips or repeats a row when others are added or removed. Both
 * notification stores read the query here. Pure.
 */
import { isUuid } from './input-checks.ts';
import type { EndpointQuery } from './notification-store.ts';
import { storeError } from './store-errors.ts';
import { fromBase64Url, toBase64Url } from './token-cipher.ts';

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
  return toBase64Url(new TextEncoder().encode(JSON.stringify([cursor.createdAt, cursor.id])));
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
  const invalid = storeError(
    'validation_failed',
    'cursor is not one this API returned; pass nextCursor from the previous page, or omit it to start again',
    { path: 'cursor' },
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(text)));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid;
  const [createdAt, id] = parsed as unknown[];
  if (typeof createdAt !== 'string' || !isInstant(createdAt) || !isUuid(id)) throw invalid;
  return { createdAt, id };
}

/** An ISO 8601 UTC instant that names a real date (Postgres refuses 2026-02-30; Date.parse does not). */
function isInstant(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(text)) return false;
  const parsed = new Date(text);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 19) === text.slice(0, 19);
}
