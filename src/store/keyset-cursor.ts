/**
 * The opaque page cursor both lists share (GET /posts, GET /notification-endpoints): base64url of
 * `[instant, id]` of a page's last row, the keyset the next page starts after. Decoding accepts only
 * what encoding writes, so a crafted cursor is a 422 on both stores, never a database error. Pure.
 */
import { isUuid } from './input-checks.ts';
import { storeError } from './store-errors.ts';
import { fromBase64Url, toBase64Url } from './token-cipher.ts';

export interface KeysetCursor {
  /** ISO 8601 UTC, with microseconds when the database has them. */
  at: string;
  id: string;
}

export function encodeKeysetCursor(cursor: KeysetCursor): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify([cursor.at, cursor.id])));
}

export function decodeKeysetCursor(text: string): KeysetCursor {
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
  const [at, id] = parsed as unknown[];
  if (!isCursorInstant(at) || !isUuid(id)) throw invalid;
  return { at, id };
}

/** What encodeKeysetCursor is given: `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, with up to microseconds. */
const CURSOR_INSTANT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d{1,6})?Z$/;

/**
 * Only the form the adapters write, naming a real instant from year 1 to 9999: Date.parse alone
 * accepts text (`March 7 2030`, 2026-02-30, year 0, extended years) that Postgres refuses as a
 * timestamptz, so a crafted cursor would be a database error on one store and a page on the other.
 */
function isCursorInstant(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = CURSOR_INSTANT.exec(value);
  if (!match || match[1]!.startsWith('0000')) return false;
  const ms = Date.parse(value);
  return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(match[1]!);
}
