import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createPostStore } from '../../src/store/create-store.ts';

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

describe('createPostStore', () => {
  it('uses the in-memory store without DATABASE_URL and warns once that data is lost on exit', async () => {
    const { logger, lines } = captureLogger();
    const store = await createPostStore(loadConfig({}), logger);
    try {
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.level, 40);
      assert.equal(lines[0]!.store, 'memory');
      assert.equal(lines[0]!.reason, 'DATABASE_URL is unset');
      assert.equal(lines[0]!.tokenKey, 'random per process');
      assert.match(String(lines[0]!.msg), /in-memory store.*lost when the process exits/);
      const userId = crypto.randomUUID();
      const account = await store.createAccount({
        userId,
        platform: 'x',
        externalId: '1',
        tokens: { accessToken: 'a', refreshToken: null, expiresAt: null },
      });
      assert.equal((await store.getAccountTokens(account.id)).accessToken, 'a');
    } finally {
      await store.close();
    }
  });

  it('says USE_MOCK_DB=true is the reason when it is set, even with a DATABASE_URL', async () => {
    const { logger, lines } = captureLogger();
    const store = await createPostStore(
      loadConfig({ USE_MOCK_DB: 'true', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }),
      logger,
    );
    await store.ping();
    await store.close();
    assert.equal(lines[0]!.reason, 'USE_MOCK_DB=true');
  });
});
