/**
 * Notification storage: the same cases against the memory and the Postgres NotificationStore, then
 * what the Data API allows on the new tables (RLS, grants, the Realtime publication) on real Postgres.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Sql, TransactionSql } from 'postgres';
import { createMemoryNotificationStore } from '../../src/store/memory-notification-store.ts';
import { createPostgresNotificationStore } from '../../src/store/postgres-notification-store.ts';
import type { NewNotification, NotificationStore } from '../../src/store/notification-store.ts';
import { generateWebhookSecret } from '../../src/net/standard-webhooks.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';

announcePostgresSkip();

function notificationOf(userId: string, n: number): NewNotification {
  return {
    userId,
    postId: null,
    targetId: null,
    kind: 'post.cancelled',
    title: `Your post was cancelled (${n})`,
    body: 'Your post scheduled for 2026-12-01 09:00 UTC was cancelled and will not be published.',
    link: null,
    eventKey: `posts:${crypto.randomUUID()}:cancelled:v1`,
  };
}

interface Harness {
  store: NotificationStore;
  users: [string, string];
  close(): Promise<void>;
}

function storeCases(name: string, make: () => Promise<Harness>, skip: string | false) {
  describe(`${name} notification store`, { skip }, () => {
    let h: Harness;
    before(async () => {
      h = await make();
    });
    after(async () => {
      await h?.close();
    });

    it('stores one notification per event key', async () => {
      const [alice] = h.users;
      const input = notificationOf(alice, 0);
      const first = await h.store.insertNotification(input);
      const second = await h.store.insertNotification({ ...input, title: 'something else' });
      assert.equal(first.created, true);
      assert.equal(second.created, false);
      assert.equal(second.notification.id, first.notification.id);
      assert.equal(second.notification.title, input.title);
    });

    it("lists the owner's notifications newest first, page by page, with an unread filter", async () => {
      const [, bob] = h.users;
      const ids: string[] = [];
      for (let n = 1; n <= 5; n++) {
        ids.push((await h.store.insertNotification(notificationOf(bob, n))).notification.id);
        await new Promise((resolve) => setTimeout(resolve, 2)); // distinct created_at in memory too
      }
      const newestFirst = [...ids].reverse();
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 3; page++) {
        const result = await h.store.listNotifications(bob, { limit: 2, ...(cursor ? { cursor } : {}) });
        seen.push(...result.items.map((i) => i.id));
        if (!result.nextCursor) break;
        cursor = result.nextCursor;
      }
      assert.deepEqual(seen, newestFirst);
      const read = await h.store.markNotificationRead(ids[4]!, bob, new Date('2026-11-28T10:00:00Z'));
      assert.equal(read!.readAt!.toISOString(), '2026-11-28T10:00:00.000Z');
      const again = await h.store.markNotificationRead(ids[4]!, bob, new Date('2026-11-28T11:00:00Z'));
      assert.equal(again!.readAt!.toISOString(), '2026-11-28T10:00:00.000Z', 'the first read time stays');
      const unread = await h.store.listNotifications(bob, { unreadOnly: true });
      assert.deepEqual(unread.items.map((i) => i.id), newestFirst.slice(1));
      assert.equal(await h.store.markNotificationRead(ids[0]!, h.users[0], new Date()), null);
      assert.equal(await h.store.getNotification(ids[0]!, h.users[0]), null);
    });

    it('keeps endpoints per owner and finds those subscribed to an event', async () => {
      const [alice, bob] = h.users;
      const secret = generateWebhookSecret();
      const a = await h.store.createEndpoint({
        userId: alice,
        url: 'https://a.example.com/hook',
        secret,
        events: ['post.failed', 'target.failed'],
      });
      await h.store.createEndpoint({
        userId: bob,
        url: 'https://b.example.com',
        secret,
        events: ['post.failed'],
      });
      assert.equal(a.secret, secret);
      assert.equal(await h.store.getEndpoint(a.id, bob), null);
      assert.deepEqual((await h.store.listSubscribedEndpoints(alice, 'post.failed')).map((e) => e.id), [
        a.id,
      ]);
      assert.deepEqual(await h.store.listSubscribedEndpoints(alice, 'post.published'), []);
      const changed = await h.store.updateEndpoint(a.id, alice, { enabled: false, description: 'ops' });
      assert.equal(changed!.enabled, false);
      assert.equal(changed!.description, 'ops');
      assert.deepEqual(changed!.events, ['post.failed', 'target.failed']);
      assert.deepEqual(await h.store.listSubscribedEndpoints(alice, 'post.failed'), []);
      assert.equal(await h.store.updateEndpoint(a.id, bob, { enabled: true }), null);
      await h.store.recordDelivery({
        endpointId: a.id,
        userId: alice,
        notificationId: null,
        messageId: 'msg_test_1',
        eventType: 'endpoint.test',
        attempt: 1,
        statusCode: 200,
        error: null,
        durationMs: 12,
      });
      const log = await h.store.listDeliveries(a.id);
      assert.equal(log.length, 1);
      assert.equal(log[0]!.statusCode, 200);
      assert.equal(await h.store.deleteEndpoint(a.id, bob), false);
      assert.equal(await h.store.deleteEndpoint(a.id, alice), true);
      assert.equal(await h.store.getEndpoint(a.id), null);
    });
  });
}

storeCases('memory', () =>
  Promise.resolve({
    store: createMemoryNotificationStore(),
    users: [crypto.randomUUID(), crypto.randomUUID()],
    close: () => Promise.resolve(),
  }), false);

let shared: TestDatabase | null = null;
storeCases('postgres', async () => {
  shared = await createTestDatabase();
  return {
    store: createPostgresNotificationStore({ sql: shared.sql }),
    users: [await createUser(shared.sql), await createUser(shared.sql)],
    close: async () => {
      await shared?.drop();
    },
  };
}, postgresSkip);

class Rollback extends Error {}
async function asUser<T>(
  sql: Sql,
  userId: string | null,
  fn: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  await sql.begin(async (tx) => {
    await tx.unsafe(`set local role ${userId ? 'authenticated' : 'anon'}`);
    const claims = userId ? { sub: userId, role: 'authenticated' } : { role: 'anon' };
    await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    result = await fn(tx);
    throw new Rollback();
  }).catch((err) => {
    if (!(err instanceof Rollback)) throw err;
  });
  return result as T;
}

describe('notification tables through the Data API', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let alice: string;
  let bob: string;
  let aliceNotification: string;
  let bobNotification: string;

  before(async () => {
    db = await createTestDatabase();
    alice = await createUser(db.sql);
    bob = await createUser(db.sql);
    const store = createPostgresNotificationStore({ sql: db.sql });
    aliceNotification = (await store.insertNotification(notificationOf(alice, 1))).notification.id;
    bobNotification = (await store.insertNotification(notificationOf(bob, 1))).notification.id;
    const endpoint = await store.createEndpoint({
      userId: alice,
      url: 'https://a.example.com',
      secret: generateWebhookSecret(),
      events: ['post.failed'],
    });
    await store.recordDelivery({
      endpointId: endpoint.id,
      userId: alice,
      notificationId: aliceNotification,
      messageId: `msg_${aliceNotification}`,
      eventType: 'post.failed',
      attempt: 1,
      statusCode: 500,
      error: 'the endpoint answered HTTP 500',
      durationMs: 30,
    });
  });
  after(async () => {
    await db?.drop();
  });

  it("hides other users' notifications", async () => {
    const rows = await asUser(db.sql, alice, (tx) => tx`select id, user_id from public.notifications`);
    assert.deepEqual(rows.map((r) => r.id), [aliceNotification]);
    const bobs = await asUser(db.sql, bob, (tx) => tx`select id from public.notifications`);
    assert.deepEqual(bobs.map((r) => r.id), [bobNotification]);
  });

  it('lets the owner mark a notification read, and nothing else', async () => {
    const marked = await asUser(
      db.sql,
      alice,
      (tx) =>
        tx`update public.notifications set read_at = now() where id = ${aliceNotification} returning read`,
    );
    assert.deepEqual(marked.map((r) => r.read), [true]);
    const others = await asUser(
      db.sql,
      alice,
      (tx) => tx`update public.notifications set read_at = now() where id = ${bobNotification} returning id`,
    );
    assert.equal(others.length, 0);
    await assert.rejects(
      asUser(
        db.sql,
        alice,
        (tx) => tx`update public.notifications set title = 'x' where id = ${aliceNotification}`,
      ),
      /permission denied/,
    );
    await assert.rejects(
      asUser(db.sql, alice, (tx) => tx`delete from public.notifications where id = ${aliceNotification}`),
      /permission denied/,
    );
    await assert.rejects(
      asUser(
        db.sql,
        alice,
        (tx) =>
          tx`insert into public.notifications (user_id, kind, title, body, event_key)
             values (${alice}, 'post.failed', 't', 'b', 'forged')`,
      ),
      /permission denied/,
    );
  });

  it('never shows an endpoint secret, and shows each owner only their endpoints and deliveries', async () => {
    await assert.rejects(
      asUser(db.sql, alice, (tx) => tx`select secret from public.notification_endpoints`),
      /permission denied/,
    );
    const own = await asUser(db.sql, alice, (tx) => tx`select id, url from public.notification_endpoints`);
    assert.equal(own.length, 1);
    const bobs = await asUser(db.sql, bob, (tx) => tx`select id from public.notification_endpoints`);
    assert.equal(bobs.length, 0);
    const deliveries = await asUser(db.sql, bob, (tx) => tx`select id from public.notification_deliveries`);
    assert.equal(deliveries.length, 0);
    const aliceDeliveries = await asUser(
      db.sql,
      alice,
      (tx) => tx`select status_code from public.notification_deliveries`,
    );
    assert.deepEqual(aliceDeliveries.map((r) => r.status_code), [500]);
  });

  it('gives anon nothing on the notification tables', async () => {
    for (const table of ['notifications', 'notification_endpoints', 'notification_deliveries']) {
      await assert.rejects(
        asUser(db.sql, null, (tx) => tx.unsafe(`select 1 from public.${table}`)),
        /permission denied/,
        table,
      );
    }
  });

  it('publishes notifications to Supabase Realtime', async () => {
    const rows = await db.sql`
      select tablename from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public'`;
    assert.deepEqual(rows.map((r) => r.tablename), ['notifications']);
  });
});
