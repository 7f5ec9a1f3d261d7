/**
 * docs/operations.md invariant 1 end to end: while the API's Redis is down, a post is still accepted (201,
 * `queued: false`) because the row is the source of truth; a worker started later with Redis up finds
 * the scheduled post without a job in its reconcile pass, enqueues it, and the post goes out on the
 * sandbox platforms. The API is called through the typed client, routed into the in-process app.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createPublisherClient } from '../../src/client/index.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createDevToken, DEV_ONLY_JWT_SECRET } from '../../src/dev/dev-auth.ts';
import { createDevSupabaseClient } from '../../src/dev/dev-supabase-client.ts';
import { connectDemoAccounts } from '../../src/dev/demo-accounts.ts';
import { buildApi } from '../../src/app/build-api.ts';
import type { BuiltApi } from '../../src/app/build-api.ts';
import { createServices } from '../../src/app/create-services.ts';
import type { Services } from '../../src/app/create-services.ts';
import { createPublishers } from '../../src/platforms/registry.ts';
import { startSandbox } from '../../src/sandbox/start-sandbox.ts';
import type { RunningSandbox } from '../../src/sandbox/start-sandbox.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { startWorker } from '../../src/worker/start-worker.ts';
import type { RunningWorker } from '../../src/worker/start-worker.ts';
import {
  createMemoryLogger,
  createTestMemoryStore,
  deletePrefixKeys,
  FAST_WORKER_ENV,
  waitForPostSettled,
} from '../support/worker-fixtures.ts';
import type { LogLine } from '../support/worker-fixtures.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-redis.ts';

/** A local port nothing listens on (taken, then released). */
function deadPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('creating a post while Redis is down', () => {
  const prefix = uniqueQueuePrefix('redis-down');
  const userId = crypto.randomUUID();
  let sandbox: RunningSandbox;
  let store: PostStore;
  let api: BuiltApi | null = null;
  let services: Services | null = null;
  let worker: RunningWorker | null = null;
  let lines: LogLine[];

  function configFor(redisUrl: string) {
    return loadConfig({
      ...FAST_WORKER_ENV,
      // Real adapters against the sandbox (media download + upload) need more than the fakes' 500 ms
      // on a loaded 2-core CI machine; this test is about Redis being down, not about timeouts.
      PUBLISH_TIMEOUT_MS: '10000',
      STUCK_AFTER_MS: '20000',
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      USE_MOCK_DB: 'true',
      LOG_LEVEL: 'debug',
      SUPABASE_JWT_SECRET: DEV_ONLY_JWT_SECRET,
      X_API_BASE_URL: `${sandbox.url}/x`,
      INSTAGRAM_API_BASE_URL: `${sandbox.url}/instagram`,
      LINKEDIN_API_BASE_URL: `${sandbox.url}/linkedin`,
      LINKEDIN_OAUTH_BASE_URL: `${sandbox.url}/linkedin`,
      MEDIA_ALLOW_PRIVATE_HOSTS: 'true',
    }, { allowDevJwtSecret: true }); // signs with createDevToken, like the dev stack
  }

  before(async () => {
    sandbox = await startSandbox({ port: 0 });
    sandbox.sandbox.knobs.setSettings({ 'instagram.requireHttps': false });
    store = await createTestMemoryStore();
    await connectDemoAccounts(store, sandbox.sandbox, userId);
    ({ lines } = createMemoryLogger());
  });
  after(async () => {
    await worker?.close();
    await services?.close();
    await store.close();
    await sandbox.close();
    await deletePrefixKeys(prefix);
  });

  it(
    'answers 201 with queued: false, and a worker started later publishes the post',
    { timeout: 60_000 },
    async () => {
      const { logger } = createMemoryLogger();
      const downConfig = configFor(`redis://127.0.0.1:${await deadPort()}`);
      services = createServices(downConfig, { logger, postStore: store });
      api = await buildApi(services);
      const inProcess = api;
      const client = createPublisherClient(
        createDevSupabaseClient(
          'http://api.test',
          await createDevToken({ userId }),
          (input, init) => Promise.resolve(inProcess.fetch(new Request(input, init))),
        ),
      );

      const text = `scheduled during a Redis outage ${crypto.randomUUID().slice(0, 8)}`;
      const created = await client.schedule({
        text,
        scheduledAt: 'now',
        platforms: ['x', 'instagram', 'linkedin'],
        media: [{ url: `${sandbox.url}/_sandbox/media/sample.jpg` }],
      });
      assert.equal(created.status, 'scheduled');
      assert.equal(created.queued, false, 'the response says the job is not queued yet');
      assert.equal((await store.getPost(created.id))?.status, 'scheduled', 'the post row is stored');

      const redis = new Redis(TEST_REDIS_URL);
      try {
        const jobKeys = await redis.keys(`{${prefix}}:posts:post-${created.id}-*`);
        assert.deepEqual(jobKeys, [], 'no job reached the real Redis');
      } finally {
        await redis.quit();
      }
      assert.equal(sandbox.sandbox.knobs.published().filter((p) => p.text === text).length, 0);

      const upConfig = configFor(TEST_REDIS_URL);
      const workerLog = createMemoryLogger();
      lines = workerLog.lines;
      worker = await startWorker(upConfig, {
        store,
        publishers: createPublishers(upConfig),
        logger: workerLog.logger,
      });

      const post = await waitForPostSettled(store, created.id, 20_000);
      assert.equal(post.status, 'published', JSON.stringify(post.targets));
      assert.ok(
        lines.some((l) => l.postId === created.id && /missing from the queue; restored/.test(l.msg)),
        'the reconciler restored the missing job',
      );
      for (const platform of ['x', 'instagram', 'linkedin'] as const) {
        const received = sandbox.sandbox.knobs.published(platform).filter((p) => p.text === text);
        assert.equal(received.length, 1, `${platform} received the post exactly once`);
      }
      const read = await client.get(created.id);
      assert.equal(read.status, 'published');
      assert.ok(read.targets.every((t) => t.status === 'published' && t.externalId));
    },
  );
});
