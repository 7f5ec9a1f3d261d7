/**
 * One in-process worker per test: unique queue prefix, memory store (or the one given), fake
 * publishers, a producer queue, and `stop()` that closes everything and deletes the prefix's keys.
 */
import type { Job } from 'bullmq';
import type { Config } from '../../src/config/load-config.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import type { AccountTokenSource } from '../../src/worker/account-tokens.ts';
import { startWorker } from '../../src/worker/start-worker.ts';
import type { RunningWorker } from '../../src/worker/start-worker.ts';
import type { FakeRegistry } from '../fakes/fake-publisher.ts';
import { createFakeRegistry } from '../fakes/fake-publisher.ts';
import type { LogLine } from './worker-fixtures.ts';
import {
  createMemoryLogger,
  createTestMemoryStore,
  createTestProducer,
  deletePrefixKeys,
  testConfig,
  uniqueQueuePrefix,
} from './worker-fixtures.ts';
import type { BullPostScheduler } from '../../src/queue/bull-post-scheduler.ts';

export interface WorkerHarness {
  prefix: string;
  config: Config;
  store: PostStore;
  publishers: FakeRegistry;
  producer: BullPostScheduler;
  workers: RunningWorker[];
  lines: LogLine[];
  /** Starts one more worker on the same prefix and store. */
  addWorker(): Promise<RunningWorker>;
  /** Resolves with the return value (or rejects with the error) of the posts job `jobId`. */
  postJobOutcome(jobId: string): Promise<unknown>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  store?: PostStore;
  publishers?: FakeRegistry;
  tokens?: AccountTokenSource;
  random?: () => number;
  /** First retry delay of a failed post job (WorkerDeps.postJobBackoffMs). */
  postJobBackoffMs?: number;
  /** Start the first worker now (default true). */
  start?: boolean;
}

export async function createWorkerHarness(options: HarnessOptions = {}): Promise<WorkerHarness> {
  const prefix = uniqueQueuePrefix('wk');
  const config = testConfig(prefix, options.env);
  const store = options.store ?? await createTestMemoryStore();
  const publishers = options.publishers ?? createFakeRegistry();
  const { logger, lines } = createMemoryLogger();
  const producer = createTestProducer(prefix);
  const workers: RunningWorker[] = [];
  const outcomes = new Map<string, { resolve(v: unknown): void; reject(e: unknown): void }>();
  const finished = new Map<string, { ok: boolean; value: unknown }>();

  function settle(jobId: string | undefined, ok: boolean, value: unknown) {
    if (!jobId) return;
    const waiter = outcomes.get(jobId);
    if (waiter) {
      outcomes.delete(jobId);
      if (ok) waiter.resolve(value);
      else waiter.reject(value);
    } else finished.set(jobId, { ok, value });
  }

  async function addWorker(): Promise<RunningWorker> {
    const worker = await startWorker(config, {
      store,
      publishers,
      logger,
      ...(options.tokens ? { tokens: options.tokens } : {}),
      ...(options.random ? { random: options.random } : {}),
      ...(options.postJobBackoffMs ? { postJobBackoffMs: options.postJobBackoffMs } : {}),
    });
    worker.postJobsWorker.on('completed', (job: Job, result: unknown) => settle(job.id, true, result));
    worker.postJobsWorker.on('failed', (job: Job | undefined, err: Error) => settle(job?.id, false, err));
    workers.push(worker);
    return worker;
  }

  if (options.start !== false) await addWorker();

  return {
    prefix,
    config,
    store,
    publishers,
    producer: producer.queue,
    workers,
    lines,
    addWorker,
    postJobOutcome(jobId) {
      const done = finished.get(jobId);
      if (done) {
        finished.delete(jobId);
        return done.ok ? Promise.resolve(done.value) : Promise.reject(done.value);
      }
      return new Promise((resolve, reject) => outcomes.set(jobId, { resolve, reject }));
    },
    async stop() {
      await Promise.allSettled(workers.map((w) => w.close()));
      await producer.close();
      if (!options.store) await store.close();
      await deletePrefixKeys(prefix);
    },
  };
}
