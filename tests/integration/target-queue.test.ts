import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { TargetJobData } from '../../src/queue/job-data.ts';
import { bullPrefix, TARGET_JOBS_QUEUE, targetJobId } from '../../src/queue/queue-names.ts';
import { enqueueTargetJobs } from '../../src/queue/target-queue.ts';
import { deletePrefixKeys } from '../support/worker-fixtures.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-redis.ts';

describe('enqueueTargetJobs', () => {
  const queuePrefix = uniqueQueuePrefix('tq');
  const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue<TargetJobData>(TARGET_JOBS_QUEUE, { connection, prefix: bullPrefix(queuePrefix) });
  after(async () => {
    await queue.close();
    await connection.quit();
    await deletePrefixKeys(queuePrefix);
  });

  const ref = { postId: crypto.randomUUID(), version: 1, targetId: crypto.randomUUID() };

  it('adds nothing for a target whose job is still waiting', async () => {
    await enqueueTargetJobs(queue, [ref], 3);
    await enqueueTargetJobs(queue, [ref], 3);
    const jobs = await queue.getJobs(['waiting', 'delayed', 'active']);
    assert.deepEqual(jobs.map((j) => j.id), [targetJobId(ref.targetId)]);
  });

  it('adds a follow-up job when the target’s job is running, so a hand-over is never dropped', async () => {
    let release!: () => void;
    const running = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const isActive = new Promise<void>((resolve) => (started = resolve));
    const workerConnection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const worker = new Worker<TargetJobData>(TARGET_JOBS_QUEUE, async () => {
      started();
      await running;
    }, { connection: workerConnection, prefix: bullPrefix(queuePrefix) });
    try {
      await isActive;
      await enqueueTargetJobs(queue, [{ ...ref, delayMs: 60_000 }], 3);
      const later = await queue.getJobs(['waiting', 'delayed']);
      assert.equal(later.length, 1, 'the hand-over was dropped behind the running job');
      assert.equal(later[0]!.data.t, ref.targetId);
      assert.match(later[0]!.id!, new RegExp(`^${targetJobId(ref.targetId)}-f`));
    } finally {
      release();
      await worker.close();
      await workerConnection.quit();
    }
  });
});
