/**
 * The status webhook trigger (supabase/migrations/*_post_status_notifications.sql) on real Postgres
 * with the Supabase shim: the recording net.http_post stub shows exactly what pg_net would send; with
 * the stub dropped, the pg_notify fallback is observed with LISTEN.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Sql } from 'postgres';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';
import { configureVault, seedPost, WEBHOOK_SECRET, WEBHOOK_URL } from '../support/notify-fixtures.ts';
import { waitFor } from '../support/wait-for.ts';

announcePostgresSkip();

interface HttpCall {
  url: string;
  body: Record<string, any>;
  params: unknown;
  headers: Record<string, string>;
  timeout_milliseconds: number;
}

async function callCount(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from net.http_post_calls`;
  return row!.n;
}

async function callsSince(sql: Sql, before: number): Promise<HttpCall[]> {
  return await sql<HttpCall[]>`
    select url, body, params, headers, timeout_milliseconds from net.http_post_calls
    order by id offset ${before}`;
}

async function rowJson(
  sql: Sql,
  table: 'posts' | 'post_targets',
  id: string,
): Promise<Record<string, unknown>> {
  const [row] = await sql.unsafe(`select to_jsonb(r) as j from public.${table} r where id = $1`, [id]);
  return row!.j as Record<string, unknown>;
}

describe('status webhook trigger with pg_net', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let user: string;

  before(async () => {
    db = await createTestDatabase();
    user = await createUser(db.sql);
    await configureVault(db.sql);
  });
  after(async () => {
    await db?.drop();
  });

  it('posts the Supabase webhook payload with the Vault secret header once when a post is published', async () => {
    const { postId, targets } = await seedPost(db.sql, user, ['x']);
    await db.sql`update public.posts set status = 'publishing' where id = ${postId}`;
    await db.sql`update public.post_targets set status = 'published', external_id = 'x-1',
      external_url = 'https://x.com/i/web/status/1' where id = ${targets.x!}`;
    const start = await callCount(db.sql);
    const old = await rowJson(db.sql, 'posts', postId);
    await db.sql`update public.posts set status = 'published', published_at = now() where id = ${postId}`;
    const record = await rowJson(db.sql, 'posts', postId);

    const calls = await callsSince(db.sql, start);
    assert.equal(calls.length, 1);
    const [call] = calls;
    assert.equal(call!.url, WEBHOOK_URL);
    assert.deepEqual(call!.headers, {
      'Content-Type': 'application/json',
      'x-webhook-secret': WEBHOOK_SECRET,
    });
    assert.deepEqual(call!.params, {});
    assert.equal(call!.timeout_milliseconds, 5000);
    assert.deepEqual(call!.body, {
      type: 'UPDATE',
      table: 'posts',
      schema: 'public',
      record,
      old_record: old,
    });
  });

  it('sends exactly one webhook per status change a creator must hear about', async () => {
    const cases: { name: string; run: () => Promise<{ table: string; id: string; status: string }> }[] = [
      {
        name: 'post partially_published',
        run: async () => {
          const { postId } = await seedPost(db.sql, user, ['x', 'linkedin']);
          await db.sql`update public.posts set status = 'publishing' where id = ${postId}`;
          await db.sql`update public.posts set status = 'partially_published' where id = ${postId}`;
          return { table: 'posts', id: postId, status: 'partially_published' };
        },
      },
      {
        name: 'post failed',
        run: async () => {
          const { postId } = await seedPost(db.sql, user);
          await db.sql`update public.posts set status = 'failed', error_code = 'missed' where id = ${postId}`;
          return { table: 'posts', id: postId, status: 'failed' };
        },
      },
      {
        name: 'post cancelled',
        run: async () => {
          const { postId } = await seedPost(db.sql, user);
          await db.sql`update public.posts set status = 'cancelled' where id = ${postId}`;
          return { table: 'posts', id: postId, status: 'cancelled' };
        },
      },
      {
        name: 'target failed',
        run: async () => {
          const { targets } = await seedPost(db.sql, user, ['linkedin']);
          await db.sql`update public.post_targets set status = 'failed', error_code = 'auth_expired',
            error_message = 'token expired' where id = ${targets.linkedin!}`;
          return { table: 'post_targets', id: targets.linkedin!, status: 'failed' };
        },
      },
      {
        name: 'target unconfirmed',
        run: async () => {
          const { targets } = await seedPost(db.sql, user, ['instagram']);
          await db.sql`update public.post_targets set status = 'publishing', claim_token = gen_random_uuid()
            where id = ${targets.instagram!}`;
          await db.sql`update public.post_targets set status = 'unconfirmed', claim_token = null,
            error_code = 'outcome_unknown' where id = ${targets.instagram!}`;
          return { table: 'post_targets', id: targets.instagram!, status: 'unconfirmed' };
        },
      },
    ];
    for (const c of cases) {
      const start = await callCount(db.sql);
      const expected = await c.run();
      const calls = await callsSince(db.sql, start);
      assert.equal(calls.length, 1, `${c.name}: one call`);
      assert.equal(calls[0]!.body.table, expected.table, c.name);
      assert.equal(calls[0]!.body.record.id, expected.id, c.name);
      assert.equal(calls[0]!.body.record.status, expected.status, c.name);
      assert.notEqual(calls[0]!.body.old_record.status, expected.status, c.name);
    }
  });

  it('sends nothing for updates that are not such a status change', async () => {
    const { postId, targets } = await seedPost(db.sql, user, ['x', 'linkedin']);
    const start = await callCount(db.sql);
    await db.sql`update public.posts set text = 'edited', version = version + 1 where id = ${postId}`;
    await db.sql`update public.posts set status = 'publishing' where id = ${postId}`;
    await db.sql`update public.post_targets set status = 'publishing', claim_token = gen_random_uuid(),
      attempts = attempts + 1 where id = ${targets.x!}`;
    await db.sql`update public.post_targets set status = 'pending', claim_token = null,
      next_attempt_at = now() + interval '1 minute', error_code = 'rate_limited' where id = ${targets.x!}`;
    await db.sql`update public.post_targets set attempts = attempts + 1 where id = ${targets.x!}`;
    await db
      .sql`update public.post_targets set status = 'published', external_id = 'li-1' where id = ${targets
      .linkedin!}`;
    await db.sql`update public.post_targets set status = 'cancelled' where id = ${targets.x!}`;
    // Setting a status to what it already is is not a change.
    await db.sql`update public.post_targets set status = status where post_id = ${postId}`;
    await db.sql`update public.posts set status = 'publishing', updated_at = now() where id = ${postId}`;
    assert.equal(await callCount(db.sql), start);

    await db.sql`update public.posts set status = 'failed' where id = ${postId}`;
    await db.sql`update public.posts set status = 'failed', error_message = 'again' where id = ${postId}`;
    assert.equal(await callCount(db.sql), start + 1, 'one call for the real change, none for the repeat');
  });

  it('changes the status and sends nothing while the Vault URL is missing', async () => {
    const { postId } = await seedPost(db.sql, user);
    await db.sql`delete from vault.secrets where name = 'post_status_webhook_url'`;
    try {
      const start = await callCount(db.sql);
      await db.sql`update public.posts set status = 'cancelled' where id = ${postId}`;
      const [post] = await db.sql`select status from public.posts where id = ${postId}`;
      assert.equal(post!.status, 'cancelled');
      assert.equal(await callCount(db.sql), start);
    } finally {
      await db.sql`select vault.create_secret(${WEBHOOK_URL}, 'post_status_webhook_url')`;
    }
  });

  it('never fails a status change when pg_net itself fails', async () => {
    const { postId } = await seedPost(db.sql, user);
    await db.sql.unsafe(`
      alter function net.http_post(text, jsonb, jsonb, jsonb, integer) rename to http_post_recording;
      create function net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
        headers jsonb default '{}', timeout_milliseconds integer default 2000) returns bigint
      language plpgsql as $$ begin raise exception 'pg_net queue is broken'; end $$;`);
    try {
      await db.sql`update public.posts set status = 'failed' where id = ${postId}`;
      const [post] = await db.sql`select status from public.posts where id = ${postId}`;
      assert.equal(post!.status, 'failed');
    } finally {
      await db.sql.unsafe(`
        drop function net.http_post(text, jsonb, jsonb, jsonb, integer);
        alter function net.http_post_recording(text, jsonb, jsonb, jsonb, integer) rename to http_post;`);
    }
  });
});

describe('status webhook trigger without pg_net (pg_notify fallback)', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  let user: string;
  const received: string[] = [];
  let unlisten: (() => Promise<void>) | null = null;

  before(async () => {
    db = await createTestDatabase();
    user = await createUser(db.sql);
    await configureVault(db.sql);
    await db.sql`drop function net.http_post(text, jsonb, jsonb, jsonb, integer)`;
    const subscription = await db.sql.listen('post_status_webhook', (payload) => void received.push(payload));
    unlisten = subscription.unlisten;
  });
  after(async () => {
    await unlisten?.();
    await db?.drop();
  });

  it('notifies a compact payload well under the 8000-byte NOTIFY limit, even for a long post', async () => {
    const { postId, targets } = await seedPost(db.sql, user, ['x'], 'é'.repeat(10_000));
    await db.sql`update public.post_targets set status = 'failed', error_code = 'content_invalid',
      error_message = ${'x'.repeat(2000)} where id = ${targets.x!}`;
    await db.sql`update public.posts set status = 'failed' where id = ${postId}`;
    await waitFor(() => received.length >= 2, { what: 'two notifications' });
    const [targetEvent, postEvent] = received.map((r) => JSON.parse(r));
    assert.ok(received.every((r) => new TextEncoder().encode(r).length < 1000));
    const [targetRow] = await db.sql`select updated_at, attempts from public.post_targets where id = ${targets
      .x!}`;
    assert.deepEqual(targetEvent, {
      type: 'UPDATE',
      table: 'post_targets',
      schema: 'public',
      record: {
        id: targets.x,
        post_id: postId,
        user_id: user,
        platform: 'x',
        status: 'failed',
        attempts: targetRow!.attempts,
        updated_at: targetEvent.record.updated_at,
      },
      old_record: {
        id: targets.x,
        post_id: postId,
        user_id: user,
        platform: 'x',
        status: 'pending',
        attempts: 0,
        updated_at: targetEvent.old_record.updated_at,
      },
    });
    assert.equal(
      new Date(targetEvent.record.updated_at).getTime(),
      (targetRow!.updated_at as Date).getTime(),
    );
    assert.equal(postEvent.table, 'posts');
    assert.equal(postEvent.record.status, 'failed');
    assert.equal(postEvent.record.version, 1);
    assert.equal(postEvent.record.text, undefined);
  });

  it('notifies nothing for updates that are not such a status change', async () => {
    const { postId, targets } = await seedPost(db.sql, user, ['linkedin']);
    const before = received.length;
    await db.sql`update public.post_targets set attempts = 3 where id = ${targets.linkedin!}`;
    await db.sql`update public.posts set status = 'publishing' where id = ${postId}`;
    await db.sql`update public.posts set status = 'cancelled' where id = ${postId}`;
    await waitFor(() => received.length > before, { what: 'the cancellation' });
    // The cancellation was sent after the other updates; a notification for them would be there first.
    assert.equal(received.length, before + 1);
    assert.equal(JSON.parse(received[before]!).record.status, 'cancelled');
  });
});
