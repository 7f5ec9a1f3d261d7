// deno-lint-ignore-file require-await -- methods stay async so a failed check rejects instead of throwing synchronously
/** The in-memory IdempotencyKeyStore (idempotency-key-store.ts; see postgres-idempotency-keys.ts). */
import type { IdempotencyKeyStore, IdempotencyRecord } from './idempotency-key-store.ts';
import { checkReservation } from './idempotency-key-rules.ts';
import { isUuid } from './input-checks.ts';
import { checkPurge } from './purge-batch.ts';

export function createMemoryIdempotencyKeyStore(options: { now: () => Date }): IdempotencyKeyStore {
  const { now } = options;
  const idempotencyKeys = new Map<string, IdempotencyRecord>();
  return {
    async reserveIdempotencyKey(userId: string, key: string, requestHash: string, expiredBefore: Date) {
      checkReservation(userId, key, requestHash, expiredBefore);
      const id = `${userId}\u0000${key}`;
      const existing = idempotencyKeys.get(id);
      if (existing && existing.createdAt >= expiredBefore) {
        return { outcome: 'existing' as const, record: structuredClone(existing) };
      }
      idempotencyKeys.set(id, { userId, key, requestHash, response: null, createdAt: now() });
      return { outcome: 'reserved' as const };
    },

    async completeIdempotencyKey(userId: string, key: string, response: { status: number; body: unknown }) {
      if (!isUuid(userId)) return;
      const record = idempotencyKeys.get(`${userId}\u0000${key}`);
      if (record) record.response = structuredClone(response);
    },

    async releaseIdempotencyKey(userId: string, key: string) {
      if (!isUuid(userId)) return;
      const id = `${userId}\u0000${key}`;
      if (idempotencyKeys.get(id)?.response === null) idempotencyKeys.delete(id);
    },

    async purgeIdempotencyKeys(createdBefore: Date, limit: number) {
      checkPurge(createdBefore, limit, 'createdBefore');
      const expired = [...idempotencyKeys]
        .filter(([, record]) => record.createdAt < createdBefore)
        .sort(([, a], [, b]) => a.createdAt.getTime() - b.createdAt.getTime())
        .slice(0, limit);
      for (const [id] of expired) idempotencyKeys.delete(id);
      return expired.length;
    },
  };
}
