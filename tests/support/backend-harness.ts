/**
 * The worker harness (worker-harness.ts) on a chosen Redis backend (test-redis.ts): the backend's
 * variables go into the config the workers are started with, and the producer is the app's own —
 * createRedisConnection(config.redis, 'producer') under createBullPostScheduler — so on a cluster
 * both sides run on cluster clients, as the API and the worker do in production. `stop()` also
 * deletes the prefix's keys on the backend.
 */
import { createBullPostScheduler } from '../../src/queue/bull-post-scheduler.ts';
import { closeRedisConnection, createRedisConnection } from '../../src/queue/redis-options.ts';
import type { RedisBackend } from './test-redis.ts';
import { createWorkerHarness } from './worker-harness.ts';
import type { HarnessOptions, WorkerHarness } from './worker-harness.ts';

export async function createBackendHarness(
  backend: RedisBackend,
  options: HarnessOptions = {},
): Promise<WorkerHarness> {
  const harness = await createWorkerHarness({ ...options, env: { ...backend.env, ...options.env } });
  const connection = createRedisConnection(harness.config.redis, 'producer', 'solospark-test-producer');
  connection.on('error', () => {}); // surfaces through the awaited calls
  const producer = createBullPostScheduler({ connection, queuePrefix: harness.prefix });
  return {
    ...harness,
    producer,
    async stop() {
      await harness.stop();
      await producer.close();
      await closeRedisConnection(connection);
      await backend.deletePrefixKeys(harness.prefix);
    },
  };
}
