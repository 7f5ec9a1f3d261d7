/**
 * Notification storage on real Postgres beyond the adapter contract (tests/contract/
 * notification-store.contract.ts runs the shared cases on both adapters): what the rows hold (sealed
 * secrets, legacy secrets in clear and their sealing, the check constraints), then what the Data API
 * allows on the notification tables (RLS, grants, the Realtime publication).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Sql, TransactionSql } from 'postgres';
import { createPostgresNotificationStore } from '../../src/store/postgres-notification-store.ts';
import type { NewNotification, NotificationStore } from '../../src/store/notification-store.ts';
import { NOTIFICATION_KINDS } from '../../src/domain/notification-kinds.ts';
import { generateWebhookSecret } from '../../src/net/standard-webhooks.ts';
import { connectPostgres } from '../../src/store/connect-postgres.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import type { TokenCipher } from '../../src/store/token-cipher.ts';
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

describe('notification storage on Postgres', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let cipher: TokenCipher;
  let store: NotificationStore;
  let alice: string;

  before(async () => {
    db = await createTestDatabase();
    cipher = await createTokenCipher(randomKey());
    store = createPostgresNotificationStore({ sql: db.sql, cipher });
    alice = await createUser(db.sql);
  });
  after(async () => {
    await db?.drop();
  });

  it('creates an endpoint without events as the first query of a fresh connection', async () => {
    // postgres.js serialised the first text[] of a connection as `a,b,c` ("malformed array literal").
    const fresh = connectPostgres(db.url, { max: 1 });
    try {
      const first = createPostgresNotificationStore({ sql: fresh, cipher });
      const endpoint = await first.createEndpoint({
        userId: alice,
        url: 'https://a.example.com/',
        secret: generateWebhookSecret(),
      });
      assert.deepEqual(endpoint.events, [...NOTIFICATION_KINDS]);
    } finally {
      await fresh.end({ timeout: 5 });
    }
  });

  it('stores signing secrets only encrypted, bound to their endpoint', async () => {
    const secret = generateWebhookSecret();
    const endpoint = await store.createEndpoint({ userId: alice, url: 'https://a.example.com/', secret });
    const at = new Date();
    const next = generateWebhookSecret();
    await store.rotateEndpointSecret(endpoint.id, alice, {
      secret: next,
      previousExpiresAt: new Date(at.getTime() + 3_600_000),
    }, at);
    const [row] = await db.sql`
      select secret, secret_ciphertext, previous_secret_ciphertext, row_to_json(e)::text as whole
      from public.notification_endpoints e where id = ${endpoint.id}`;
    assert.equal(row!.secret, null);
    assert.match(row!.secret_ciphertext, /^v1\.[0-9a-f]{16}\./);
    assert.match(row!.previous_secret_ciphertext, /^v1\.[0-9a-f]{16}\./);
    for (const s of [secret, next]) {
      assert.ok(!row!.whole.includes(s.slice('whsec_'.length)), 'no secret in clear in the row');
    }
    // A ciphertext moved to another endpoint's row does not open there.
    const other = await store.createEndpoint({ userId: alice, url: 'https://b.example.com/', secret });
    await db.sql`update public.notification_endpoints set secret_ciphertext = ${row!.secret_ciphertext}
                 where id = ${other.id}`;
    await assert.rejects(store.getSigningSecrets(other.id, at), (err: { code?: string }) => {
      assert.equal(err.code, 'token_decrypt_failed');
      return true;
    });
  });

  it('reads and then seals a secret stored in clear before encryption', async () => {
    const legacy = generateWebhookSecret();
    const [row] = await db.sql<{ id: string }[]>`
      insert into public.notification_endpoints (user_id, url, secret, events)
      values (${alice}, 'https://legacy.example.com/', ${legacy}, '{post.failed}') returning id`;
    const [second] = await db.sql<{ id: string }[]>`
      insert into public.notification_endpoints (user_id, url, secret, events)
      values (${alice}, 'https://legacy.example.com/2', ${generateWebhookSecret()}, '{post.failed}') returning id`;
    assert.deepEqual(await store.getSigningSecrets(row!.id, new Date()), [legacy]);
    const [sealedOnRead] = await db.sql`select secret, secret_ciphertext from public.notification_endpoints
                                        where id = ${row!.id}`;
    assert.equal(sealedOnRead!.secret, null, 'the first signing sealed it');
    assert.deepEqual(await store.getSigningSecrets(row!.id, new Date()), [legacy]);
    assert.equal(await store.sealPlaintextSecrets(), 1);
    assert.equal(await store.sealPlaintextSecrets(), 0);
    const [sealed] = await db.sql`select secret from public.notification_endpoints where id = ${second!.id}`;
    assert.equal(sealed!.secret, null);
    // A rotation of a legacy row keeps the old secret valid, sealed.
    const [third] = await db.sql<{ id: string }[]>`
      insert into public.notification_endpoints (user_id, url, secret, events)
      values (${alice}, 'https://legacy.example.com/3', ${legacy}, '{post.failed}') returning id`;
    const next = generateWebhookSecret();
    const at = new Date();
    await store.rotateEndpointSecret(third!.id, alice, {
      secret: next,
      previousExpiresAt: new Date(at.getTime() + 60_000),
    }, at);
    assert.deepEqual(await store.getSigningSecrets(third!.id, at), [next, legacy]);
  });

  it('refuses a row with both or neither secret column, and an unsealed ciphertext', async () => {
    const attempts = [
      db.sql`insert into public.notification_endpoints (user_id, url, events) values (${alice}, 'https://a.example.com/', '{post.failed}')`,
      db.sql`insert into public.notification_endpoints (user_id, url, secret, secret_ciphertext, events)
             values (${alice}, 'https://a.example.com/', ${generateWebhookSecret()}, 'v1.0011223344556677.aa.bb', '{post.failed}')`,
      db.sql`insert into public.notification_endpoints (user_id, url, secret_ciphertext, events)
             values (${alice}, 'https://a.example.com/', ${generateWebhookSecret()}, '{post.failed}')`,
    ];
    for (const attempt of attempts) await assert.rejects(attempt, /check constraint/);
  });

  it('answers a change to a URL stored before the URL rules with a validation error on url', async () => {
    const endpoint = await store.createEndpoint({
      userId: alice,
      url: 'https://ok.example.com/',
      secret: generateWebhookSecret(),
    });
    // As a row saved under the old check could be (not valid constraints are not checked on old rows).
    await db.sql`alter table public.notification_endpoints drop constraint notification_endpoints_url_stored`;
    try {
      await db
        .sql`update public.notification_endpoints set url = 'https://Old.example.com/ x' where id = ${endpoint.id}`;
      await db.sql`alter table public.notification_endpoints add constraint notification_endpoints_url_stored
                   check (public.is_stored_endpoint_url(url)) not valid`;
      await assert.rejects(
        store.updateEndpoint(endpoint.id, alice, { enabled: false }),
        (err: { code?: string; context?: { path?: string } }) => {
          assert.equal(err.code, 'validation_failed');
          assert.equal(err.context?.path, 'url');
          return true;
        },
      );
      const fixed = await store.updateEndpoint(endpoint.id, alice, { url: 'https://old.example.com/%20x' });
      assert.equal(fixed!.url, 'https://old.example.com/%20x');
    } finally {
      await db.sql`delete from public.notification_endpoints where id = ${endpoint.id}`;
    }
  });
});

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
    const store = createPostgresNotificationStore({
      sql: db.sql,
      cipher: await createTokenCipher(randomKey()),
    });
    aliceNotification = (await store.insertNotification(notificationOf(alice, 1))).notification.id;
    bobNotification = (await store.insertNotification(notificationOf(bob, 1))).notification.id;
    const endpoint = await store.createEndpoint({
      userId: alice,
      url: 'https://a.example.com/',
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
    for (const column of ['secret', 'secret_ciphertext', 'previous_secret_ciphertext']) {
      await assert.rejects(
        asUser(db.sql, alice, (tx) => tx.unsafe(`select ${column} from public.notification_endpoints`)),
        /permission denied/,
        column,
      );
    }
    const expiry = await asUser(
      db.sql,
      alice,
      (tx) => tx`select previous_secret_expires_at from public.notification_endpoints`,
    );
    assert.deepEqual(expiry.map((r) => r.previous_secret_expires_at), [null]);
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

  it('shows each owner only their test sends, and lets nobody write them', async () => {
    const [endpoint] = await db.sql<
      { id: string }[]
    >`select id from public.notification_endpoints where user_id = ${alice}`;
    await db
      .sql`insert into public.notification_test_sends (user_id, endpoint_id, sent_at) values (${alice}, ${
      endpoint!.id
    }, now())`;
    const own = await asUser(db.sql, alice, (tx) => tx`select user_id from public.notification_test_sends`);
    assert.deepEqual(own.map((r) => r.user_id), [alice]);
    assert.equal(
      (await asUser(db.sql, bob, (tx) => tx`select 1 from public.notification_test_sends`)).length,
      0,
    );
    await assert.rejects(
      asUser(db.sql, alice, (tx) => tx`delete from public.notification_test_sends`),
      /permission denied/,
    );
    await assert.rejects(
      asUser(
        db.sql,
        alice,
        (tx) => tx`insert into public.notification_test_sends (user_id, sent_at) values (${alice}, now())`,
      ),
      /permission denied/,
    );
  });

  it('gives anon nothing on the notification tables', async () => {
    for (
      const table of [
        'notifications',
        'notification_endpoints',
        'notification_deliveries',
        'notification_test_sends',
      ]
    ) {
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
