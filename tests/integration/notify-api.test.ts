/**
 * The notifications API (src/api/routes/notifications.ts), in-process with app.request: the memory
 * stores (and, for what once answered 500 there, the Postgres store), real HS256 user tokens, and a
 * local endpoint for test events whose signatures the `standardwebhooks` package verifies.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { Webhook } from 'standardwebhooks';
import { createSupabaseJwtVerifier } from '../../src/api/auth/verify-supabase-jwt.ts';
import { createApp } from '../../src/api/create-app.ts';
import type { ApiOptions, App } from '../../src/api/create-app.ts';
import type { NotificationLimits } from '../../src/api/routes/notifications.ts';
import { NOTIFICATION_KINDS } from '../../src/domain/notification-kinds.ts';
import { sendTestEvent } from '../../src/notify/send-test-event.ts';
import { connectPostgres } from '../../src/store/connect-postgres.ts';
import { createPostgresNotificationStore } from '../../src/store/postgres-notification-store.ts';
import { createMemoryNotificationStore } from '../../src/store/memory-notification-store.ts';
import type { NotificationStore } from '../../src/store/notification-store.ts';
import { createMemoryPostStore } from '../../src/store/memory-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import type { TokenCipher } from '../../src/store/token-cipher.ts';
import { createFakePostScheduler } from '../fakes/fake-post-scheduler.ts';
import { fakeValidateContent, HS256_SECRET } from '../support/api-harness.ts';
import { captureLogger, startWebhookReceiver, verifyStandardWebhook } from '../support/notify-fixtures.ts';
import type { ReceivedWebhook, WebhookReceiver } from '../support/notify-fixtures.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';

announcePostgresSkip();

const HOUR = 3_600_000;
const LIMITS: NotificationLimits = {
  maxEndpointsPerUser: 10,
  testSends: { max: 100, windowMs: HOUR },
  secretRotationWindowMs: 24 * HOUR,
};

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
  extra: { limits?: Partial<NotificationLimits>; now?: () => Date } = {},
): Promise<App> {
  return createApp({
    store: createMemoryPostStore({ cipher: await createTokenCipher(randomKey()) }),
    postScheduler: createFakePostScheduler(),
    validateContent: fakeValidateContent,
    auth: createSupabaseJwtVerifier({ hs256Secret: HS256_SECRET }),
    logger: captureLogger().logger,
    ...(extra.now ? { now: extra.now } : {}),
    notifications: {
      store,
      allowPrivateHosts,
      timeoutMs: 2000,
      sendTestEvent,
      limits: { ...LIMITS, ...extra.limits },
    },
  }, options);
}

/** The Standard Webhooks headers of a request the endpoint received. */
function signedHeadersOf(request: ReceivedWebhook) {
  return {
    'webhook-id': request.headers['webhook-id']!,
    'webhook-timestamp': request.headers['webhook-timestamp']!,
    'webhook-signature': request.headers['webhook-signature']!,
  };
}

/** Whether a receiver holding `secret` accepts the request, as the `standardwebhooks` package decides. */
function verifiesWith(secret: string, request: ReceivedWebhook): boolean {
  try {
    new Webhook(secret).verify(request.body, signedHeadersOf(request));
    return true;
  } catch {
    return false;
  }
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
    assert.equal(listed.nextCursor, null);
    assert.equal(listed.items[0].previousSecretExpiresAt, null);
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
    assert.deepEqual(defaults.events, [...NOTIFICATION_KINDS], 'all events by default');
    assert.equal(defaults.enabled, true);
    assert.equal(defaults.description, null);

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
  it('stores the URL normalised and refuses whitespace inside, NUL and lone surrogates, naming the field', async () => {
    const created = await call('POST', '/notification-endpoints', {
      body: { url: '  HTTPS://Hooks.Example.COM/Path?x=1  ' },
    });
    assert.equal(created.status, 201);
    assert.equal((await created.json()).url, 'https://hooks.example.com/Path?x=1');
    const refused: [Record<string, unknown>, string, RegExp][] = [
      [{ url: 'https://hooks.example.com/a b' }, 'url', /whitespace or control characters/],
      [{ url: 'https://hooks.example.com/\u0000' }, 'url', /NUL character/],
      [{ url: 'https://hooks.example.com/\ud83d' }, 'url', /lone UTF-16 surrogate/],
      [{ url: 'https://hooks.example.com/', description: 'pager \u0000' }, 'description', /NUL character/],
      [
        { url: 'https://hooks.example.com/', description: 'half \ude00' },
        'description',
        /lone UTF-16 surrogate/,
      ],
    ];
    for (const [body, path, message] of refused) {
      const res = await call('POST', '/notification-endpoints', { body });
      assert.equal(res.status, 422, JSON.stringify(body));
      const problem = await res.json();
      assert.equal(problem.code, 'validation_failed');
      assert.equal(problem.errors[0].path, path, JSON.stringify(body));
      assert.match(problem.errors[0].message, message);
    }
    const endpoint = await (await call('POST', '/notification-endpoints', {
      body: { url: 'https://hooks.example.com/patched' },
    })).json();
    const patched = await call('PATCH', `/notification-endpoints/${endpoint.id}`, {
      body: { url: 'HTTPS://HOOKS.example.com/P', description: 'x\u0000' },
    });
    assert.equal(patched.status, 422);
    assert.deepEqual((await patched.json()).errors.map((e: { path: string }) => e.path), ['description']);
    const ok = await call('PATCH', `/notification-endpoints/${endpoint.id}`, {
      body: { url: 'HTTPS://HOOKS.example.com/P' },
    });
    assert.equal((await ok.json()).url, 'https://hooks.example.com/P');
  });

  it('lists endpoints a page at a time with limit and an opaque cursor, like GET /posts', async () => {
    const carol = crypto.randomUUID();
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      const res = await call('POST', '/notification-endpoints', {
        as: carol,
        body: { url: `https://hooks.example.com/${n}` },
      });
      ids.push((await res.json()).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const res = await call('GET', `/notification-endpoints${query}`, { as: carol });
      assert.equal(res.status, 200);
      const page = await res.json();
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((e: { id: string }) => e.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    // Oldest first; endpoints made within one millisecond come in id order, as in Postgres.
    const all = await (await call('GET', '/notification-endpoints?limit=100', { as: carol })).json();
    assert.deepEqual(seen, all.items.map((e: { id: string }) => e.id));
    assert.deepEqual([...seen].sort(), [...ids].sort());
    assert.equal(pages, 3);
    for (const query of ['?cursor=garbage', '?limit=0', '?limit=101', '?limit=x']) {
      const res = await call('GET', `/notification-endpoints${query}`, { as: carol });
      assert.equal(res.status, 422, query);
      const problem = await res.json();
      assert.equal(problem.code, 'validation_failed', query);
      assert.equal(problem.errors[0].path, query.startsWith('?cursor') ? 'cursor' : 'limit', query);
    }
  });

  it('refuses an endpoint past the per-creator limit with 409 endpoint_limit_reached', async () => {
    const capped = await buildApp(store, false, {}, { limits: { maxEndpointsPerUser: 2 } });
    const dave = crypto.randomUUID();
    const post = (as: string) =>
      call('POST', '/notification-endpoints', {
        as,
        on: capped,
        body: { url: 'https://hooks.example.com/' },
      });
    const first = await (await post(dave)).json();
    assert.equal((await post(dave)).status, 201);
    const third = await post(dave);
    assert.equal(third.status, 409);
    const problem = await third.json();
    assert.equal(problem.code, 'endpoint_limit_reached');
    assert.match(problem.detail, /already have 2 webhook endpoints/);
    assert.equal((await post(crypto.randomUUID())).status, 201, 'another creator has their own limit');
    assert.equal(
      (await call('DELETE', `/notification-endpoints/${first.id}`, { as: dave, on: capped })).status,
      204,
    );
    assert.equal((await post(dave)).status, 201, 'room again after a delete');
  });

  it('rate-limits test events per creator with 429 and Retry-After, sending nothing more', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const limited = await buildApp(store, true, {}, {
      limits: { testSends: { max: 2, windowMs: HOUR } },
      now: () => new Date(clock),
    });
    receiver = await startWebhookReceiver(() => ({ status: 204 }));
    const erin = crypto.randomUUID();
    const endpoint = await (await call('POST', '/notification-endpoints', {
      as: erin,
      on: limited,
      body: { url: receiver.url },
    })).json();
    const test = () => call('POST', `/notification-endpoints/${endpoint.id}/test`, { as: erin, on: limited });
    assert.equal((await test()).status, 200);
    clock += 60_000;
    assert.equal((await test()).status, 200);
    clock += 60_000;
    const refused = await test();
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), String(HOUR / 1000 - 120));
    assert.equal(refused.headers.get('content-type'), 'application/problem+json');
    const problem = await refused.json();
    assert.equal(problem.code, 'test_send_rate_limited');
    assert.match(problem.detail, /2 test events within 1 h/);
    assert.equal(receiver.received.length, 2, 'the refused test sent nothing');
    clock += HOUR - 120_000;
    assert.equal((await test()).status, 200, 'the oldest send has left the window');
  });

  it('rotates the signing secret: shown once, and both secrets verify deliveries until the window ends', async () => {
    let clock = Date.now();
    const rotating = await buildApp(store, true, {}, { now: () => new Date(clock) });
    receiver = await startWebhookReceiver(() => ({ status: 200 }));
    const frank = crypto.randomUUID();
    const created = await (await call('POST', '/notification-endpoints', {
      as: frank,
      on: rotating,
      body: { url: receiver.url },
    })).json();
    const oldSecret: string = created.secret;

    const rotated = await call('POST', `/notification-endpoints/${created.id}/rotate-secret`, {
      as: frank,
      on: rotating,
    });
    assert.equal(rotated.status, 200);
    const body = await rotated.json();
    assert.match(body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.notEqual(body.secret, oldSecret);
    assert.equal(body.previousSecretExpiresAt, new Date(clock + 24 * HOUR).toISOString());
    const shown =
      await (await call('GET', `/notification-endpoints/${created.id}`, { as: frank, on: rotating })).json();
    assert.equal(shown.secret, undefined);
    assert.equal(shown.previousSecretExpiresAt, body.previousSecretExpiresAt);

    assert.equal(
      (await call('POST', `/notification-endpoints/${created.id}/test`, { as: frank, on: rotating })).status,
      200,
    );
    const during = receiver.received[0]!;
    assert.equal(
      during.headers['webhook-signature']!.split(' ').length,
      2,
      'two signatures during the window',
    );
    assert.equal(verifiesWith(oldSecret, during), true, 'a receiver still on the old secret verifies it');
    assert.equal(verifiesWith(body.secret, during), true, 'a receiver on the new secret verifies it');
    assert.equal(verifiesWith(`whsec_${btoa('an unrelated secret of 32 bytes!')}`, during), false);

    clock += 24 * HOUR;
    assert.equal(
      (await call('POST', `/notification-endpoints/${created.id}/test`, { as: frank, on: rotating })).status,
      200,
    );
    const afterWindow = receiver.received[1]!;
    assert.equal(afterWindow.headers['webhook-signature']!.split(' ').length, 1, 'one signature after it');
    const headers = {
      id: afterWindow.headers['webhook-id']!,
      timestamp: afterWindow.headers['webhook-timestamp']!,
      signature: afterWindow.headers['webhook-signature']!,
    };
    const nowS = Math.floor(clock / 1000);
    assert.equal(await verifyStandardWebhook(body.secret, headers, afterWindow.body, { nowS }), true);
    assert.equal(await verifyStandardWebhook(oldSecret, headers, afterWindow.body, { nowS }), false);
    const later =
      await (await call('GET', `/notification-endpoints/${created.id}`, { as: frank, on: rotating })).json();
    assert.equal(later.previousSecretExpiresAt, null, 'the old secret is dropped');

    const notYours = await call('POST', `/notification-endpoints/${created.id}/rotate-secret`, {
      on: rotating,
    });
    assert.equal(notYours.status, 404);
    assert.equal((await notYours.json()).code, 'endpoint_not_found');
  });

  it('rotates with no window when NOTIFY_SECRET_ROTATION_WINDOW_MS is 0: the old secret stops at once', async () => {
    const immediate = await buildApp(store, true, {}, { limits: { secretRotationWindowMs: 0 } });
    receiver = await startWebhookReceiver(() => ({ status: 200 }));
    const created =
      await (await call('POST', '/notification-endpoints', { on: immediate, body: { url: receiver.url } }))
        .json();
    const rotated =
      await (await call('POST', `/notification-endpoints/${created.id}/rotate-secret`, { on: immediate }))
        .json();
    assert.equal(rotated.previousSecretExpiresAt, null);
    await call('POST', `/notification-endpoints/${created.id}/test`, { on: immediate });
    const [request] = receiver.received;
    assert.equal(verifiesWith(rotated.secret, request!), true);
    assert.equal(verifiesWith(created.secret, request!), false);
  });
});

describe('notifications API on Postgres', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let sql: ReturnType<typeof connectPostgres>;
  let app: App;
  let user: string;

  before(async () => {
    db = await createTestDatabase();
    user = await createUser(db.sql);
    // A pool of its own, as production opens it: the endpoint below is its first query.
    sql = connectPostgres(db.url, { max: 2 });
    const store = createPostgresNotificationStore({ sql, cipher: await createTokenCipher(randomKey()) });
    app = await buildApp(store, false);
  });
  after(async () => {
    await sql?.end({ timeout: 5 });
    await db?.drop();
  });

  async function post(body: unknown): Promise<Response> {
    return await app.request('/notification-endpoints', {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenFor(user)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  it('creates an endpoint without events (all kinds), once a 500 "malformed array literal"', async () => {
    const res = await post({ url: 'https://hooks.example.com/first' });
    assert.equal(res.status, 201);
    assert.deepEqual((await res.json()).events, [...NOTIFICATION_KINDS]);
  });

  it('stores an upper-case scheme normalised, once a 500 from the check constraint', async () => {
    const res = await post({ url: 'HTTPS://Hooks.Example.com/Upper' });
    assert.equal(res.status, 201);
    assert.equal((await res.json()).url, 'https://hooks.example.com/Upper');
  });

  it('answers NUL and lone surrogates with 422 naming the field, once a 500 from Postgres', async () => {
    for (
      const [body, path] of [
        [{ url: 'https://hooks.example.com/', description: 'a\u0000b' }, 'description'],
        [{ url: 'https://hooks.example.com/', description: '\ud83d' }, 'description'],
        [{ url: 'https://hooks.example.com/\u0000' }, 'url'],
      ] as const
    ) {
      const res = await post(body);
      assert.equal(res.status, 422, JSON.stringify(body));
      assert.equal((await res.json()).errors[0].path, path);
    }
  });

  it('pages the endpoints through the same cursor as the memory store', async () => {
    const auth = { authorization: `Bearer ${await tokenFor(user)}` };
    const first = await (await app.request('/notification-endpoints?limit=1', { headers: auth })).json();
    assert.equal(first.items.length, 1);
    const second = await (await app.request(
      `/notification-endpoints?limit=1&cursor=${encodeURIComponent(first.nextCursor)}`,
      { headers: auth },
    )).json();
    assert.equal(second.items.length, 1);
    assert.notEqual(second.items[0].id, first.items[0].id);
  });
});
