import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.ts';
import { PLATFORMS } from '../../src/domain/platform.ts';
import { createPublishers, getPublisher } from '../../src/platforms/registry.ts';

describe('publisher registry', () => {
  it('builds one publisher per platform from the configuration', () => {
    const registry = createPublishers(loadConfig({ X_API_BASE_URL: 'http://127.0.0.1:4010/x' }));
    assert.deepEqual(Object.keys(registry).sort(), [...PLATFORMS].sort());
    for (const platform of PLATFORMS) assert.equal(getPublisher(registry, platform).platform, platform);
    assert.ok(Object.isFrozen(registry));
  });

  it('points the X publisher at X_API_BASE_URL', () => {
    const registry = createPublishers(
      loadConfig({ X_API_BASE_URL: 'http://127.0.0.1:4010/x', X_CLIENT_ID: 'cid', X_CLIENT_SECRET: 's' }),
    );
    const url = new URL(
      registry.x.authorizationUrl({
        state: 's',
        redirectUri: 'https://app.example/cb',
        codeChallenge: 'c'.repeat(43),
      }),
    );
    assert.equal(url.origin + url.pathname, 'http://127.0.0.1:4010/x/i/oauth2/authorize');
    assert.equal(url.searchParams.get('client_id'), 'cid');
  });
});
