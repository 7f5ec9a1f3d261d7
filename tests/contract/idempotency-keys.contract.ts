/**
 * The IdempotencyKeyStore contract (src/store/idempotency-key-store.ts): one suite, run against the
 * memory and the Postgres adapter on their own by idempotency-keys.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IdempotencyKeyStore } from '../../src/store/idempotency-key-store.ts';
import type { ContractOptions, StoreHarness } from './store-harness.ts';
import { HOUR } from './store-harness.ts';

export function idempotencyKeysContract(
  name: string,
  makeHarness: () => Promise<StoreHarness<IdempotencyKeyStore>>,
  options: ContractOptions = {},
): void {
  describe(`IdempotencyKeyStore contract: ${name}`, { skip: options.skip ?? false }, () => {
    let harness: StoreHarness<IdempotencyKeyStore>;
    let store: IdempotencyKeyStore;

    before(async () => {
      harness = await makeHarness();
      store = harness.store;
    });
    after(async () => {
      await harness?.cleanup();
    });

    describe('idempotency keys', () => {
      const hash = (c: string) => c.repeat(64);

      it('reserves a key once; a repeat sees the first request, then its response', async () => {
        const userId = await harness.createUser();
        const expired = new Date(0);
        assert.deepEqual(await store.reserveIdempotencyKey(userId, 'k1', hash('a'), expired), {
          outcome: 'reserved',
        });
        const running = await store.reserveIdempotencyKey(userId, 'k1', hash('b'), expired);
        assert.equal(running.outcome, 'existing');
        assert.ok(running.outcome === 'existing');
        assert.equal(running.record.requestHash, hash('a'));
        assert.equal(running.record.response, null, 'still running');
        assert.equal(running.record.userId, userId);
        assert.equal(running.record.key, 'k1');
        assert.ok(running.record.createdAt instanceof Date);
        await store.completeIdempotencyKey(userId, 'k1', {
          status: 201,
          body: { id: 'p1', nested: [1, 'two'] },
        });
        await store.releaseIdempotencyKey(userId, 'k1');
        const done = await store.reserveIdempotencyKey(userId, 'k1', hash('a'), expired);
        assert.ok(done.outcome === 'existing');
        assert.deepEqual(done.record.response, { status: 201, body: { id: 'p1', nested: [1, 'two'] } });
        const other = await harness.createUser();
        assert.equal(
          (await store.reserveIdempotencyKey(other, 'k1', hash('c'), expired)).outcome,
          'reserved',
        );
      });

      it('forgets a released reservation and replaces an expired record', async () => {
        const userId = await harness.createUser();
        const expired = new Date(0);
        await store.reserveIdempotencyKey(userId, 'k2', hash('a'), expired);
        await store.releaseIdempotencyKey(userId, 'k2');
        assert.equal(
          (await store.reserveIdempotencyKey(userId, 'k2', hash('b'), expired)).outcome,
          'reserved',
        );
        await store.completeIdempotencyKey(userId, 'k2', { status: 201, body: {} });
        const future = new Date(Date.now() + 1000 * HOUR); // past any clock a harness moved ahead
        assert.equal(
          (await store.reserveIdempotencyKey(userId, 'k2', hash('c'), future)).outcome,
          'reserved',
          'a record created before expiredBefore counts as absent',
        );
        const fresh = await store.reserveIdempotencyKey(userId, 'k2', hash('d'), expired);
        assert.ok(fresh.outcome === 'existing');
        assert.equal(fresh.record.requestHash, hash('c'));
        assert.equal(fresh.record.response, null);
      });

      it('lets exactly one of two concurrent reservations of a key win', async () => {
        const userId = await harness.createUser();
        const expired = new Date(0);
        const results = await Promise.all([
          store.reserveIdempotencyKey(userId, 'k3', hash('a'), expired),
          store.reserveIdempotencyKey(userId, 'k3', hash('a'), expired),
        ]);
        assert.deepEqual(results.map((r) => r.outcome).sort(), ['existing', 'reserved']);
      });
    });
  });
}
