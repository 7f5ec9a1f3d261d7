import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createWorkerReadiness } from '../../src/worker/worker-readiness.ts';
import type { WorkerHealth } from '../../src/worker/worker-readiness.ts';

const HEALTHY: WorkerHealth = { consuming: true, redisConnected: true, redisSilentForMs: 200 };

function setUp(options: { health?: WorkerHealth | null; ping?: () => Promise<void> } = {}) {
  let clock = 0;
  let health: WorkerHealth | null = options.health === undefined ? HEALTHY : options.health;
  let pings = 0;
  const readiness = createWorkerReadiness({
    health: () => health,
    pingDatabase: () => {
      pings++;
      return options.ping ? options.ping() : Promise.resolve();
    },
    now: () => clock,
  });
  return {
    readiness,
    pings: () => pings,
    advance: (ms: number) => (clock += ms),
    setHealth: (next: WorkerHealth | null) => (health = next),
  };
}

describe('worker readiness', () => {
  it('is ready while the queue workers run, Redis answered lately and the database answers', async () => {
    const report = await setUp().readiness.check();
    assert.deepEqual(report, {
      ready: true,
      shuttingDown: false,
      parts: { worker: true, redis: true, database: true },
      problems: [],
    });
  });

  it('says the worker is starting until it runs', async () => {
    const { readiness, pings } = setUp({ health: null });
    const report = await readiness.check();
    assert.equal(report.ready, false);
    assert.match(report.problems.join(), /starting/);
    assert.equal(pings(), 0, 'the store is not asked before the worker runs');
  });

  it('names Redis when its connection is down, and when it has gone silent for seconds', async () => {
    const t = setUp();
    t.setHealth({ consuming: true, redisConnected: false, redisSilentForMs: 900 });
    const down = await t.readiness.check();
    assert.equal(down.ready, false);
    assert.equal(down.parts.redis, false);
    assert.match(down.problems.join(), /Redis is unreachable/);

    t.setHealth({ consuming: true, redisConnected: true, redisSilentForMs: 7_000 });
    const silent = await t.readiness.check();
    assert.equal(silent.parts.redis, false);
    assert.match(silent.problems.join(), /Redis has not answered for 7000 ms/);
  });

  it('names the database, with its error, when its ping fails or hangs', async () => {
    const failing = await setUp({ ping: () => Promise.reject(new Error('connection refused')) }).readiness
      .check();
    assert.deepEqual(failing.parts, { worker: true, redis: true, database: false });
    assert.match(failing.problems.join(), /the database does not answer: connection refused/);

    const hanging = createWorkerReadiness({
      health: () => HEALTHY,
      pingDatabase: () => new Promise(() => {}),
      databaseTimeoutMs: 20,
    });
    const report = await hanging.check();
    assert.equal(report.parts.database, false);
    assert.match(report.problems.join(), /no answer within 20 ms/);
  });

  it('asks the database once per cache window, however often it is asked', async () => {
    const t = setUp();
    await Promise.all([t.readiness.check(), t.readiness.check(), t.readiness.check()]);
    await t.readiness.check();
    assert.equal(t.pings(), 1);
    t.advance(2_500);
    await t.readiness.check();
    assert.equal(t.pings(), 2);
  });

  it('says no at once from the start of shutdown, without asking the database again', async () => {
    const t = setUp();
    await t.readiness.check();
    t.readiness.beginShutdown();
    t.advance(10_000);
    const report = await t.readiness.check();
    assert.equal(report.ready, false);
    assert.equal(report.shuttingDown, true);
    assert.equal(report.parts.worker, false);
    assert.match(report.problems.join(), /shutting down/);
    assert.equal(t.pings(), 1);
  });

  it('names the queue workers when they stopped running', async () => {
    const report = await setUp({ health: { ...HEALTHY, consuming: false } }).readiness.check();
    assert.equal(report.parts.worker, false);
    assert.match(report.problems.join(), /queue workers are not running/);
  });
});
