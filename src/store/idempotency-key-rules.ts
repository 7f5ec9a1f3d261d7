/**
 * Rules both IdempotencyKeyStore adapters apply before touching storage, so memory and Postgres refuse
 * the same input with the same validation_failed — the limits are public.idempotency_keys' checks.
 * Pure.
 */
import { checkDate, checkUserId } from './input-checks.ts';
import { checkStorableText } from './storable-text-checks.ts';
import { storeError } from './store-errors.ts';

/** The primary key's `key`: 1-255 characters (the column's check). */
const MAX_KEY_LENGTH = 255;
/** `request_hash`: a SHA-256 in lowercase hex (the column's check). */
const REQUEST_HASH = /^[0-9a-f]{64}$/;

/** Throws validation_failed unless the arguments of reserveIdempotencyKey can be stored. */
export function checkReservation(
  userId: string,
  key: string,
  requestHash: string,
  expiredBefore: Date,
): void {
  checkUserId(userId);
  checkDate(expiredBefore, 'expiredBefore');
  checkStorableText(key, 'key');
  const length = typeof key === 'string' ? [...key].length : 0;
  if (length < 1 || length > MAX_KEY_LENGTH) {
    throw storeError('validation_failed', `key must be 1-${MAX_KEY_LENGTH} characters`, { path: 'key' });
  }
  if (typeof requestHash !== 'string' || !REQUEST_HASH.test(requestHash)) {
    throw storeError('validation_failed', 'requestHash must be a SHA-256 in lowercase hex', {
      path: 'requestHash',
    });
  }
}
