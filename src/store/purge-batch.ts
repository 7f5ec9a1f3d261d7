/**
 * The bounds of one purge call (purgeIdempotencyKeys, purgeExpiredOAuthStates): each deletes one
 * bounded batch, so a table with a large backlog is drained over several calls and no single statement
 * holds its locks for long. Pure.
 */
import { checkDate } from './input-checks.ts';
import { storeError } from './store-errors.ts';

/** Largest batch one purge call deletes. */
export const MAX_PURGE_LIMIT = 10_000;

/** The cut-off and batch size of a purge: a valid Date and a whole number from 1 to MAX_PURGE_LIMIT. */
export function checkPurge(cutoff: Date, limit: number, cutoffPath: string): void {
  checkDate(cutoff, cutoffPath);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PURGE_LIMIT) {
    throw storeError('validation_failed', `limit must be a whole number from 1 to ${MAX_PURGE_LIMIT}`, {
      path: 'limit',
      limit,
    });
  }
}
