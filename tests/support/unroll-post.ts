/**
 * Puts a rolled-up post back to `publishing`, its targets as they are: what a worker that died
 * between a post's last settle and its roll-up leaves behind, for the reconciler's "unrolled" pass.
 */
import type { Sql } from 'postgres';
import type { MemoryPostState } from '../../src/store/memory-post-state.ts';

export function unrollMemoryPost(state: MemoryPostState, postId: string): Promise<void> {
  Object.assign(state.posts.get(postId)!, { status: 'publishing', publishedAt: null });
  return Promise.resolve();
}

export async function unrollPostgresPost(sql: Sql, postId: string): Promise<void> {
  await sql`update public.posts set status = 'publishing', published_at = null where id = ${postId}`;
}
