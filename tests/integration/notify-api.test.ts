/**
 * The notifications API (src/api/routes/notifications.ts), in-process with app.request: the memory
 * stores, real HS256 user tokens, and a local endpoint for test events.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { createSupabaseJwtVerifier } from '../../src/api/auth/verify-supabase-jwt.ts';
import { createApp } from '../../src/api/create-app.ts';
import type { ApiOptions, App } from '../../src/api/create-app.ts';
import { sendTestEvent } from '../../src/notify/send-test-event.ts';
import { createMemoryNotificationStore } from '../../src/store/memory-notification-store.ts';
import type { NotificationStore } from '../../src/store/notification-store.ts';
import { createMemoryPostStore } from '../../src/store/memory-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import type { TokenCipher } from '../../src/store/token-cipher.ts';
import { createFakePostScheduler } from '../fakes/fake-post-scheduler.ts';
import { fakeValidateContent, HS256_SECRET } from '../support/api-harness.ts';
import { captureLogger, startWebhookReceiver, verifyStandardWebhook } from '../support/notify-fixtures.ts';
import type { WebhookReceiver } from '../support/notify-fixtures.ts';

const alice = crypto.randomUUID();
const bob = crypto.randomUUID();

async function tokenFor(sub: string): Promise<string> {
  return await new SignJWT({ role: 'authenticated', aud: 'authenticated' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
    .sign(new TextEncoder().encode(HS256_SECRET));
}

async function buildApp(
  store: NotificationStore,
  allowPrivateHosts: boolean,
  options: ApiOptions = {},
): Promise<App> {
  return createApp({
    store: createMemoryPostStore({ cipher: await createTokenCipher(randomKey()) }),
    postScheduler: createFakePostScheduler(),
    validateContent: fakeValidateContent,
    auth: createSupabaseJwtVerifier({ hs256Secret: HS256_SECRET }),
    logger: captureLogger().logger,
    notifications: { store, allowPrivateHosts, timeoutMs: 2000, sendTestEvent },
  }, options);
}

describe('notifications API', () => {
  let store: NotificationStore;
  let app: App;
  let devApp: App;
  let receiver: WebhookReceiver | null = null;

  let cipherForTests: TokenCipher;

  before(async () => {
    cipherForTests = await createTokenCipher(randomKey());
    store = createMemoryNotificationStore();
    app = await buildApp(store, false);
    devApp = await buildApp(store, true);
  });
  afterEach(async () => {
    await receiver?.close();
    receiver = null;
  });
  after(async () => {
    await store.close();
  });

  async function call(
    method: string,
    path: string,
    init: { as?: string | null; body?: unknown; on?: App } = {},
  ): Promise<Response> {
    const headers = new Headers();
    const as = init.as === undefined ? alice : init.as;
    if (as) headers.set('authorization', `Bearer ${await tokenFor(as)}`);
    if (init.body !== undefined) headers.set('content-type', 'application/json');
    return await (init.on ?? app).request(path, {
      method,
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  }

  async function notify(userId: string, n: number) {
    const { notification } = await store.insertNotification({
      userId,
      postId: crypto.randomUUID(),
      targetId: null,
      kind: 'post.failed',
      title: `Your post was not published (${n})`,
      body: 'missed. It was not sent because it was overdue; schedule it again.',
      link: null,
      eventKey: `posts:${crypto.randomUUID()}:failed:v1`,
    });
    await new Promise((resolve) => setTimeout(resolve, 2));
    return notification;
  }

  it('serves the notifications route group alone, as the notifications Edge Functions do', async () => {
    const only = await buildApp(store, false, { routes: ['notifications'] });
    assert.equal((await call('GET', '/notifications', { on: only })).status, 200);
    assert.equal((await call('GET', '/notification-endpoints', { on: only })).status, 200);
    assert.equal((await call('GET', '/posts', { on: only })).status, 404);
    assert.equal((await call('GET', '/accounts', { on: only })).status, 404);
    const without = await buildApp(store, false, { routes: ['system', 'posts', 'accounts'] });
    assert.equal((await call('GET', '/notifications', { on: without })).status, 404);
    assert.equal((await call('GET', '/posts', { on: without })).status, 200);
  });

  it('refuses to build the notifications route group without its dependencies', () => {
    assert.throws(
      () =>
        createApp({
          store: createMemoryPostStore({ cipher: cipherForTests }),
          postScheduler: createFakePostScheduler(),
          validateContent: fakeValidateContent,
          auth: createSupabaseJwtVerifier({ hs256Secret: HS256_SECRET }),
          logger: captureLogger().logger,
        }, { routes: ['notifications'] }),
      /deps\.notifications/,
    );
  });

  it('asks for a user token', async () => {
    for (const path of ['/notifications', '/notification-endpoints']) {
      const res = await call('GET', path, { as: null });
      assert.equal(res.status, 401, path);
      assert.equal((await res.json()).code, 'auth_required');
    }
  });

  it('lists only your notifications, newest first, a page at a time, unread ones on request', async () => {
    const mine = [await notify(alice, 1), await notify(alice, 2), await notify(alice, 3)];
    await notify(bob, 1);
    const first = await call('GET', '/notifications?limit=2');
    assert.equal(first.status, 200);
    const page1 = await first.json();
    assert.deepEqual(page1.items.map((i: { id: string }) => i.id), [mine[2]!.id, mine[1]!.id]);
    assert.equal(page1.items[0].read, false);
    assert.equal(page1.items[0].kind, 'post.failed');
    const page2 = await (await call('GET', `/notifications?limit=2&cursor=${page1.nextCursor}`)).json();
    assert.deepEqual(page2.items.map((i: { id: string }) => i.id), [mine[0]!.id]);
    assert.equal(page2.nextCursor, null);

    const read = await call('POST', `/notifications/${mine[2]!.id}/read`);
    assert.equal(read.status, 200);
    const readBody = await read.json();
    assert.equal(readBody.read, true);
    assert.ok(readBody.readAt);
    const unread = await (await call('GET', '/notifications?unread=true')).json();
    assert.deepEqual(unread.items.map((i: { id: string }) => i.id), [mine[1]!.id, mine[0]!.id]);

    const bad = await call('GET', '/notifications?unread=yes&limit=500');
    assert.equal(bad.status, 422);
    assert.deepEqual((await bad.json()).errors.map((e: { path: string }) => e.path).sort(), [
      'limit',
      'unread',
    ]);
  });

  it("answers 404 for another user's notification", async () => {
    const bobs = await notify(bob, 2);
    const res = await call('POST', `/notifications/${bobs.id}/read`);
    assert.equal(res.status, 404);
    assert.equal((await res.json()).code, 'notification_not_found');
    assert.equal((await store.getNotification(bobs.id))!.readAt, null);
  });

  it('creates an endpoint with a signing secret shown once, then lists, changes and removes it', async () => {
    const created = await call('POST', '/notification-endpoints', {
      body: { url: 'https://hooks.example.com/solospark', events: ['post.failed'], description: 'ops' },
    });
    assert.equal(created.status, 201);
    const endpoint = await created.json();
    assert.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(created.headers.get('location'), `/notification-endpoints/${endpoint.id}`);
    assert.deepEqual(endpoint.events, ['post.failed']);

    const listed = await (await call('GET', '/notification-endpoints')).json();
    assert.deepEqual(listed.items.map((e: { id: string }) => e.id), [endpoint.id]);
    assert.equal(listed.items[0].secret, undefined);
    const one = await (await call('GET', `/notification-endpoints/${endpoint.id}`)).json();
    assert.equal(one.secret, undefined);
    assert.equal((await call('GET', `/notification-endpoints/${endpoint.id}`, { as: bob })).status, 404);

    const changed = await call('PATCH', `/notification-endpoints/${endpoint.id}`, {
      body: { enabled: false, events: ['post.failed', 'target.unconfirmed'] },
    });
    assert.equal(changed.status, 200);
    const after = await changed.json();
    assert.equal(after.enabled, false);
    assert.deepEqual(after.events, ['post.failed', 'target.unconfirmed']);
    assert.equal(after.description, 'ops');

    const defaults = await (await call('POST', '/notification-endpoints', {
      body: { url: 'https://hooks.example.com/all' },
    })).json();
    assert.equal(defaults.events.length, 6, 'all events by default');

    assert.equal((await call('DELETE', `/notification-endpoints/${endpoint.id}`, { as: bob })).status, 404);
    assert.equal((await call('DELETE', `/notification-endpoints/${endpoint.id}`)).status, 204);
    const gone = await call('GET', `/notification-endpoints/${endpoint.id}`);
    assert.equal(gone.status, 404);
    assert.equal((await gone.json()).code, 'endpoint_not_found');
  });

  it('refuses endpoint URLs that are not https to a public host, unless private hosts are allowed', async () => {
    const refused = [
      'http://hooks.example.com/x',
      'https://localhost/x',
      'https://127.0.0.1/x',
      'https://10.1.2.3/x',
      'https://[::1]/x',
      'https://169.254.169.254/latest',
      'https://user:pass@hooks.example.com/',
      'ftp://hooks.example.com/',
      'not a url',
    ];
    for (const url of refused) {
      const res = await call('POST', '/notification-endpoints', { body: { url } });
      assert.equal(res.status, 422, url);
      const problem = await res.json();
      assert.equal(problem.code, 'validation_failed', url);
      assert.equal(problem.errors[0].path, 'url', url);
    }
    const badEvent = await call('POST', '/notification-endpoints', {
      body: { url: 'https://hooks.example.com', events: ['post.exploded'] },
    });
    assert.equal(badEvent.status, 422);
    const dev = await call('POST', '/notification-endpoints', {
      body: { url: 'http://127.0.0.1:9/x' },
      on: devApp,
    });
    assert.equal(dev.status, 201);
  });

  it('sends a signed test event and reports what the endpoint answered', async () => {
    receiver = await startWebhookReceiver((n) => ({ status: n === 0 ? 200 : 503 }));
    const created = await (await call('POST', '/notification-endpoints', {
      body: { url: receiver.url },
      on: devApp,
    })).json();
    const res = await call('POST', `/notification-endpoints/${created.id}/test`, { on: devApp });
    assert.equal(res.status, 200);
    const result = await res.json();
    assert.equal(result.delivered, true);
    assert.equal(result.statusCode, 200);
    assert.match(result.messageId, /^msg_test_/);

    const [request] = receiver.received;
    assert.equal(request!.headers['webhook-id'], result.messageId);
    const verified = await verifyStandardWebhook(created.secret, {
      id: request!.headers['webhook-id']!,
      timestamp: request!.headers['webhook-timestamp']!,
      signature: request!.headers['webhook-signature']!,
    }, request!.body);
    assert.equal(verified, true);
    const body = JSON.parse(request!.body);
    assert.equal(body.type, 'endpoint.test');
    assert.equal(body.data.endpointId, created.id);

    const failed = await (await call('POST', `/notification-endpoints/${created.id}/test`, { on: devApp }))
      .json();
    assert.deepEqual(
      { delivered: failed.delivered, statusCode: failed.statusCode, error: failed.error },
      { delivered: false, statusCode: 503, error: 'the endpoint answered HTTP 503' },
    );
    const log = await store.listDeliveries(created.id);
    assert.deepEqual(log.map((d) => d.statusCode), [503, 200]);
  });
});
