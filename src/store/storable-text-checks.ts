/**
 * The free text both store adapters refuse before touching storage: a NUL character or a lone
 * surrogate (src/domain/storable-text.ts). Postgres cannot store either as sent while the memory
 * store could, so without this check the two would drift — memory keeping what Postgres answers with a
 * database error. The API refuses the same text first (422 naming the field); this is the store's own
 * guarantee for every other caller (scripts, the OAuth callback's platform profile). Pure.
 */
import { storableTextProblem } from '../domain/storable-text.ts';
import type { MediaItem } from '../domain/post.ts';
import { storeError } from './store-errors.ts';

/** Throws validation_failed naming `path` unless `value` (when a string) can be stored as it is. */
export function checkStorableText(value: unknown, path: string): void {
  if (typeof value !== 'string') return;
  const problem = storableTextProblem(value);
  if (problem !== null) throw storeError('validation_failed', `${path} ${problem}`, { path });
}

/** A post's text and each media item's url and altText (createPost, updatePost). */
export function checkStorablePostContent(text: unknown, media: unknown): void {
  checkStorableText(text, 'text');
  if (!Array.isArray(media)) return;
  for (const [i, item] of (media as Partial<MediaItem>[]).entries()) {
    checkStorableText(item?.url, `media[${i}].url`);
    checkStorableText(item?.altText, `media[${i}].altText`);
  }
}

/** social_accounts' checks: external_id 1-200 and display_name at most 200 characters. */
const MAX_ACCOUNT_TEXT_LENGTH = 200;

/**
 * The text of a new account: external id, display name and scopes, with the lengths the database
 * allows (counted in code points, as Postgres' length() counts them).
 */
export function checkStorableAccountText(
  input: { externalId: unknown; displayName?: unknown; scopes?: unknown },
): void {
  checkStorableText(input.externalId, 'externalId');
  checkStorableText(input.displayName, 'displayName');
  const externalIdLength = typeof input.externalId === 'string' ? [...input.externalId].length : 0;
  if (externalIdLength < 1 || externalIdLength > MAX_ACCOUNT_TEXT_LENGTH) {
    throw storeError(
      'validation_failed',
      `externalId must be the platform's account id, 1-${MAX_ACCOUNT_TEXT_LENGTH} characters`,
      { path: 'externalId' },
    );
  }
  if (typeof input.displayName === 'string' && [...input.displayName].length > MAX_ACCOUNT_TEXT_LENGTH) {
    throw storeError(
      'validation_failed',
      `displayName is longer than ${MAX_ACCOUNT_TEXT_LENGTH} characters; shorten it`,
      { path: 'displayName' },
    );
  }
  if (!Array.isArray(input.scopes)) return;
  for (const [i, scope] of input.scopes.entries()) checkStorableText(scope, `scopes[${i}]`);
}
