/**
 * The post-status-webhook handler (src/notify/notify-app.ts) on real Postgres: payloads are the ones
 * the trigger really sent through the recording net.http_post stub, POSTed to the app in-process.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createNotifyApp } from '../../src/notify/notify-app.ts';
import type { DeliveryJobData, DeliveryQueue } from '../../src/notify/delivery-queue.ts';
import { createPostgresNotificationStore } from '../../src/store/postgres-notification-store.ts';
import type { NotificationStore } from '../../src/store/notification-store.ts';
import { createStatusEventHandler } from '../../src/notify/status-event-handler.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';
import { captureLogger, configureVault, seedPost, WEBHOOK_SECRET } from '../support/notify-fixtures.ts';

announcePostgresSkip();

const PATH = '/post-status-webhook';
const SECRET_OF_ENDPOINT = `whsec_${btoa('0123456789abcdef0123456789abcdef')}`;

/**
 * Records what would go to BullMQ, batch by batch; `failNext` makes the next batch fail like an
 * unreachable Redis.
 */
function createRecordingDeliveries() {
  const jobs: DeliveryJobData[] = [];
  const batches: DeliveryJobData[][] = [];
  let failures = 0;
  const queue: DeliveryQueue = {
    enqueueAll(batch) {
      if (failures > 0) {
        failures--;
        return Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
      }
      batches.push([...batch]);
      jobs.push(...batch);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  return { queue, jobs, batches, failNext: () => void failures++ };
}

describe('post-status-webhook handler', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let store: NotificationStore;
  let alice: string;
  let bob: string;
  let deliveries: ReturnType<typeof createRecordingDeliveries>;
  let log: ReturnType<typeof captureLogger>;
  let app: ReturnType<typeof createNotifyApp>;

  before(async () => {
    db = await createTestDatabase();
    await configureVault(db.sql);
    alice = await createUser(db.sql);
    bob = await createUser(db.sql);
    store = createPostgresNotificationStore({ sql: db.sql, cipher: await createTokenCipher(randomKey()) });
  });
  beforeEach(() => {
    deliveries = createRecordingDeliveries();
    log = captureLogger();
    const handle = createStatusEventHandler({ store, deliveries: deliveries.queue, logger: log.logger });
    app = createNotifyApp({ secret: WEBHOOK_SECRET, handle, logger: log.logger, basePath: PATH });
  });
  after(async () => {
    await store?.close();
    await db?.drop();
  });

  /** The body of the last webhook the trigger sent. */
  async function lastPayload(): Promise<Record<string, any>> {
    const [call] = await db.sql`select body from net.http_post_calls order by id desc limit 1`;
    return call!.body;
  }

  function send(body: unknown, secret: string | null = WEBHOOK_SECRET): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (secret !== null) headers['x-webhook-secret'] = secret;
    return Promise.resolve(app.request(PATH, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }));
  }

  async function failTarget(userId: string, platform: string, code: string, message: string) {
    const seeded = await seedPost(db.sql, userId, [platform]);
    await db.sql`update public.post_targets set status = 'failed', error_code = ${code},
      error_message = ${message} where id = ${seeded.targets[platform]!}`;
    return { ...seeded, targetId: seeded.targets[platform]!, payload: await lastPayload() };
  }

  async function notificationCount(): Promise<number> {
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from public.notifications`;
    return row!.n;
  }

  it('rejects a missing or wrong secret with 401 and stores nothing', async () => {
    const { payload } = await failTarget(alice, 'x', 'auth_expired', 'expired');
    const before = await notificationCount();
    for (const secret of [null, '', 'wrong', `${WEBHOOK_SECRET}x`, WEBHOOK_SECRET.slice(0, -1) + 'X']) {
      const res = await send(payload, secret);
      assert.equal(res.status, 401, `secret ${JSON.stringify(secret)}`);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      assert.equal((await res.json()).code, 'webhook_unauthorized');
    }
    assert.equal(await notificationCount(), before);
    assert.ok(log.lines.some((l) => l.includes('webhook secret rejected')));
    assert.ok(!log.lines.some((l) => l.includes(WEBHOOK_SECRET.slice(0, -1))), 'the secret is never logged');
  });

  it('rejects anything but a status change of posts or post_targets with 400', async () => {
    const { payload } = await failTarget(alice, 'x', 'auth_expired', 'expired');
    const before = await notificationCount();
    const bad: [string, unknown][] = [
      ['not JSON', '{"type":'],
      ['an array', [payload]],
      ['an unknown type', { ...payload, type: 'TRUNCATE' }],
      ['a DELETE', { ...payload, type: 'DELETE', record: null }],
      ['an unknown table', { ...payload, table: 'social_accounts' }],
      ['another schema', { ...payload, schema: 'auth' }],
      ['a record without id', { ...payload, record: { ...payload.record, id: undefined } }],
      ['an unknown status', { ...payload, record: { ...payload.record, status: 'exploded' } }],
      ['a record id that is not a uuid', { ...payload, record: { ...payload.record, id: '1; drop table' } }],
      ['old_record of another row', {
        ...payload,
        old_record: { ...payload.old_record, id: crypto.randomUUID() },
      }],
      ['no old_record', { ...payload, old_record: undefined }],
    ];
    for (const [name, body] of bad) {
      const res = await send(body);
      assert.equal(res.status, 400, name);
      const problem = await res.json();
      assert.equal(problem.code, 'webhook_payload_invalid', name);
    }
    assert.equal(await notificationCount(), before);
  });

  it('turns a delivered status change into one notification however often it arrives', async () => {
    const { postId, targetId, payload } = await failTarget(
      alice,
      'linkedin',
      'auth_expired',
      'The token used in the request has expired',
    );
    const first = await send(payload);
    assert.equal(first.status, 200);
    const created = await first.json();
    assert.equal(created.outcome, 'created');
    const again = await send(payload);
    assert.deepEqual(await again.json(), { ...created, outcome: 'duplicate' });

    const rows = await db.sql`select * from public.notifications where target_id = ${targetId}`;
    assert.equal(rows.length, 1);
    const [row] = rows;
    assert.equal(row!.id, created.notificationId);
    assert.equal(row!.user_id, alice);
    assert.equal(row!.post_id, postId);
    assert.equal(row!.kind, 'target.failed');
    assert.equal(row!.title, 'Publishing to LinkedIn failed');
    assert.match(row!.body, /auth_expired — The token used in the request has expired\./);
    assert.match(row!.body, /Reconnect your LinkedIn account, then retry the post\./);
    assert.equal(row!.read, false);
  });

  it('tells the creator where a published post is live', async () => {
    const { postId, targets } = await seedPost(db.sql, alice, ['x', 'linkedin']);
    await db.sql`update public.posts set status = 'publishing' where id = ${postId}`;
    await db.sql`update public.post_targets set status = 'published', external_id = 'x-9',
      external_url = 'https://x.com/i/web/status/9' where id = ${targets.x!}`;
    await db.sql`update public.post_targets set status = 'published', external_id = 'urn:li:share:9',
      external_url = 'https://www.linkedin.com/feed/update/urn:li:share:9/' where id = ${targets.linkedin!}`;
    await db.sql`update public.posts set status = 'published', published_at = now() where id = ${postId}`;
    const res = await send(await lastPayload());
    const { notificationId } = await res.json();
    const [row] = await db.sql`select * from public.notifications where id = ${notificationId}`;
    assert.equal(row!.kind, 'post.published');
    assert.equal(row!.title, 'Your post is live on X and LinkedIn');
    assert.equal(row!.link, 'https://x.com/i/web/status/9');
    assert.match(row!.body, /X: https:\/\/x\.com\/i\/web\/status\/9/);
    assert.match(row!.body, /LinkedIn: https:\/\/www\.linkedin\.com\/feed\/update\/urn:li:share:9\//);
  });

  it('answers 200 and skips, with a log line, a post deleted since the change', async () => {
    const { postId, payload } = await failTarget(alice, 'x', 'content_invalid', 'too long');
    await db.sql`delete from public.posts where id = ${postId}`;
    const before = await notificationCount();
    const res = await send(payload);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).outcome, 'skipped');
    assert.equal(await notificationCount(), before);
    assert.ok(
      log.parsed().some((l) =>
        l.msg === 'post no longer exists; notification skipped' && l.postId === postId
      ),
    );
  });

  it('ignores, with 200, a valid payload whose status needs no notification', async () => {
    const { payload } = await failTarget(alice, 'x', 'content_invalid', 'too long');
    const publishing = { ...payload, record: { ...payload.record, status: 'publishing' } };
    const res = await send(publishing);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).outcome, 'ignored');
  });

  it('queues one delivery per endpoint of the owner subscribed to the event', async () => {
    const subscribed = await store.createEndpoint({
      userId: alice,
      url: 'https://hooks.example.com/a',
      secret: SECRET_OF_ENDPOINT,
      events: ['target.failed', 'post.failed'],
    });
    await store.createEndpoint({
      userId: alice,
      url: 'https://hooks.example.com/other-event',
      secret: SECRET_OF_ENDPOINT,
      events: ['post.published'],
    });
    await store.createEndpoint({
      userId: alice,
      url: 'https://hooks.example.com/disabled',
      secret: SECRET_OF_ENDPOINT,
      events: ['target.failed'],
      enabled: false,
    });
    await store.createEndpoint({
      userId: bob,
      url: 'https://hooks.example.com/bob',
      secret: SECRET_OF_ENDPOINT,
      events: ['target.failed'],
    });
    const { payload } = await failTarget(alice, 'instagram', 'media_unreachable', 'could not fetch');
    const res = await send(payload);
    const { notificationId, deliveries: count } = await res.json();
    assert.equal(count, 1);
    assert.deepEqual(deliveries.jobs, [{ endpointId: subscribed.id, notificationId }]);
  });

  it('answers 503 when deliveries cannot be queued, and queues them when the event comes again', async () => {
    await store.createEndpoint({
      userId: bob,
      url: 'https://hooks.example.com/b',
      secret: SECRET_OF_ENDPOINT,
      events: ['target.failed'],
    });
    const { payload } = await failTarget(bob, 'x', 'rate_limited', 'slow down');
    deliveries.failNext();
    const res = await send(payload);
    assert.equal(res.status, 503);
    assert.equal((await res.json()).code, 'not_ready');
    assert.equal(deliveries.jobs.length, 0);
    const retry = await send(payload);
    assert.equal(retry.status, 200);
    const body = await retry.json();
    assert.equal(body.outcome, 'duplicate');
    assert.equal(deliveries.jobs.length, 2, "both of bob's target.failed endpoints");
    assert.ok(deliveries.jobs.every((j) => j.notificationId === body.notificationId));
  });
  it('queues the deliveries of one event to all its endpoints in a single batch', async () => {
    const carol = await createUser(db.sql);
    const endpoints = [];
    for (let n = 0; n < 4; n++) {
      endpoints.push(
        await store.createEndpoint({
          userId: carol,
          url: `https://hooks.example.com/carol/${n}`,
          secret: SECRET_OF_ENDPOINT,
          events: ['target.failed'],
        }),
      );
    }
    const { payload } = await failTarget(carol, 'x', 'content_invalid', 'too long');
    const res = await send(payload);
    assert.equal(res.status, 200);
    const { notificationId, deliveries: count } = await res.json();
    assert.equal(count, 4);
    assert.equal(deliveries.batches.length, 1, 'one enqueue for the whole fan-out');
    assert.deepEqual(
      deliveries.batches[0],
      endpoints.map((e) => ({ endpointId: e.id, notificationId })),
    );
  });
});
