/**
 * The bare baseline of POST /posts: the same durable work as the API with nothing around it — one
 * JWT check (jose, HS256, the API's secret, key imported once), one zod parse of a minimal body, one
 * transaction inserting the post row and its target row (postgres.js, a pool opened like the API's:
 * connectPostgres, so the same size and `prepare: false`), then one BullMQ delayed job (the same
 * job id, data and options as the API's, under its own queue prefix), answered with 201 JSON. No
 * ownership or content checks, no Idempotency-Key, no problem+json: what the API costs beyond this
 * is what those cost.
 */
import { Hono } from 'hono';
import { jwtVerify } from 'jose';
import type postgres from 'postgres';
import { z } from 'zod';
import type { RedisClient } from '../../src/queue/redis-options.ts';
import { createBullPostScheduler } from '../../src/queue/bull-post-scheduler.ts';

const bodySchema = z.object({
  text: z.string().min(1).max(10_000),
  scheduledAt: z.iso.datetime({ offset: true }),
  targets: z.array(z.object({ accountId: z.uuid() })).length(1),
});

export interface BareAppOptions {
  sql: postgres.Sql;
  connection: RedisClient;
  queuePrefix: string;
  jwtSecret: string;
}

export async function createBareApp(options: BareAppOptions): Promise<Hono> {
  const { sql } = options;
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(options.jwtSecret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const scheduler = createBullPostScheduler({
    connection: options.connection,
    queuePrefix: options.queuePrefix,
  });
  return new Hono().post('/posts', async function barePost(c) {
    let userId: string;
    try {
      const token = (c.req.header('authorization') ?? '').replace(/^Bearer /, '');
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience: 'authenticated' });
      userId = payload.sub!;
    } catch {
      return c.json({ error: 'invalid_token' }, 401);
    }
    const body = bodySchema.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json({ error: 'validation_failed' }, 422);
    const { text, targets } = body.data;
    const scheduledAt = new Date(body.data.scheduledAt);
    const post = await sql.begin(async (tx) => {
      const [row] = await tx<{ id: string; version: number }[]>`
        insert into public.posts (user_id, text, scheduled_at) values (${userId}, ${text}, ${scheduledAt})
        returning id, version`;
      await tx`
        insert into public.post_targets (post_id, user_id, account_id, platform)
        values (${row!.id}, ${userId}, ${targets[0]!.accountId}, 'linkedin')`;
      return row!;
    });
    await scheduler.schedule({ id: post.id, version: post.version, scheduledAt });
    return c.json({ id: post.id, version: post.version, status: 'scheduled', scheduledAt }, 201);
  });
}
