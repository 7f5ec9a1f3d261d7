/**
 * The NotificationStore contract (src/store/notification-store.ts), notifications and the delivery
 * log; notification-endpoints.contract.ts has endpoints, their secrets and test sends. Both run
 * against the memory and the Postgres adapter (notification-store.test.ts) and cover every default
 * and optional field, so the two adapters cannot drift (the Postgres store once answered 500 to an
 * endpoint created without `events`, which the memory store took).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateWebhookSecret } from '../../src/net/standard-webhooks.ts';
import type { NewNotification, NotificationStore } from '../../src/store/notification-store.ts';
import type { ContractOptions, StoreHarness } from './store-harness.ts';
import { expectCode } from './store-harness.ts';

export interface NotificationHarness extends StoreHarness<NotificationStore> {
  /** A post with one target of `userId`, which notifications may point to (Postgres: real rows). */
  seedTarget(userId: string): Promise<{ postId: string; targetId: string }>;
}

const URL_A = 'https://a.example.com/hook';

export function notificationStoreContract(
  name: string,
  makeHarness: () => Promise<NotificationHarness>,
  options: ContractOptions = {},
): void {
  describe(`NotificationStore contract: ${name}`, { skip: options.skip ?? false }, () => {
    let harness: NotificationHarness;
    let store: NotificationStore;

    before(async () => {
      harness = await makeHarness();
      store = harness.store;
    });
    after(async () => {
      await harness?.cleanup();
    });

    function notificationOf(userId: string, extra: Partial<NewNotification> = {}): NewNotification {
      return {
        userId,
        postId: null,
        targetId: null,
        kind: 'post.cancelled',
        title: 'Your post was cancelled',
        body: 'Your post scheduled for 2026-12-01 09:00 UTC was cancelled and will not be published.',
        link: null,
        eventKey: `posts:${crypto.randomUUID()}:cancelled:v1`,
        ...extra,
      };
    }

    async function endpointOf(userId: string, extra: Record<string, unknown> = {}) {
      return await store.createEndpoint({ userId, url: URL_A, secret: generateWebhookSecret(), ...extra });
    }

    describe('notifications', () => {
      it('stores a notification with its defaults: unread, now, optional ids and link null', async () => {
        const userId = await harness.createUser();
        const before = Date.now();
        const { notification, created } = await store.insertNotification(notificationOf(userId));
        assert.equal(created, true);
        assert.match(notification.id, /^[0-9a-f-]{36}$/);
        assert.equal(notification.readAt, null);
        assert.equal(notification.postId, null);
        assert.equal(notification.targetId, null);
        assert.equal(notification.link, null);
        assert.ok(notification.createdAt.getTime() >= before - 5_000, 'createdAt is about now');
        assert.deepEqual(await store.getNotification(notification.id), notification);
      });

      it('keeps every optional field given: post, target and link', async () => {
        const userId = await harness.createUser();
        const { postId, targetId } = await harness.seedTarget(userId);
        const { notification } = await store.insertNotification(notificationOf(userId, {
          kind: 'target.failed',
          postId,
          targetId,
          link: 'https://x.com/i/web/status/1',
        }));
        const read = await store.getNotification(notification.id, userId);
        assert.equal(read!.postId, postId);
        assert.equal(read!.targetId, targetId);
        assert.equal(read!.link, 'https://x.com/i/web/status/1');
        assert.equal(read!.kind, 'target.failed');
      });

      it('stores one notification per event key, returning the first on a repeat', async () => {
        const userId = await harness.createUser();
        const input = notificationOf(userId);
        const first = await store.insertNotification(input);
        const second = await store.insertNotification({ ...input, title: 'something else' });
        assert.equal(second.created, false);
        assert.equal(second.notification.id, first.notification.id);
        assert.equal(second.notification.title, input.title);
      });

      it('stores a NUL or half an emoji in its wording as U+FFFD, alike', async () => {
        const userId = await harness.createUser();
        const { notification } = await store.insertNotification(notificationOf(userId, {
          title: 'Cut in half \ud83d',
          body: 'a\u0000b \ude00 whole \ud83d\ude00',
          link: 'https://example.com/\u0000',
        }));
        const read = await store.getNotification(notification.id);
        assert.equal(read!.title, 'Cut in half \ufffd');
        assert.equal(read!.body, 'a\ufffdb \ufffd whole \ud83d\ude00');
        assert.equal(read!.link, 'https://example.com/\ufffd');
      });

      it('refuses wording past the table limits with validation_failed naming the field', async () => {
        const userId = await harness.createUser();
        await assert.rejects(
          store.insertNotification(notificationOf(userId, { title: 't'.repeat(201) })),
          (err: { code?: string; context?: { path?: string } }) =>
            err.code === 'validation_failed' && err.context?.path === 'title',
        );
        await assert.rejects(
          store.insertNotification(notificationOf(userId, { body: '' })),
          expectCode('validation_failed'),
        );
        // 200 characters outside the BMP are 400 UTF-16 units: still 200 characters, as Postgres counts.
        const { created } = await store.insertNotification(
          notificationOf(userId, { title: '😀'.repeat(200) }),
        );
        assert.equal(created, true);
      });

      it('lists 20 per page by default, newest first, with an unread filter and read marks', async () => {
        const userId = await harness.createUser();
        const ids: string[] = [];
        for (let n = 0; n < 21; n++) {
          ids.push((await store.insertNotification(notificationOf(userId))).notification.id);
        }
        const newestFirst = [...ids].reverse();
        const page1 = await store.listNotifications(userId);
        assert.deepEqual(page1.items.map((i) => i.id), newestFirst.slice(0, 20));
        assert.ok(page1.nextCursor);
        const page2 = await store.listNotifications(userId, { cursor: page1.nextCursor! });
        assert.deepEqual(page2.items.map((i) => i.id), newestFirst.slice(20));
        assert.equal(page2.nextCursor, null);
        const small = await store.listNotifications(userId, { limit: 2 });
        assert.deepEqual(small.items.map((i) => i.id), newestFirst.slice(0, 2));

        const readAt = new Date('2026-11-28T10:00:00.000Z');
        assert.equal(
          (await store.markNotificationRead(ids[20]!, userId, readAt))!.readAt!.toISOString(),
          readAt.toISOString(),
        );
        const again = await store.markNotificationRead(ids[20]!, userId, new Date('2026-11-28T11:00:00Z'));
        assert.equal(again!.readAt!.toISOString(), readAt.toISOString(), 'the first read time stays');
        const unread = await store.listNotifications(userId, { unreadOnly: true, limit: 100 });
        assert.deepEqual(unread.items.map((i) => i.id), newestFirst.slice(1));
        const everything = await store.listNotifications(userId, { unreadOnly: false, limit: 100 });
        assert.equal(everything.items.length, 21);
      });

      it('scopes reads and marks to the owner, and an unknown cursor lists nothing', async () => {
        const alice = await harness.createUser();
        const bob = await harness.createUser();
        const { notification } = await store.insertNotification(notificationOf(alice));
        assert.equal(await store.getNotification(notification.id, bob), null);
        assert.equal(await store.markNotificationRead(notification.id, bob, new Date()), null);
        assert.equal((await store.getNotification(notification.id))!.readAt, null);
        assert.deepEqual((await store.listNotifications(bob)).items, []);
        assert.deepEqual(
          await store.listNotifications(alice, { cursor: notification.id.replace(/.$/, '0') }),
          {
            items: [],
            nextCursor: null,
          },
        );
        assert.deepEqual(await store.listNotifications(alice, { cursor: 'not-a-uuid' }), {
          items: [],
          nextCursor: null,
        });
      });
    });

    describe('deliveries', () => {
      it('logs each attempt with its optional fields, newest first, 50 by default', async () => {
        const userId = await harness.createUser();
        const endpoint = await endpointOf(userId);
        const { notification } = await store.insertNotification(notificationOf(userId));
        const base = {
          endpointId: endpoint.id,
          userId,
          messageId: `msg_${notification.id}`,
          eventType: 'post.cancelled',
        };
        await store.recordDelivery({
          ...base,
          notificationId: notification.id,
          attempt: 1,
          statusCode: null,
          error: 'no answer within 1000 ms',
          durationMs: 1000.4,
        });
        await store.recordDelivery({
          ...base,
          notificationId: null,
          messageId: 'msg_test_1',
          eventType: 'endpoint.test',
          attempt: 1,
          statusCode: 204,
          error: null,
          durationMs: -3,
        });
        const log = await store.listDeliveries(endpoint.id);
        assert.deepEqual(
          log.map((d) => [d.notificationId, d.statusCode, d.error, d.durationMs, d.attempt, d.messageId]),
          [
            [null, 204, null, 0, 1, 'msg_test_1'],
            [notification.id, null, 'no answer within 1000 ms', 1000, 1, `msg_${notification.id}`],
          ],
        );
        assert.ok(log.every((d) => d.createdAt instanceof Date && d.userId === userId));
        for (let n = 2; n <= 52; n++) {
          await store.recordDelivery({
            ...base,
            notificationId: null,
            attempt: n,
            statusCode: 500,
            error: null,
            durationMs: 1,
          });
        }
        const page = await store.listDeliveries(endpoint.id);
        assert.equal(page.length, 50);
        assert.equal(page[0]!.attempt, 52);
        assert.equal((await store.listDeliveries(endpoint.id, 3)).length, 3);
      });

      it('cuts a long error to 1000 characters without splitting a character, and drops the log with its endpoint', async () => {
        const userId = await harness.createUser();
        const endpoint = await endpointOf(userId);
        await store.recordDelivery({
          endpointId: endpoint.id,
          userId,
          notificationId: null,
          messageId: 'msg_test_2',
          eventType: 'endpoint.test',
          attempt: 1,
          statusCode: null,
          error: `${'x'.repeat(999)}😀😀 and a NUL \u0000`,
          durationMs: 5,
        });
        const [row] = await store.listDeliveries(endpoint.id);
        assert.equal(row!.error, `${'x'.repeat(999)}😀`);
        await store.deleteEndpoint(endpoint.id, userId);
        assert.deepEqual(await store.listDeliveries(endpoint.id), []);
      });
    });
  });
}
