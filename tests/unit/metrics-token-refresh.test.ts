/**
 * Token refreshes as the worker counts them (solospark_token_refreshes_total): the token provider
 * announces how each shared refresh ended, and the worker process records it (run-worker.ts).
 * The account store is a port, faked here in memory; the publishers are the fakes with their
 * refresh behaviour replaced.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountStatus, AccountTokens, SocialAccount } from '../../src/domain/post.ts';
import { createPrometheusMetrics } from '../../src/observability/prometheus-metrics.ts';
import { PublishError } from '../../src/platforms/publish-error.ts';
import type { PublisherRegistry } from '../../src/platforms/registry.ts';
import { createTokenProvider } from '../../src/platforms/token-provider.ts';
import type { AccountTokenStore, RefreshEvent } from '../../src/platforms/token-provider.ts';
import { createFakeRegistry } from '../fakes/fake-publisher.ts';
import { parseSamples, sampleValue } from '../support/prometheus-text.ts';

const ACCOUNT: SocialAccount = {
  id: 'acct-1',
  userId: 'user-1',
  platform: 'x',
  externalId: 'x-user-1',
  displayName: 'x test account',
  status: 'active',
  scopes: [],
  tokenExpiresAt: null,
  refreshedAt: null,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T00:00:00Z'),
};

function memoryTokenStore(initial: AccountTokens) {
  let tokens = initial;
  let status: AccountStatus = 'active';
  const store: AccountTokenStore = {
    getAccountTokens: () => Promise.resolve(tokens),
    updateAccountTokens(_id, next, expected) {
      if (expected !== undefined && tokens.refreshToken !== expected) return Promise.resolve(false);
      tokens = next;
      return Promise.resolve(true);
    },
    setAccountStatus(_id, next) {
      status = next;
      return Promise.resolve();
    },
  };
  return { store, set: (next: AccountTokens) => (tokens = next), status: () => status };
}

function xRefreshing(refresh: () => Promise<AccountTokens>, needsRefresh = true): PublisherRegistry {
  const fakes = createFakeRegistry();
  return { ...fakes, x: { ...fakes.x, needsRefresh: () => needsRefresh, refresh } };
}

const OLD: AccountTokens = { accessToken: 'access-1', refreshToken: 'refresh-1', expiresAt: null };
const NEW: AccountTokens = { accessToken: 'access-2', refreshToken: 'refresh-2', expiresAt: null };

async function refreshWith(publishers: PublisherRegistry, tokens = memoryTokenStore(OLD)) {
  const events: RefreshEvent[] = [];
  const provider = createTokenProvider({ store: tokens.store, publishers, raceGraceMs: 10 });
  provider.onRefresh((event) => events.push(event));
  const result = await provider.tokensFor(ACCOUNT, AbortSignal.timeout(5000)).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  return { events, result, tokens };
}

describe('token refresh metrics', () => {
  it('announces a refresh at the platform as refreshed, once for concurrent callers', async () => {
    let calls = 0;
    const events: RefreshEvent[] = [];
    const tokens = memoryTokenStore(OLD);
    const provider = createTokenProvider({
      store: tokens.store,
      publishers: xRefreshing(() => (calls++, Promise.resolve(NEW))),
    });
    provider.onRefresh((event) => events.push(event));
    const signal = AbortSignal.timeout(5000);
    const got = await Promise.all([provider.tokensFor(ACCOUNT, signal), provider.tokensFor(ACCOUNT, signal)]);
    assert.deepEqual(got, [NEW, NEW]);
    assert.equal(calls, 1);
    assert.deepEqual(events, [{ platform: 'x', outcome: 'refreshed' }]);
  });

  it("announces another process's newer pair as adopted, without asking the platform", async () => {
    let calls = 0;
    let reads = 0;
    const rotated = { ...NEW, accessToken: 'access-3' };
    const tokens = memoryTokenStore(OLD);
    const events: RefreshEvent[] = [];
    const provider = createTokenProvider({
      // Another worker rotates the pair between this one's read and the refresh's own read.
      store: { ...tokens.store, getAccountTokens: () => Promise.resolve(reads++ === 0 ? OLD : rotated) },
      publishers: xRefreshing(() => (calls++, Promise.resolve(NEW))),
    });
    provider.onRefresh((event) => events.push(event));
    assert.deepEqual(await provider.refreshAfterRejection(ACCOUNT, OLD, AbortSignal.timeout(5000)), rotated);
    assert.equal(calls, 0);
    assert.deepEqual(events, [{ platform: 'x', outcome: 'adopted' }]);
  });

  it('announces a refused refresh as reconnect_needed, and a network failure as error', async () => {
    const refused = await refreshWith(
      xRefreshing(() =>
        Promise.reject(new PublishError('auth_revoked', 'refresh token revoked', { platform: 'x' }))
      ),
    );
    assert.ok('error' in refused.result);
    assert.equal(refused.tokens.status(), 'needs_reconnect');
    assert.deepEqual(refused.events, [{ platform: 'x', outcome: 'reconnect_needed' }]);

    const failing = await refreshWith(
      xRefreshing(() => Promise.reject(new PublishError('network', 'connection reset', { platform: 'x' }))),
    );
    assert.ok('error' in failing.result);
    assert.equal(failing.tokens.status(), 'active');
    assert.deepEqual(failing.events, [{ platform: 'x', outcome: 'error' }]);
  });

  it('announces nothing when no refresh is needed, and survives a listener that throws', async () => {
    const quiet = await refreshWith(xRefreshing(() => Promise.resolve(NEW), false));
    assert.deepEqual(quiet.events, []);

    const provider = createTokenProvider({
      store: memoryTokenStore(OLD).store,
      publishers: xRefreshing(() => Promise.resolve(NEW)),
    });
    provider.onRefresh(() => {
      throw new Error('a broken listener');
    });
    assert.deepEqual(await provider.tokensFor(ACCOUNT, AbortSignal.timeout(5000)), NEW);
  });

  it('counts the announcements in solospark_token_refreshes_total by platform and outcome', async () => {
    const metrics = createPrometheusMetrics({ defaultMetrics: false });
    const provider = createTokenProvider({
      store: memoryTokenStore(OLD).store,
      publishers: xRefreshing(() => Promise.resolve(NEW)),
    });
    const unsubscribe = provider.onRefresh(({ platform, outcome }) =>
      metrics.tokenRefresh(platform, outcome)
    );
    await provider.tokensFor(ACCOUNT, AbortSignal.timeout(5000));
    unsubscribe();
    const samples = parseSamples(
      await metrics.render({ queues: [], ready: true, parts: {} }),
    );
    assert.equal(
      sampleValue(samples, 'solospark_token_refreshes_total', { platform: 'x', outcome: 'refreshed' }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'solospark_token_refreshes_total', { platform: 'x', outcome: 'error' }),
      0,
    );
  });
});
