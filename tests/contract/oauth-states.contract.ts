/**
 * The OAuthStateStore contract (src/store/oauth-state-store.ts): one suite, run against the memory
 * and the Postgres adapter on their own by oauth-states.test.ts. The old single PostStore contract
 * had no OAuth cases (the API's oauth-connect tests covered them); these hold both adapters to the
 * port's promise: a state is taken exactly once, only by its platform (and owner), before it expires.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NewOAuthState, OAuthStateStore } from '../../src/store/oauth-state-store.ts';
import type { ClockedHarness, ContractOptions } from './store-harness.ts';
import { at, expectCode } from './store-harness.ts';

export function oauthStatesContract(
  name: string,
  makeHarness: () => Promise<ClockedHarness<OAuthStateStore>>,
  options: ContractOptions = {},
): void {
  describe(`OAuthStateStore contract: ${name}`, { skip: options.skip ?? false }, () => {
    let harness: ClockedHarness<OAuthStateStore>;
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

      it('finds a pending state under the same conditions without taking it', async () => {
        const input = await pending({ expiresAt: at(1) });
        const stranger = await harness.createUser();
        const query = { state: input.state, platform: 'x', now: at(0), userId: input.userId } as const;
        assert.equal(await store.findOAuthState({ ...query, userId: stranger }), null);
        assert.equal(await store.findOAuthState({ ...query, platform: 'linkedin' }), null);
        assert.equal(await store.findOAuthState({ ...query, now: at(1) }), null, 'expired');
        assert.equal(await store.findOAuthState({ ...query, state: 'short' }), null);
        const found = await store.findOAuthState(query);
        assert.equal(found?.codeVerifier, input.codeVerifier);
        assert.equal(found?.redirectUri, input.redirectUri);
        assert.equal((await store.findOAuthState(query))?.userId, input.userId, 'still there');
        assert.equal((await store.consumeOAuthState(query))?.userId, input.userId);
        assert.equal(await store.findOAuthState(query), null, 'gone once taken');
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

      it('refuses a redirectUri with a NUL character or a lone surrogate (validation_failed naming it)', async () => {
        const userId = await harness.createUser();
        for (const redirectUri of ['https://api.example.test/cb\u0000', 'https://api.example.test/\udc00']) {
          await assert.rejects(
            store.saveOAuthState({
              state: `state-${crypto.randomUUID()}`,
              userId,
              platform: 'x',
              codeVerifier: 'v'.repeat(43),
              redirectUri,
              expiresAt: at(1),
            }),
            (err: Error) => {
              expectCode('validation_failed')(err);
              assert.equal((err as unknown as { context: { path?: unknown } }).context.path, 'redirectUri');
              return true;
            },
          );
        }
      });

      it('purges expired states soonest-expired first, at most `limit` a call, and keeps the live ones', async () => {
        // Saved on a clock of 2000, expiring in 2001: before anything the other cases save, so only
        // these are purged (and no save sweeps them first).
        const day = Date.parse('2001-01-01T00:00:00.000Z');
        harness.setClock(new Date(day - 24 * 3_600_000));
        const expired = [];
        for (let i = 0; i < 3; i++) expired.push(await pending({ expiresAt: new Date(day + i * 60_000) }));
        const live = await pending({ expiresAt: new Date(day + 48 * 3_600_000) });
        harness.setClock(null);
        const cutoff = new Date(day + 3_600_000);
        // Taking a state at a moment before it expired tells whether it is still stored.
        const stored = (input: NewOAuthState) =>
          store.consumeOAuthState({ state: input.state, platform: 'x', now: new Date(day - 3_600_000) });

        assert.equal(await store.purgeExpiredOAuthStates(cutoff, 2), 2);
        assert.ok(await stored(expired[2]!), 'the last to expire waits for the next batch');
        assert.equal(await store.purgeExpiredOAuthStates(cutoff, 2), 0, 'nothing expired is left');
        assert.equal(await stored(expired[0]!), null);
        assert.equal(await stored(expired[1]!), null);
        assert.equal(
          (await store.consumeOAuthState({ state: live.state, platform: 'x', now: cutoff }))?.userId,
          live.userId,
        );
      });

      it('refuses a purge limit outside 1-10000 or a moment that is not a date (validation_failed)', async () => {
        for (const limit of [0, 10_001, 2.5]) {
          await assert.rejects(store.purgeExpiredOAuthStates(at(0), limit), expectCode('validation_failed'));
        }
        await assert.rejects(
          store.purgeExpiredOAuthStates(new Date(Number.NaN), 1),
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
