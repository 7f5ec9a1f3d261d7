import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SocialAccount } from '../../src/domain/post.ts';
import { createAccountTokenCache } from '../../src/platforms/account-token-cache.ts';

function account(overrides: Partial<SocialAccount> = {}): SocialAccount {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    userId: '00000000-0000-4000-8000-000000000002',
    platform: 'x',
    externalId: 'x-1',
    displayName: null,
    status: 'active',
    scopes: [],
    tokenExpiresAt: null,
    refreshedAt: null,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    ...overrides,
  };
}

const tokens = { accessToken: 'access-1', refreshToken: 'refresh-1', expiresAt: null };

describe('account token cache', () => {
  it('returns the tokens cached for the same version of the account', () => {
    const cache = createAccountTokenCache();
    cache.put(account(), tokens);
    assert.deepEqual(cache.get(account()), tokens);
  });

  it('misses once the account row changed (a token update moves updatedAt)', () => {
    const cache = createAccountTokenCache();
    cache.put(account(), tokens);
    assert.equal(cache.get(account({ updatedAt: new Date('2026-01-01T00:00:01Z') })), undefined);
    assert.equal(cache.get(account({ status: 'needs_reconnect' })), undefined);
    assert.equal(cache.get(account({ refreshedAt: new Date('2026-01-01T00:00:00Z') })), undefined);
  });

  it('does not let an older read of the account replace a newer entry', () => {
    const cache = createAccountTokenCache();
    const newer = account({ updatedAt: new Date('2026-01-01T00:00:05Z') });
    cache.put(newer, { ...tokens, accessToken: 'access-2' });
    cache.put(account(), tokens);
    assert.equal(cache.get(newer)?.accessToken, 'access-2');
  });

  it('forgets an account on request and after the maximum age', () => {
    let now = 0;
    const cache = createAccountTokenCache({ maxAgeMs: 100, nowMs: () => now });
    cache.put(account(), tokens);
    cache.forget(account().id);
    assert.equal(cache.get(account()), undefined);
    cache.put(account(), tokens);
    now = 101;
    assert.equal(cache.get(account()), undefined);
  });

  it('hands out copies, so a caller cannot change what is cached', () => {
    const cache = createAccountTokenCache();
    cache.put(account(), { ...tokens, expiresAt: new Date('2026-02-01T00:00:00Z') });
    const first = cache.get(account())!;
    first.accessToken = 'changed';
    first.expiresAt!.setTime(0);
    const second = cache.get(account())!;
    assert.equal(second.accessToken, 'access-1');
    assert.equal(second.expiresAt!.toISOString(), '2026-02-01T00:00:00.000Z');
  });

  it('keeps at most maxEntries accounts, dropping the oldest', () => {
    const cache = createAccountTokenCache({ maxEntries: 2 });
    const ids = ['1', '2', '3'].map((n) => `00000000-0000-4000-8000-00000000010${n}`);
    for (const id of ids) cache.put(account({ id }), tokens);
    assert.equal(cache.get(account({ id: ids[0]! })), undefined);
    assert.deepEqual(cache.get(account({ id: ids[2]! })), tokens);
  });
});
