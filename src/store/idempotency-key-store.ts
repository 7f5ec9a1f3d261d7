/**
 * The Idempotency-Key port: what the API remembers of a request sent with an `Idempotency-Key`, so a
 * repeat replays the first response. Adapters: postgres-idempotency-keys.ts and
 * memory-idempotency-keys.ts; contract: tests/contract/idempotency-keys.contract.ts.
 */

/**
 * How long a key is remembered: a repeat after this is a new request, and the reconciler purges
 * records older than this (src/worker/reconciler.ts). (Default: 24 h)
 */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * A remembered `Idempotency-Key` of one user: the request it came with and, once the first request
 * finished, the response to replay. Keys expire (the API passes the cut-off when it reserves one).
 */
export interface IdempotencyRecord {
  userId: string;
  key: string;
  /** A hash of the method, path and body of the first request. */
  requestHash: string;
  /** Null while the first request is still running. */
  response: { status: number; body: unknown } | null;
  createdAt: Date;
}

export type IdempotencyReservation =
  | { outcome: 'reserved' }
  | { outcome: 'existing'; record: IdempotencyRecord };

export interface IdempotencyKeyStore {
  /**
   * Reserves `key` for the user (atomically: one of two concurrent callers wins), or returns the
   * record already there. A record created before `expiredBefore` is replaced as if absent.
   */
  reserveIdempotencyKey(
    userId: string,
    key: string,
    requestHash: string,
    expiredBefore: Date,
  ): Promise<IdempotencyReservation>;
  /** Stores the response of the request that reserved the key, for replays. */
  completeIdempotencyKey(
    userId: string,
    key: string,
    response: { status: number; body: unknown },
  ): Promise<void>;
  /** Forgets a reservation whose request failed before changing anything, so a retry may run. */
  releaseIdempotencyKey(userId: string, key: string): Promise<void>;
  /**
   * Deletes at most `limit` records created before `createdBefore`, oldest first, and returns how
   * many it deleted: one bounded batch, so a large backlog drains over several calls without one long
   * statement (concurrent callers skip each other's rows).
   */
  purgeIdempotencyKeys(createdBefore: Date, limit: number): Promise<number>;
}
