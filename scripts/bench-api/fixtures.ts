/**
 * Posts made ahead of the PATCH and DELETE runs of `npm run bench -- api`: scheduled posts with one
 * pending target each, inserted in one statement, and their delayed jobs added in bulk under the
 * API's queue prefix — what POST /posts would have left behind, made in seconds instead of minutes.
 */
import type postgres from 'postgres';
import type { Redis } from 'ioredis';
import { createBullPostScheduler, postJobOptions } from '../../src/queue/bull-post-scheduler.ts';
import { encodePostJobData } from '../../src/queue/job-data.ts';
import { POST_JOB_NAME } from '../../src/queue/queue-names.ts';

export interface FixtureOptions {
  sql: postgres.Sql;
  redis: Redis;
  queuePrefix: string;
  userId: string;
  accountId: string;
  scheduledAt: Date;
}

/** Makes `count` scheduled posts (and their jobs); returns their ids. */
export async function createScheduledPosts(options: FixtureOptions, count: number): Promise<string[]> {
  const { sql } = options;
  const rows = await sql<{ id: string; version: number; scheduled_at: Date }[]>`
    with p as (
      insert into public.posts (user_id, text, scheduled_at)
      select ${options.userId}, 'bench fixture ' || g, ${options.scheduledAt}
      from generate_series(1, ${count}::int) g
      returning id, version, scheduled_at
    ), t as (
      insert into public.post_targets (post_id, user_id, account_id, platform)
      select p.id, ${options.userId}, ${options.accountId}, 'linkedin' from p
    )
    select id, version, scheduled_at from p`;
  // Statistics as autovacuum keeps them in a database that did not just grow from empty in seconds:
  // the plans of the measured statements are the ones production gets.
  await sql`analyze public.posts, public.post_targets`;
  const scheduler = createBullPostScheduler({ connection: options.redis, queuePrefix: options.queuePrefix });
  try {
    const now = Date.now();
    for (let i = 0; i < rows.length; i += 1000) {
      await scheduler.queue.addBulk(
        rows.slice(i, i + 1000).map((row) => {
          const post = { id: row.id, version: row.version, scheduledAt: row.scheduled_at };
          return {
            name: POST_JOB_NAME,
            data: encodePostJobData({ postId: post.id, version: post.version }),
            opts: postJobOptions(post, now),
          };
        }),
      );
    }
  } finally {
    await scheduler.close();
  }
  return rows.map((r) => r.id);
}
