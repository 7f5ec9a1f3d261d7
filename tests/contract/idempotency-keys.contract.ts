/**
 * The IdempotencyKeyStore contract (src/store/idempotency-key-store.ts): one suite, run against the
 * memory and the Postgres adapter on their own by idempotency-keys.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IdempotencyKeyStore } from '../../src/store/idempotency-key-store.ts';
import type { ClockedHarness, ContractOptions } from './store-harness.ts';
import { expectCode, HOUR } from './store-harness.ts';

export function idempotencyKeysContract(
  name: string,
  makeHarness: () => Promise<ClockedHarness<IdempotencyKeyStore>>,
  options: ContractOptions = {},
): void {
  describe(`IdempotencyKeyStore contract: ${name}`, { skip: options.skip ?? false }, () => {
    let harness: ClockedHarness<IdempotencyKeyStore>;
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

      it('refuses what the table cannot hold: a non-uuid user, a key outside 1-255 characters or with NUL or a lone surrogate, a request hash that is not SHA-256 hex (validation_failed)', async () => {
        const userId = await harness.createUser();
        const expired = new Date(0);
        const refused = async (user: string, key: string, requestHash: string, path: string) => {
          await assert.rejects(store.reserveIdempotencyKey(user, key, requestHash, expired), (err: Error) => {
            expectCode('validation_failed')(err);
            assert.equal((err as unknown as { context: { path?: unknown } }).context.path, path);
            return true;
          });
        };
        await refused('not-a-uuid', 'k', hash('a'), 'userId');
        await refused(userId, '', hash('a'), 'key');
        await refused(userId, 'k'.repeat(256), hash('a'), 'key');
        await refused(userId, 'a\u0000b', hash('a'), 'key');
        await refused(userId, 'a\ud800b', hash('a'), 'key');
        await refused(userId, 'k', 'A'.repeat(64), 'requestHash');
        await refused(userId, 'k', 'a'.repeat(63), 'requestHash');
        await assert.rejects(
          store.reserveIdempotencyKey(userId, 'k', hash('a'), new Date(Number.NaN)),
          expectCode('validation_failed'),
        );
        assert.equal(
          (await store.reserveIdempotencyKey(userId, 'k'.repeat(255), hash('a'), expired)).outcome,
          'reserved',
          'a key of 255 characters fits',
        );
        assert.equal(
          (await store.reserveIdempotencyKey(userId, '🔑', hash('a'), expired)).outcome,
          'reserved',
          'a key outside the BMP is stored as sent',
        );
      });

      it('does nothing when asked to complete or release a key it never reserved', async () => {
        const userId = await harness.createUser();
        await store.completeIdempotencyKey(userId, 'never', { status: 201, body: {} });
        await store.releaseIdempotencyKey(userId, 'never');
        await store.completeIdempotencyKey('not-a-uuid', 'never', { status: 201, body: {} });
        await store.releaseIdempotencyKey('not-a-uuid', 'never');
        await store.releaseIdempotencyKey(userId, 'a\u0000b');
        assert.equal(
          (await store.reserveIdempotencyKey(userId, 'never', hash('a'), new Date(0))).outcome,
          'reserved',
          'nothing was stored under the key',
        );
      });

      it('replays any JSON body as stored: null, a string, an array, unicode and nesting', async () => {
        const userId = await harness.createUser();
        const bodies = [null, 'text', [1, 2.5, true], { text: 'Hé 🚀', nested: { list: [{}] } }];
        for (const [i, body] of bodies.entries()) {
          await store.reserveIdempotencyKey(userId, `body-${i}`, hash('a'), new Date(0));
          await store.completeIdempotencyKey(userId, `body-${i}`, { status: 200 + i, body });
          const replay = await store.reserveIdempotencyKey(userId, `body-${i}`, hash('a'), new Date(0));
          assert.ok(replay.outcome === 'existing');
          assert.deepEqual(replay.record.response, { status: 200 + i, body });
        }
      });

      it('purges records created before the cut-off, oldest first and at most `limit` a call, and keeps the rest', async () => {
        const userId = await harness.createUser();
        // Made on a clock of 2001, before anything the other cases create, so only these are purged.
        const day = Date.parse('2001-01-01T00:00:00.000Z');
        const exists = async (key: string) =>
          (await store.reserveIdempotencyKey(userId, key, hash('f'), new Date(0))).outcome === 'existing';
        for (const [i, key] of ['old-1', 'old-2', 'old-3'].entries()) {
          harness.setClock(new Date(day + i * 60_000));
          await store.reserveIdempotencyKey(userId, key, hash('a'), new Date(0));
        }
        await store.completeIdempotencyKey(userId, 'old-2', { status: 201, body: { id: 'p' } });
        harness.setClock(new Date(day + 24 * HOUR));
        await store.reserveIdempotencyKey(userId, 'live', hash('a'), new Date(0));
        harness.setClock(null);
        const cutoff = new Date(day + 12 * HOUR);

        assert.equal(await store.purgeIdempotencyKeys(cutoff, 2), 2);
        assert.equal(await exists('old-3'), true, 'the youngest expired record waits for the next batch');
        assert.equal(await store.purgeIdempotencyKeys(cutoff, 2), 1);
        assert.equal(
          await store.purgeIdempotencyKeys(cutoff, 2),
          0,
          'nothing older than the cut-off is left',
        );
        assert.equal(await exists('old-1'), false);
        assert.equal(await exists('old-2'), false, 'completed records are purged too');
        assert.equal(await exists('live'), true);
      });

      it('refuses a purge limit outside 1-10000 or a cut-off that is not a date (validation_failed)', async () => {
        for (const limit of [0, -1, 1.5, 10_001, Number.NaN]) {
          await assert.rejects(
            store.purgeIdempotencyKeys(new Date(0), limit),
            expectCode('validation_failed'),
          );
        }
        await assert.rejects(
          store.purgeIdempotencyKeys(new Date(Number.NaN), 10),
          expectCode('validation_failed'),
        );
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
