/**
 * The NotificationStore contract for webhook endpoints (src/store/notification-store.ts): defaults
 * and optional fields, the input rules both adapters apply (endpoint-rules.ts), paging, the
 * per-owner limit, sealed signing secrets and their rotation, and the test-send limit. Run against
 * both adapters by notification-store.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NOTIFICATION_KINDS } from '../../src/domain/notification-kinds.ts';
import { generateWebhookSecret } from '../../src/net/standard-webhooks.ts';
import type { NotificationStore } from '../../src/store/notification-store.ts';
import type { NotificationHarness } from './notification-store.contract.ts';
import type { ContractOptions } from './store-harness.ts';
import { expectCode } from './store-harness.ts';

const HOUR = 3_600_000;
const URL_A = 'https://a.example.com/hook';

export function notificationEndpointsContract(
  name: string,
  makeHarness: () => Promise<NotificationHarness>,
  options: ContractOptions = {},
): void {
  describe(`NotificationStore endpoints contract: ${name}`, { skip: options.skip ?? false }, () => {
    let harness: NotificationHarness;
    let store: NotificationStore;

    before(async () => {
      harness = await makeHarness();
      store = harness.store;
    });
    after(async () => {
      await harness?.cleanup();
    });

    async function endpointOf(userId: string, extra: Record<string, unknown> = {}) {
      return await store.createEndpoint({ userId, url: URL_A, secret: generateWebhookSecret(), ...extra });
    }

    describe('endpoints', () => {
      it('creates an endpoint with every default: all events, enabled, no description, no old secret', async () => {
        const userId = await harness.createUser();
        const endpoint = await store.createEndpoint({ userId, url: URL_A, secret: generateWebhookSecret() });
        assert.equal(endpoint.userId, userId);
        assert.equal(endpoint.url, URL_A);
        assert.deepEqual(endpoint.events, [...NOTIFICATION_KINDS]);
        assert.equal(endpoint.enabled, true);
        assert.equal(endpoint.description, null);
        assert.equal(endpoint.previousSecretExpiresAt, null);
        assert.equal(endpoint.createdAt.getTime(), endpoint.updatedAt.getTime());
        assert.deepEqual(await store.getEndpoint(endpoint.id, userId), endpoint);
        for (const kind of NOTIFICATION_KINDS) {
          assert.deepEqual((await store.listSubscribedEndpoints(userId, kind)).map((e) => e.id), [
            endpoint.id,
          ]);
        }
      });

      it('keeps every optional field given, with duplicate events dropped', async () => {
        const userId = await harness.createUser();
        const endpoint = await endpointOf(userId, {
          description: 'ops pager',
          events: ['target.failed', 'post.failed', 'target.failed'],
          enabled: false,
        });
        assert.equal(endpoint.description, 'ops pager');
        assert.deepEqual(endpoint.events, ['target.failed', 'post.failed']);
        assert.equal(endpoint.enabled, false);
        assert.deepEqual(await store.listSubscribedEndpoints(userId, 'post.failed'), [], 'disabled');
        const explicitNull = await endpointOf(userId, { description: null, enabled: true });
        assert.equal(explicitNull.description, null);
      });

      it('never hands out a signing secret except through getSigningSecrets', async () => {
        const userId = await harness.createUser();
        const secret = generateWebhookSecret();
        const endpoint = await store.createEndpoint({ userId, url: URL_A, secret });
        const reads = JSON.stringify([
          endpoint,
          await store.getEndpoint(endpoint.id),
          await store.listEndpoints(userId),
          await store.listSubscribedEndpoints(userId, 'post.failed'),
          await store.updateEndpoint(endpoint.id, userId, { enabled: true }),
        ]);
        assert.ok(!reads.includes(secret.slice('whsec_'.length)), 'no read carries the secret');
        assert.deepEqual(await store.getSigningSecrets(endpoint.id, new Date()), [secret]);
        assert.equal(await store.getSigningSecrets(crypto.randomUUID(), new Date()), null);
      });

      it('refuses, alike, what the database cannot or must not store, naming the field', async () => {
        const userId = await harness.createUser();
        const refused: [Record<string, unknown>, string][] = [
          [{ url: 'HTTPS://A.example.com/' }, 'url'],
          [{ url: 'https://a.example.com' }, 'url'],
          [{ url: ' https://a.example.com/' }, 'url'],
          [{ url: 'https://a.example.com/a b' }, 'url'],
          [{ url: 'https://a.example.com/é' }, 'url'],
          [{ url: `https://a.example.com/${'x'.repeat(2000)}` }, 'url'],
          [{ description: 'nul \u0000 here' }, 'description'],
          [{ description: 'half \ud83d an emoji' }, 'description'],
          [{ description: 'x'.repeat(201) }, 'description'],
          [{ events: [] }, 'events'],
          [{ events: ['post.exploded'] }, 'events'],
          [{ secret: 'not-a-secret' }, 'secret'],
        ];
        for (const [fields, path] of refused) {
          await assert.rejects(
            endpointOf(userId, fields),
            (err: { code?: string; context?: { path?: string } }) => {
              assert.equal(err.code, 'validation_failed', JSON.stringify(fields));
              assert.equal(err.context?.path, path, JSON.stringify(fields));
              return true;
            },
          );
        }
        const [one] = (await store.listEndpoints(userId)).items;
        assert.equal(one, undefined, 'nothing was stored');
        const emoji = await endpointOf(userId, { description: '😀'.repeat(200) });
        assert.equal(emoji.description, '😀'.repeat(200));
        const edit = await store.updateEndpoint(emoji.id, userId, { description: 'x\u0000' }).catch((e) => e);
        assert.equal(edit.code, 'validation_failed');
        assert.equal(edit.context.path, 'description');
      });

      it('holds an owner to maxPerUser, also when creations race', async () => {
        const alice = await harness.createUser();
        const bob = await harness.createUser();
        const results = await Promise.allSettled(Array.from({ length: 6 }, () => endpointOf(alice)));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 6, 'no limit without one');
        const raced = await Promise.allSettled(
          Array.from(
            { length: 5 },
            () =>
              store.createEndpoint({ userId: bob, url: URL_A, secret: generateWebhookSecret() }, {
                maxPerUser: 3,
              }),
          ),
        );
        assert.equal(raced.filter((r) => r.status === 'fulfilled').length, 3);
        for (const r of raced.filter((r) => r.status === 'rejected')) {
          assert.equal((r as PromiseRejectedResult).reason.code, 'endpoint_limit_reached');
        }
        assert.equal((await store.listEndpoints(bob)).items.length, 3);
        await assert.rejects(
          store.createEndpoint({ userId: alice, url: URL_A, secret: generateWebhookSecret() }, {
            maxPerUser: 6,
          }),
          expectCode('endpoint_limit_reached'),
        );
      });

      it('lists the owner’s endpoints oldest first, 20 a page by default, with an opaque cursor', async () => {
        const userId = await harness.createUser();
        const other = await harness.createUser();
        await endpointOf(other);
        const ids: string[] = [];
        for (let n = 0; n < 23; n++) ids.push((await endpointOf(userId)).id);
        const page1 = await store.listEndpoints(userId);
        assert.deepEqual(page1.items.map((e) => e.id), ids.slice(0, 20));
        assert.ok(page1.nextCursor);
        const page2 = await store.listEndpoints(userId, { cursor: page1.nextCursor! });
        assert.deepEqual(page2.items.map((e) => e.id), ids.slice(20));
        assert.equal(page2.nextCursor, null);
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listEndpoints(userId, { limit: 5, ...(cursor ? { cursor } : {}) });
          seen.push(...page.items.map((e) => e.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        assert.deepEqual(seen, ids);
        assert.deepEqual(
          (await store.listSubscribedEndpoints(userId, 'post.failed')).map((e) => e.id),
          ids,
          'subscribed endpoints come oldest first too',
        );
        for (
          const bad of [{ cursor: 'garbage' }, {
            cursor: btoa(`["2026-02-30T00:00:00Z","${crypto.randomUUID()}"]`),
          }]
        ) {
          await assert.rejects(
            store.listEndpoints(userId, bad),
            (err: { code?: string; context?: { path?: string } }) =>
              err.code === 'validation_failed' && err.context?.path === 'cursor',
          );
        }
        for (const limit of [0, 101, 1.5]) {
          await assert.rejects(store.listEndpoints(userId, { limit }), expectCode('validation_failed'));
        }
      });

      it('changes each field alone, keeps the others, and scopes changes to the owner', async () => {
        const userId = await harness.createUser();
        const bob = await harness.createUser();
        const created = await endpointOf(userId, { description: 'ops', events: ['post.failed'] });
        const url = await store.updateEndpoint(created.id, userId, { url: 'https://b.example.com/' });
        assert.equal(url!.url, 'https://b.example.com/');
        assert.equal(url!.description, 'ops');
        assert.ok(url!.updatedAt.getTime() >= created.updatedAt.getTime());
        const events = await store.updateEndpoint(created.id, userId, {
          events: ['post.published', 'post.published'],
        });
        assert.deepEqual(events!.events, ['post.published']);
        const disabled = await store.updateEndpoint(created.id, userId, { enabled: false });
        assert.equal(disabled!.enabled, false);
        assert.deepEqual(disabled!.events, ['post.published']);
        const kept = await store.updateEndpoint(created.id, userId, {});
        assert.equal(kept!.description, 'ops', 'an absent description stays');
        const cleared = await store.updateEndpoint(created.id, userId, { description: null });
        assert.equal(cleared!.description, null, 'null clears it');
        assert.equal(cleared!.url, 'https://b.example.com/');
        assert.equal(cleared!.enabled, false);
        assert.equal(await store.updateEndpoint(created.id, bob, { enabled: true }), null);
        assert.equal(await store.updateEndpoint(crypto.randomUUID(), userId, { enabled: true }), null);
        assert.equal(await store.getEndpoint(created.id, bob), null);
        assert.equal(await store.deleteEndpoint(created.id, bob), false);
        assert.equal(await store.deleteEndpoint(created.id, userId), true);
        assert.equal(await store.getEndpoint(created.id), null);
        assert.equal(await store.deleteEndpoint(created.id, userId), false);
      });
    });

    describe('signing secrets', () => {
      it('rotates: the new secret signs first, the old one too until its expiry, then it is dropped', async () => {
        const userId = await harness.createUser();
        const first = generateWebhookSecret();
        const endpoint = await store.createEndpoint({ userId, url: URL_A, secret: first });
        const at = new Date();
        const second = generateWebhookSecret();
        const until = new Date(at.getTime() + 24 * HOUR);
        const rotated = await store.rotateEndpointSecret(endpoint.id, userId, {
          secret: second,
          previousExpiresAt: until,
        }, at);
        assert.equal(rotated!.previousSecretExpiresAt!.toISOString(), until.toISOString());
        assert.deepEqual(await store.getSigningSecrets(endpoint.id, at), [second, first]);
        assert.deepEqual(await store.getSigningSecrets(endpoint.id, new Date(until.getTime() - 1)), [
          second,
          first,
        ]);
        assert.deepEqual(
          await store.getSigningSecrets(endpoint.id, until),
          [second],
          'expired at its instant',
        );
        assert.equal(
          (await store.getEndpoint(endpoint.id))!.previousSecretExpiresAt,
          null,
          'dropped for good',
        );
        assert.deepEqual(
          await store.getSigningSecrets(endpoint.id, at),
          [second],
          'not back for an earlier clock',
        );
      });

      it('drops the oldest secret when rotating again within the window, or at once without one', async () => {
        const userId = await harness.createUser();
        const [a, b, c, d] = [1, 2, 3, 4].map(() => generateWebhookSecret()) as [
          string,
          string,
          string,
          string,
        ];
        const endpoint = await store.createEndpoint({ userId, url: URL_A, secret: a });
        const at = new Date();
        const until = new Date(at.getTime() + HOUR);
        await store.rotateEndpointSecret(endpoint.id, userId, { secret: b, previousExpiresAt: until }, at);
        await store.rotateEndpointSecret(endpoint.id, userId, { secret: c, previousExpiresAt: until }, at);
        assert.deepEqual(await store.getSigningSecrets(endpoint.id, at), [c, b]);
        const now = await store.rotateEndpointSecret(endpoint.id, userId, {
          secret: d,
          previousExpiresAt: null,
        }, at);
        assert.equal(now!.previousSecretExpiresAt, null);
        assert.deepEqual(await store.getSigningSecrets(endpoint.id, at), [d]);
        const past = await store.rotateEndpointSecret(endpoint.id, userId, {
          secret: a,
          previousExpiresAt: new Date(at.getTime() - 1),
        }, at);
        assert.equal(past!.previousSecretExpiresAt, null, 'an expiry already past keeps nothing');
      });

      it("rotates only the owner's endpoint, and refuses a malformed secret", async () => {
        const userId = await harness.createUser();
        const bob = await harness.createUser();
        const secret = generateWebhookSecret();
        const endpoint = await store.createEndpoint({ userId, url: URL_A, secret });
        const rotation = { secret: generateWebhookSecret(), previousExpiresAt: null };
        assert.equal(await store.rotateEndpointSecret(endpoint.id, bob, rotation, new Date()), null);
        assert.equal(
          await store.rotateEndpointSecret(crypto.randomUUID(), userId, rotation, new Date()),
          null,
        );
        assert.deepEqual(await store.getSigningSecrets(endpoint.id, new Date()), [secret]);
        await assert.rejects(
          store.rotateEndpointSecret(
            endpoint.id,
            userId,
            { secret: 'whsec_short', previousExpiresAt: null },
            new Date(),
          ),
          expectCode('validation_failed'),
        );
      });
    });

    describe('test sends', () => {
      const limit = { max: 2, windowMs: HOUR };

      it('allows max sends per window per owner, then says when the next one fits', async () => {
        const alice = await harness.createUser();
        const bob = await harness.createUser();
        const endpoint = await endpointOf(alice);
        const other = await endpointOf(bob);
        const t0 = new Date(Date.now() - 10 * HOUR);
        const at = (ms: number) => new Date(t0.getTime() + ms);
        assert.deepEqual(await store.takeTestSendSlot(alice, endpoint.id, at(0), limit), { allowed: true });
        assert.deepEqual(await store.takeTestSendSlot(alice, endpoint.id, at(1000), limit), {
          allowed: true,
        });
        const refused = await store.takeTestSendSlot(alice, endpoint.id, at(2000), limit);
        assert.deepEqual(refused, { allowed: false, retryAt: at(HOUR) });
        assert.deepEqual(
          await store.takeTestSendSlot(bob, other.id, at(2000), limit),
          { allowed: true },
          'per owner',
        );
        assert.deepEqual(await store.takeTestSendSlot(alice, endpoint.id, at(HOUR), limit), {
          allowed: true,
        });
        const next = await store.takeTestSendSlot(alice, endpoint.id, at(HOUR + 1), limit);
        assert.deepEqual(next, { allowed: false, retryAt: at(HOUR + 1000) });
      });

      it('does not give sends back when the endpoint is deleted, nor overshoot under a race', async () => {
        const userId = await harness.createUser();
        const first = await endpointOf(userId);
        const at = new Date();
        assert.equal((await store.takeTestSendSlot(userId, first.id, at, limit)).allowed, true);
        await store.deleteEndpoint(first.id, userId);
        const second = await endpointOf(userId);
        const raced = await Promise.all(
          Array.from({ length: 5 }, () => store.takeTestSendSlot(userId, second.id, at, limit)),
        );
        assert.equal(raced.filter((d) => d.allowed).length, 1, 'one slot was left');
      });
    });
  });
}
