/**
 * What a publish costs the database, counted on the wire: statements (postgres.js's `debug` hook) and
 * round trips (each time a connection writes after it has read: statements written together count
 * once). The worker's first attempt at a target must stay within 3 round trips
 * (docs/operations.md, "Database round trips"); a change that adds a read or splits a statement shows
 * here. Named prepared statements on, as on a direct connection (connect-postgres.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import postgres from 'postgres';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';
import type { WorkerHarness } from '../support/worker-harness.ts';
import { createWorkerHarness } from '../support/worker-harness.ts';
import { createCreator, schedulePost, waitForPostSettled } from '../support/worker-fixtures.ts';

announcePostgresSkip();

/** A pool whose connections count statements and round trips. */
function countingPool(url: string) {
  const counts = { statements: 0, begins: 0, roundTrips: 0 };
  const target = new URL(url);
  const sql = postgres(url, {
    max: 5,
    prepare: true,
    onnotice: () => {},
    debug: (_connection, text) => {
      counts.statements += 1;
      if (/^\s*begin\b/i.test(text)) counts.begins += 1;
    },
    // postgres.js takes a `socket` factory (connection.js) its types do not declare.
    ...({
      socket: () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect(Number(target.port || 5432), target.hostname);
          let answered = true;
          socket.on('data', () => (answered = true));
          const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
          socket.write = ((...args: unknown[]) => {
            if (answered) counts.roundTrips += 1;
            answered = false;
            return write(...args);
          }) as typeof socket.write;
          socket.once('connect', () => resolve(socket));
          socket.once('error', reject);
        }),
    } as object),
  });
  return { sql, counts };
}

describe('database round trips per published target (postgres store)', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let harness: WorkerHarness | null = null;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await harness?.stop();
    await db?.drop();
  });

  it('publishes a three-target post in at most 3 round trips per target on the first attempt', async () => {
    const pool = countingPool(db.url);
    const store = createPostgresPostStore({ sql: pool.sql, cipher: await createTokenCipher(randomKey()) });
    harness = await createWorkerHarness({ store });
    const creator = await createCreator(store, await createUser(db.sql));
    // Read on another pool, so waiting is not counted.
    const check = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(randomKey()) });
    const publishAll = async (label: string) => {
      const posts = [];
      for (let i = 0; i < 10; i++) {
        posts.push(
          await schedulePost(store, harness!.producer, creator, { inMs: 400, text: `${label} ${i}` }),
        );
      }
      const before = { ...pool.counts };
      const settled = await Promise.all(posts.map((p) => waitForPostSettled(check, p.id)));
      return { settled, before };
    };
    // A first round describes each statement once per connection (prepared statements): not counted.
    await publishAll('warm-up');
    const { settled, before } = await publishAll('post');
    const targets = settled.reduce((n, p) => n + p.targets.length, 0);
    assert.deepEqual(new Set(settled.map((p) => p.status)), new Set(['published']));
    // Every target settled on its first attempt, so all that was counted is first attempts.
    assert.ok(settled.every((p) => p.targets.every((t) => t.attempts === 1)));

    const per = (key: keyof typeof before) => (pool.counts[key] - before[key]) / targets;
    const roundTrips = per('roundTrips');
    assert.ok(roundTrips <= 3, `${roundTrips.toFixed(2)} round trips per target (at most 3)`);
    assert.ok(per('statements') <= 7, `${per('statements').toFixed(2)} statements per target`);
    assert.ok(per('begins') <= 1, `${per('begins').toFixed(2)} transactions per target (settle only)`);
    await harness.stop();
    harness = null;
    await pool.sql.end();
  });
});
