/**
 * The AccountStore contract (src/store/account-store.ts): one suite, run against the memory and the
 * Postgres adapter by accounts.test.ts. Deleting an account must keep its targets' history, so the
 * harness hands in the accounts together with the posts they are targeted by.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountStore } from '../../src/store/account-store.ts';
import type { PostsAndTargets } from '../../src/store/posts-and-targets.ts';
import type { ContractOptions, StoreHarness } from './store-harness.ts';
import { at, expectCode, storeFixtures } from './store-harness.ts';

export function accountsContract(
  name: string,
  makeHarness: () => Promise<StoreHarness<AccountStore & PostsAndTargets>>,
  options: ContractOptions = {},
): void {
  describe(`AccountStore contract: ${name}`, { skip: options.skip ?? false }, () => {
    let harness: StoreHarness<AccountStore & PostsAndTargets>;
    let store: AccountStore & PostsAndTargets;

    before(async () => {
      harness = await makeHarness();
      store = harness.store;
    });
    after(async () => {
      await harness?.cleanup();
    });

    const { account, scenario } = storeFixtures(() => harness);

    describe('accounts', () => {
      it('creates an account without exposing its tokens, readable only by its owner', async () => {
        const userId = await harness.createUser();
        const created = await store.createAccount({
          userId,
          platform: 'linkedin',
          externalId: 'urn:li:person:abc',
          displayName: 'Ada',
          scopes: ['w_member_social'],
          tokens: { accessToken: 'secret-access', refreshToken: 'secret-refresh', expiresAt: at(2) },
        });
        assert.match(created.id, /^[0-9a-f-]{36}$/);
        assert.equal(created.userId, userId);
        assert.equal(created.platform, 'linkedin');
        assert.equal(created.externalId, 'urn:li:person:abc');
        assert.equal(created.displayName, 'Ada');
        assert.equal(created.status, 'active');
        assert.deepEqual(created.scopes, ['w_member_social']);
        assert.equal(created.tokenExpiresAt?.toISOString(), at(2).toISOString());
        assert.equal(created.refreshedAt, null);
        const text = JSON.stringify([
          created,
          await store.getAccount(created.id),
          await store.listAccounts(userId),
        ]);
        assert.ok(
          !text.includes('secret-access') && !text.includes('secret-refresh'),
          'no token in any read',
        );
        assert.ok(!text.includes('v1.'), 'no ciphertext in any read');
        assert.deepEqual(await store.getAccount(created.id, userId), created);
        assert.deepEqual(await store.listAccounts(userId), [created]);
        const stranger = await harness.createUser();
        assert.equal(await store.getAccount(created.id, stranger), null);
        assert.deepEqual(await store.listAccounts(stranger), []);
        assert.equal(await store.getAccount(crypto.randomUUID()), null);
      });

      it('refuses the same platform account twice for one user (account_conflict), not across users', async () => {
        const userId = await harness.createUser();
        const input = {
          userId,
          platform: 'x' as const,
          externalId: '12345',
          tokens: { accessToken: 'a', refreshToken: null, expiresAt: null },
        };
        const first = await store.createAccount(input);
        assert.equal(first.displayName, null);
        assert.deepEqual(first.scopes, []);
        await assert.rejects(store.createAccount(input), expectCode('account_conflict'));
        await store.createAccount({ ...input, platform: 'linkedin' });
        const other = await harness.createUser();
        await store.createAccount({ ...input, userId: other });
        assert.equal((await store.listAccounts(userId)).length, 2);
      });

      it('keeps an explicit null displayName, scopes in their order and text outside the BMP as given', async () => {
        const userId = await harness.createUser();
        const created = await store.createAccount({
          userId,
          platform: 'instagram',
          externalId: '1789 🚀',
          displayName: null,
          scopes: ['instagram_business_basic', 'instagram_business_content_publish', 'a'],
          tokens: { accessToken: 'a', refreshToken: null, expiresAt: null },
        });
        assert.equal(created.displayName, null);
        assert.equal(created.externalId, '1789 🚀');
        assert.deepEqual(created.scopes, [
          'instagram_business_basic',
          'instagram_business_content_publish',
          'a',
        ]);
        assert.equal(created.tokenExpiresAt, null);
        assert.deepEqual(await store.getAccount(created.id, userId), created);
        const named = await store.createAccount({
          userId,
          platform: 'x',
          externalId: 'x'.repeat(200),
          displayName: 'é'.repeat(200),
          tokens: { accessToken: 'a', refreshToken: null, expiresAt: null },
        });
        assert.equal(named.displayName, 'é'.repeat(200), 'the longest display name the table holds');
      });

      it('refuses text the table cannot hold — NUL, lone surrogates, an empty or too long id or name — naming the field (validation_failed)', async () => {
        const userId = await harness.createUser();
        const base = {
          userId,
          platform: 'x' as const,
          externalId: 'ok',
          tokens: { accessToken: 'a', refreshToken: null, expiresAt: null },
        };
        const cases: [Record<string, unknown>, string][] = [
          [{ externalId: 'a\u0000b' }, 'externalId'],
          [{ externalId: '\ud83d' }, 'externalId'],
          [{ externalId: '' }, 'externalId'],
          [{ externalId: 'x'.repeat(201) }, 'externalId'],
          [{ displayName: 'Ada\u0000' }, 'displayName'],
          [{ displayName: 'Ada \udc00' }, 'displayName'],
          [{ displayName: 'n'.repeat(201) }, 'displayName'],
          [{ scopes: ['ok', 'w\u0000'] }, 'scopes[1]'],
        ];
        for (const [change, path] of cases) {
          await assert.rejects(store.createAccount({ ...base, ...change }), (err: Error) => {
            expectCode('validation_failed')(err);
            assert.equal((err as unknown as { context: { path?: unknown } }).context.path, path);
            return true;
          }, path);
        }
        assert.deepEqual(await store.listAccounts(userId), [], 'nothing was stored');
      });

      it('decrypts the stored tokens for the platform call', async () => {
        const userId = await harness.createUser();
        const a = await store.createAccount({
          userId,
          platform: 'x',
          externalId: 'tok',
          tokens: { accessToken: 'access ✓', refreshToken: 'refresh-1', expiresAt: at(3) },
        });
        const tokens = await store.getAccountTokens(a.id);
        assert.deepEqual(tokens, { accessToken: 'access ✓', refreshToken: 'refresh-1', expiresAt: at(3) });
        const b = await store.createAccount({
          userId,
          platform: 'instagram',
          externalId: 'tok',
          tokens: { accessToken: 'ig', refreshToken: null, expiresAt: null },
        });
        assert.deepEqual(await store.getAccountTokens(b.id), {
          accessToken: 'ig',
          refreshToken: null,
          expiresAt: null,
        });
        await assert.rejects(store.getAccountTokens(crypto.randomUUID()), expectCode('account_not_found'));
      });

      it('stores refreshed tokens, marks the account active and records when', async () => {
        const userId = await harness.createUser();
        const a = await account(userId);
        await store.setAccountStatus(a.id, 'needs_reconnect');
        assert.equal((await store.getAccount(a.id))!.status, 'needs_reconnect');
        const ok = await store.updateAccountTokens(a.id, {
          accessToken: 'access-new',
          refreshToken: 'refresh-new',
          expiresAt: at(5),
        });
        assert.equal(ok, true);
        assert.deepEqual(await store.getAccountTokens(a.id), {
          accessToken: 'access-new',
          refreshToken: 'refresh-new',
          expiresAt: at(5),
        });
        const read = (await store.getAccount(a.id))!;
        assert.equal(read.status, 'active');
        assert.ok(read.refreshedAt instanceof Date);
        assert.equal(read.tokenExpiresAt?.toISOString(), at(5).toISOString());
        assert.equal(
          await store.updateAccountTokens(a.id, {
            accessToken: 'access-3',
            refreshToken: null,
            expiresAt: null,
          }),
          true,
        );
        assert.deepEqual(
          await store.getAccountTokens(a.id),
          { accessToken: 'access-3', refreshToken: null, expiresAt: null },
          'tokens without a refresh token or expiry clear the stored ones',
        );
        assert.equal((await store.getAccount(a.id))!.tokenExpiresAt, null);
        await assert.rejects(
          store.updateAccountTokens(crypto.randomUUID(), {
            accessToken: 'a',
            refreshToken: null,
            expiresAt: null,
          }),
          expectCode('account_not_found'),
        );
        await assert.rejects(
          store.setAccountStatus(crypto.randomUUID(), 'active'),
          expectCode('account_not_found'),
        );
      });

      it('rotates tokens only while the expected refresh token is still stored', async () => {
        const userId = await harness.createUser();
        const a = await account(userId);
        const current = (await store.getAccountTokens(a.id)).refreshToken!;
        const next = { accessToken: 'a2', refreshToken: 'r2', expiresAt: at(6) };
        assert.equal(await store.updateAccountTokens(a.id, next, 'not-the-stored-one'), false);
        assert.equal(
          (await store.getAccountTokens(a.id)).refreshToken,
          current,
          'a failed compare changes nothing',
        );
        assert.equal(await store.updateAccountTokens(a.id, next, current), true);
        assert.equal(await store.updateAccountTokens(a.id, { ...next, accessToken: 'a3' }, current), false);
        assert.equal((await store.getAccountTokens(a.id)).accessToken, 'a2');
      });

      it('lets exactly one of two concurrent refreshes with the same expected token win', async () => {
        const userId = await harness.createUser();
        const a = await account(userId);
        const current = (await store.getAccountTokens(a.id)).refreshToken!;
        const results = await Promise.all([
          store.updateAccountTokens(a.id, { accessToken: 'A', refreshToken: 'rA', expiresAt: null }, current),
          store.updateAccountTokens(a.id, { accessToken: 'B', refreshToken: 'rB', expiresAt: null }, current),
        ]);
        assert.deepEqual([...results].sort(), [false, true]);
        const winner = results[0] ? 'A' : 'B';
        assert.deepEqual(await store.getAccountTokens(a.id), {
          accessToken: winner,
          refreshToken: `r${winner}`,
          expiresAt: null,
        });
      });

      it('deletes an account for its owner only; its targets keep their history with accountId null', async () => {
        const { userId, x, post } = await scenario();
        const target = post.targets.find((t) => t.accountId === x.id)!;
        const stranger = await harness.createUser();
        assert.equal(await store.deleteAccount(x.id, stranger), false);
        assert.ok(await store.getAccount(x.id));
        assert.equal(await store.deleteAccount(x.id, userId), true);
        assert.equal(await store.getAccount(x.id), null);
        assert.equal(await store.deleteAccount(x.id, userId), false, 'already gone');
        await assert.rejects(store.getAccountTokens(x.id), expectCode('account_not_found'));
        const read = await store.getPost(post.id, userId);
        const kept = read!.targets.find((t) => t.id === target.id)!;
        assert.equal(kept.accountId, null);
        assert.equal(kept.platform, 'x');
        assert.equal(read!.targets.length, 2);
      });
    });
  });
}
