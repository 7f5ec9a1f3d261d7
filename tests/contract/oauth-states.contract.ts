/**
 * The OAuthStateStore contract (src/store/oauth-state-store.ts): one suite, run against the memory
 * and the Postgres adapter on their own by oauth-states.test.ts. The old single PostStore contract
 * had no OAuth cases (the API's oauth-connect tests covered them); these hold both adapters to the
 * port's promise: a state is taken exactly once, only by its platform (and owner), before it expires.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NewOAuthState, OAuthStateStore } from '../../src/store/oauth-state-store.ts';
import type { ContractOptions, StoreHarness } from './store-harness.ts';
import { at, expectCode } from './store-harness.ts';

export function oauthStatesContract(
  name: string,
  makeHarness: () => Promise<StoreHarness<OAuthStateStore>>,
  options: ContractOptions = {},
): void {
  describe(`OAuthStateStore contract: ${name}`, { skip: options.skip ?? false }, () => {
    let harness: StoreHarness<OAuthStateStore>;
    let store: OAuthStateStore;

    before(async () => {
      harness = await makeHarness();
      store = harness.store;
    });
    after(async () => {
      await harness?.cleanup();
    });

    async function pending(overrides: Partial<NewOAuthState> = {}): Promise<NewOAuthState> {
      const input: NewOAuthState = {
        state: `state-${crypto.randomUUID()}`,
        userId: await harness.createUser(),
        platform: 'x',
        codeVerifier: 'v'.repeat(43),
        redirectUri: 'https://api.example.test/accounts/x/callback',
        expiresAt: at(1),
        ...overrides,
      };
      await store.saveOAuthState(input);
      return input;
    }

    describe('oauth states', () => {
      it('gives a saved state back once, with its verifier decrypted', async () => {
        const input = await pending();
        const record = await store.consumeOAuthState({ state: input.state, platform: 'x', now: at(0) });
        assert.ok(record);
        assert.equal(record.userId, input.userId);
        assert.equal(record.platform, 'x');
        assert.equal(record.codeVerifier, input.codeVerifier);
        assert.equal(record.redirectUri, input.redirectUri);
        assert.equal(record.expiresAt.toISOString(), input.expiresAt.toISOString());
        assert.ok(record.createdAt instanceof Date);
        assert.equal(await store.consumeOAuthState({ state: input.state, platform: 'x', now: at(0) }), null);
      });

      it('leaves a state that does not match (platform, owner) for its owner', async () => {
        const input = await pending();
        const stranger = await harness.createUser();
        assert.equal(
          await store.consumeOAuthState({ state: input.state, platform: 'linkedin', now: at(0) }),
          null,
        );
        assert.equal(
          await store.consumeOAuthState({ state: input.state, platform: 'x', now: at(0), userId: stranger }),
          null,
        );
        const record = await store.consumeOAuthState({
          state: input.state,
          platform: 'x',
          now: at(0),
          userId: input.userId,
        });
        assert.equal(record?.userId, input.userId);
      });

      it('refuses an expired, an unknown or a malformed state', async () => {
        const input = await pending({ expiresAt: at(1) });
        assert.equal(await store.consumeOAuthState({ state: input.state, platform: 'x', now: at(1) }), null);
        assert.equal(
          await store.consumeOAuthState({ state: `state-${crypto.randomUUID()}`, platform: 'x', now: at(0) }),
          null,
        );
        assert.equal(await store.consumeOAuthState({ state: 'short', platform: 'x', now: at(0) }), null);
      });

      it('rejects a state it could not have issued or a verifier outside RFC 7636 (validation_failed)', async () => {
        const userId = await harness.createUser();
        const base = {
          state: `state-${crypto.randomUUID()}`,
          userId,
          platform: 'x' as const,
          codeVerifier: 'v'.repeat(43),
          redirectUri: 'https://api.example.test/cb',
          expiresAt: at(1),
        };
        await assert.rejects(
          store.saveOAuthState({ ...base, state: 'short' }),
          expectCode('validation_failed'),
        );
        await assert.rejects(
          store.saveOAuthState({ ...base, codeVerifier: 'v'.repeat(42) }),
          expectCode('validation_failed'),
        );
        await assert.rejects(
          store.saveOAuthState({ ...base, userId: 'not-a-uuid' }),
          expectCode('validation_failed'),
        );
      });

      it('lets exactly one of two concurrent callbacks take a state', async () => {
        const input = await pending();
        const query = { state: input.state, platform: 'x' as const, now: at(0) };
        const results = await Promise.all([store.consumeOAuthState(query), store.consumeOAuthState(query)]);
        assert.deepEqual(results.map((r) => r === null).sort(), [false, true]);
      });
    });
  });
}
