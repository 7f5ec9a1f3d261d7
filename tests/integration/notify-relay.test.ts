/**
 * The pg_notify fallback end to end, as self-hosted Postgres without pg_net runs it: the trigger
 * NOTIFYs, the worker's relay (NOTIFY_RELAY=true, started by startNotifications) hands the payload to
 * the same handler as the Edge Function, the notification is stored, and the delivery worker POSTs it,
 * signed, to the creator's endpoint. Real Postgres and the shared Redis under a unique QUEUE_PREFIX.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.ts';
import { createPostgresNotificationStore } from '../../src/store/postgres-notification-store.ts';
import type { NotificationStore } from '../../src/store/notification-store.ts';
import { createServices } from '../../src/app/create-services.ts';
import type { Services } from '../../src/app/create-services.ts';
import { startNotifications } from '../../src/app/start-notifications.ts';
import type { NotificationServices } from '../../src/app/start-notifications.ts';
import { createStatusEventHandler } from '../../src/notify/status-event-handler.ts';
import { generateWebhookSecret } from '../../src/net/standard-webhooks.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-redis.ts';
import { deletePrefixKeys } from '../support/worker-fixtures.ts';
import {
  captureLogger,
  configureVault,
  seedPost,
  startWebhookReceiver,
  verifyStandardWebhook,
} from '../support/notify-fixtures.ts';
import type { WebhookReceiver } from '../support/notify-fixtures.ts';
import { waitFor } from '../support/wait-for.ts';

announcePostgresSkip();

describe('pg_notify relay (no pg_net)', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let store: NotificationStore;
  let app: Services | null = null;
  let services: NotificationServices | null = null;
  let receiver: WebhookReceiver;
  let queuePrefix: string;
  let alice: string;
  let legacyEndpointId: string;
  const log = captureLogger();

  before(async () => {
    db = await createTestDatabase();
    await configureVault(db.sql); // present but unused: without net.http_post the trigger notifies
    await db.sql`drop function net.http_post(text, jsonb, jsonb, jsonb, integer)`;
    alice = await createUser(db.sql);
    // The worker's services seal and open secrets with TOKEN_ENCRYPTION_KEY: so does this store.
    const key = randomKey();
    store = createPostgresNotificationStore({ sql: db.sql, cipher: await createTokenCipher(key) });
    receiver = await startWebhookReceiver(() => ({ status: 200 }));
    queuePrefix = uniqueQueuePrefix('relay');
    const config = loadConfig({
      DATABASE_URL: db.url,
      TOKEN_ENCRYPTION_KEY: btoa(String.fromCharCode(...key)),
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: queuePrefix,
      NOTIFY_RELAY: 'true',
      NOTIFY_DELIVERY: 'true',
      NOTIFY_ALLOW_PRIVATE_HOSTS: 'true',
      NOTIFY_DELIVERY_BACKOFF_MS: '100',
    });
    // An endpoint saved before secrets were encrypted, its secret in clear: the worker seals it at start.
    const [legacy] = await db.sql<{ id: string }[]>`
      insert into public.notification_endpoints (user_id, url, secret, events)
      values (${alice}, 'https://legacy.example.com/', ${generateWebhookSecret()}, '{post.published}')
      returning id`;
    legacyEndpointId = legacy!.id;
    app = createServices(config, { logger: log.logger });
    services = await startNotifications(app);
  });
  after(async () => {
    await services?.close();
    await app?.close();
    await receiver?.close();
    await store?.close();
    await db?.drop();
    if (queuePrefix) await deletePrefixKeys(queuePrefix);
  });

  it('stores and delivers the notifications of a failed post without pg_net', async () => {
    const secret = generateWebhookSecret();
    await store.createEndpoint({
      userId: alice,
      url: receiver.url,
      secret,
      events: ['post.failed', 'target.failed'],
    });
    const { postId, targets } = await seedPost(db.sql, alice, ['x']);
    await db.sql`update public.posts set status = 'publishing' where id = ${postId}`;
    await db.sql`update public.post_targets set status = 'failed', error_code = 'duplicate_content',
      error_message = 'Status is a duplicate.' where id = ${targets.x!}`;
    await db.sql`update public.posts set status = 'failed' where id = ${postId}`;

    const rows = await waitFor(async () => {
      const found = await db.sql`
        select kind, title, body, event_key from public.notifications where post_id = ${postId} order by kind`;
      return found.length === 2 ? found : null;
    }, { what: 'two relayed notifications' });
    assert.deepEqual(rows.map((r) => r.kind), ['post.failed', 'target.failed']);
    assert.equal(rows[1]!.title, 'Publishing to X failed');
    assert.match(rows[1]!.body, /duplicate_content — Status is a duplicate\. X refused it as a duplicate/);
    assert.equal(rows[0]!.title, 'Your post was not published on X');

    await receiver.waitForRequests(2);
    const types = [];
    for (const request of receiver.received) {
      const verified = await verifyStandardWebhook(secret, {
        id: request.headers['webhook-id']!,
        timestamp: request.headers['webhook-timestamp']!,
        signature: request.headers['webhook-signature']!,
      }, request.body);
      assert.equal(verified, true);
      types.push(JSON.parse(request.body).type);
    }
    assert.deepEqual(types.sort(), ['post.failed', 'target.failed']);
  });

  it('makes the same notification as the pg_net payload of the same change would', async () => {
    const { targets } = await seedPost(db.sql, alice, ['linkedin']);
    await db.sql`update public.post_targets set status = 'failed', error_code = 'auth_revoked'
      where id = ${targets.linkedin!}`;
    const [relayed] = await waitFor(
      () =>
        db.sql`select id, title, body, link from public.notifications where target_id = ${targets.linkedin!}`
          .then((r) => (r.length === 1 ? r : null)),
      { what: 'the relayed notification' },
    );
    // What the trigger would have POSTed with pg_net: whole rows (built here from the same row).
    const [full] = await db.sql`
      select jsonb_build_object('type', 'UPDATE', 'table', 'post_targets', 'schema', 'public',
        'record', to_jsonb(t), 'old_record', to_jsonb(t) || '{"status": "pending"}'::jsonb) as payload
      from public.post_targets t where id = ${targets.linkedin!}`;
    const handle = createStatusEventHandler({ store, deliveries: null, logger: log.logger });
    const outcome = await handle(full!.payload);
    assert.deepEqual(outcome, { outcome: 'duplicate', notificationId: relayed!.id, deliveries: 0 });
  });

  it('drops a malformed notification with a log line and keeps relaying', async () => {
    await db.sql`select pg_notify('post_status_webhook', '{"type":"UPDATE","table":"users"}')`;
    await db.sql`select pg_notify('post_status_webhook', 'not json')`;
    await waitFor(() => log.parsed().some((l) => l.msg === 'relayed payload rejected; dropped'), {
      what: 'the rejection log line',
    });
    await waitFor(() => log.parsed().some((l) => l.msg === 'relayed notification is not JSON; dropped'), {
      what: 'the not-JSON log line',
    });
    const { postId } = await seedPost(db.sql, alice);
    await db.sql`update public.posts set status = 'cancelled' where id = ${postId}`;
    await waitFor(
      () => db.sql`select 1 from public.notifications where post_id = ${postId}`.then((r) => r.length === 1),
      { what: 'the cancellation notification' },
    );
  });
  it('encrypts, when the delivery worker starts, the signing secrets stored in clear', async () => {
    const [row] = await db.sql`
      select secret, secret_ciphertext from public.notification_endpoints where id = ${legacyEndpointId}`;
    assert.equal(row!.secret, null);
    assert.match(row!.secret_ciphertext, /^v1\./);
    assert.ok(
      log.parsed().some((l) =>
        l.msg === 'endpoint signing secrets stored in clear are now encrypted' && l.sealed === 1
      ),
    );
  });
});
