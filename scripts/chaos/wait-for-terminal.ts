/**
 * The drain: after the last fault, the system is left alone until every post and target is
 * terminal, within a bound. Not draining within the bound is itself a finding (the oracle reports
 * the posts still open as non-terminal).
 */
import type { ChaosDatabase } from './chaos-database.ts';
import { sleep } from './waiting.ts';

export interface OpenWork {
  posts: number;
  targets: number;
}

export async function countOpenWork(db: ChaosDatabase): Promise<OpenWork> {
  const [row] = await db.sql<{ posts: number; targets: number }[]>`
    select
      (select count(*)::int from public.posts where status in ('scheduled', 'publishing')) as posts,
      (select count(*)::int from public.post_targets where status in ('pending', 'publishing')) as targets`;
  return { posts: row?.posts ?? 0, targets: row?.targets ?? 0 };
}

/** True once nothing is open; false when `deadline` (epoch ms) passed first. */
export async function waitForTerminal(
  db: ChaosDatabase,
  deadline: number,
  onProgress: (open: OpenWork) => void,
): Promise<boolean> {
  let lastReport = 0;
  for (;;) {
    const open = await countOpenWork(db);
    if (open.posts === 0 && open.targets === 0) return true;
    if (Date.now() - lastReport >= 5_000) {
      onProgress(open);
      lastReport = Date.now();
    }
    if (Date.now() >= deadline) return false;
    await sleep(500);
  }
}
