/**
 * Liveness through the gateway path: the Node/Deno API server answers like the Supabase gateway, so
 * `GET /functions/v1/<function>/health` is 200 without a user token there too (each Edge Function does
 * the same, see edge-functions.test.ts), while every other path under a function keeps its auth.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.ts';
import { buildApi } from '../../src/app/build-api.ts';
import type { BuiltApi } from '../../src/app/build-api.ts';
import { createServices } from '../../src/app/create-services.ts';
import type { Services } from '../../src/app/create-services.ts';
import { HS256_SECRET } from '../support/api-harness.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-redis.ts';
import { createMemoryLogger, deletePrefixKeys } from '../support/worker-fixtures.ts';

describe('GET /functions/v1/<function>/health on the API server', () => {
  const prefix = uniqueQueuePrefix('health');
  let api: BuiltApi;
  let services: Services;

  before(async () => {
    const config = loadConfig({
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      USE_MOCK_DB: 'true',
      SUPABASE_JWT_SECRET: HS256_SECRET,
      LOG_LEVEL: 'silent',
    });
    services = createServices(config, { logger: createMemoryLogger().logger });
    api = await buildApi(services);
  });
  after(async () => {
    await services.close();
    await deletePrefixKeys(prefix);
  });

  it('answers 200 {"status":"ok"} for every function without a token, and keeps the auth elsewhere', async () => {
    for (const name of ['posts', 'accounts', 'notifications', 'notification-endpoints']) {
      const res = await api.fetch(new Request(`http://api.test/functions/v1/${name}/health`));
      assert.equal(res.status, 200, name);
      assert.deepEqual(await res.json(), { status: 'ok' });
    }
    assert.equal((await api.fetch(new Request('http://api.test/functions/v1/health'))).status, 200);
    const post = await api.fetch(new Request(`http://api.test/functions/v1/posts/${crypto.randomUUID()}`));
    assert.equal(post.status, 401, 'a post id still needs a token');
    const write = await api.fetch(
      new Request('http://api.test/functions/v1/posts/health', { method: 'DELETE' }),
    );
    assert.equal(write.status, 401, 'only GET is the probe');
  });
});
