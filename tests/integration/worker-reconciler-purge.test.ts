/**
 * The reconciler's housekeeping: every pass deletes Idempotency-Key records older than their TTL and
 * OAuth states past their expiry — in bounded batches — and keeps the live ones, on the memory store
 * and on Postgres alike.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NewOAuthState, PostStore } from '../../src/store/post-store.ts';
import { IDEMPOTENCY_KEY_TTL_MS } from '../../src/store/idempotency-key-store.ts';
import { createMemoryPostStore } from '../../src/store/memory-post-store.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import { PURGE_BATCH } from '../../src/worker/reconciler.ts';
import { createWorkerHarness } from '../support/worker-harness.ts';
import type { WorkerHarness } from '../support/worker-harness.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';

announcePostgresSkip();

const MINUTE = 60_000;
const HASH = 'a'.repeat(64);

/** The store's clock: the real one, or a moment a test sets to make records in the past. */
function testClock() {
  let fixed: Date | null = null;
  return {
    now: () => fixed ? new Date(fixed) : new Date(),
    at(moment: Date | null) {
      fixed = moment;
    },
  };
}

let harness: WorkerHarness | null = null;
afterEach(async () => {
  await harness?.stop();
  harness = null;
});

function purgeSuite(
  name: string,
  makeStore: (now: () => Date) => Promise<{ store: PostStore; createUser(): Promise<string> }>,
  options: { skip?: string | false } = {},
) {
  describe(`reconciler purge: ${name}`, { skip: options.skip ?? false }, () => {
    it('deletes expired Idempotency-Key records and OAuth states, and keeps the live ones', async () => {
      const clock = testClock();
      const { store, createUser } = await makeStore(clock.now);
      harness = await createWorkerHarness({ store, start: false });
      const worker = await harness.addWorker();
      const userId = await createUser();
      const now = Date.now();

      // Two keys past the TTL (one completed, one left reserved by a request that died), one live.
      clock.at(new Date(now - IDEMPOTENCY_KEY_TTL_MS - 10 * MINUTE));
      await store.reserveIdempotencyKey(userId, 'expired-done', HASH, new Date(0));
      await store.completeIdempotencyKey(userId, 'expired-done', { status: 201, body: { id: 'p' } });
      await store.reserveIdempotencyKey(userId, 'expired-stuck', HASH, new Date(0));
      clock.at(new Date(now - IDEMPOTENCY_KEY_TTL_MS + 10 * MINUTE));
      await store.reserveIdempotencyKey(userId, 'live', HASH, new Date(0));

      // Two connections abandoned (expired a minute ago), one still pending.
      clock.at(new Date(now - 20 * MINUTE));
      const state = async (expiresInMs: number): Promise<NewOAuthState> => {
        const input: NewOAuthState = {
          state: `state-${crypto.randomUUID()}`,
          userId,
          platform: 'x',
          codeVerifier: 'v'.repeat(43),
          redirectUri: 'https://api.example.test/accounts/x/callback',
          expiresAt: new Date(now + expiresInMs),
        };
        await store.saveOAuthState(input);
        return input;
      };
      const abandoned = [await state(-MINUTE), await state(-2 * MINUTE)];
      const pending = await state(10 * MINUTE);
      clock.at(null);

      const report = await worker.reconcile();
      assert.equal(report.idempotencyKeysPurged, 2);
      assert.equal(report.oauthStatesPurged, 2);
      assert.equal((await worker.reconcile()).idempotencyKeysPurged, 0, 'a second pass has nothing left');

      // A reservation that counts nothing as expired tells whether a record is still stored.
      const stored = async (key: string) =>
        (await store.reserveIdempotencyKey(userId, key, HASH, new Date(0))).outcome === 'existing';
      assert.equal(await stored('live'), true);
      assert.equal(await stored('expired-done'), false);
      assert.equal(await stored('expired-stuck'), false);
      // So does taking a state at a moment before it expired.
      for (const gone of abandoned) {
        const taken = await store.consumeOAuthState({
          state: gone.state,
          platform: 'x',
          now: new Date(now - 30 * MINUTE),
        });
        assert.equal(taken, null);
      }
      const live = await store.consumeOAuthState({ state: pending.state, platform: 'x', now: new Date() });
      assert.equal(live?.userId, userId);
    });

    it(`deletes at most ${PURGE_BATCH} of each per pass, so a backlog drains over several passes`, async () => {
      const clock = testClock();
      const { store, createUser } = await makeStore(clock.now);
      harness = await createWorkerHarness({ store, start: false });
      const worker = await harness.addWorker();
      const userId = await createUser();
      clock.at(new Date(Date.now() - 2 * IDEMPOTENCY_KEY_TTL_MS));
      const backlog = PURGE_BATCH + 3;
      for (let i = 0; i < backlog; i += 50) {
        await Promise.all(
          Array.from(
            { length: Math.min(50, backlog - i) },
            (_, j) => store.reserveIdempotencyKey(userId, `old-${i + j}`, HASH, new Date(0)),
          ),
        );
      }
      clock.at(null);
      assert.equal((await worker.reconcile()).idempotencyKeysPurged, PURGE_BATCH);
      assert.equal((await worker.reconcile()).idempotencyKeysPurged, 3);
      assert.equal((await worker.reconcile()).idempotencyKeysPurged, 0);
    });
  });
}

purgeSuite('memory', async (now) => ({
  store: createMemoryPostStore({ cipher: await createTokenCipher(randomKey()), now }),
  createUser: () => Promise.resolve(crypto.randomUUID()),
}));

const databases: TestDatabase[] = [];
after(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});

purgeSuite('postgres', async (now) => {
  const db = await createTestDatabase();
  databases.push(db);
  return {
    store: createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(randomKey()), now }),
    createUser: () => createUser(db.sql),
  };
}, { skip: postgresSkip });
