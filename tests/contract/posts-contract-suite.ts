/**
 * What the files of the PostsAndTargets contract (posts.contract.ts, post-claims.contract.ts,
 * post-reconcile.contract.ts) share inside one suite: its harness, the store fixtures and the
 * fixtures about claims. posts.contract.ts builds the harness and hands this to the others, so the
 * whole contract still runs as one suite on one store.
 */
import assert from 'node:assert/strict';
import type { PostStore } from '../../src/store/post-store.ts';
import type { ClaimsHarness } from './store-harness.ts';
import { BASE, storeFixtures } from './store-harness.ts';

/** `harness` is read on each call: the suite builds it in `before`. */
export function postsSuite(harness: () => ClaimsHarness<PostStore>) {
  const { account, scenario } = storeFixtures(harness);

  /** Claims the post and one of its targets, as a worker does at due time. */
  async function claimed() {
    const store = harness().store;
    const s = await scenario();
    const claim = await store.claimPost(s.post.id, s.post.version);
    assert.equal(claim.outcome, 'claimed');
    const target = await store.claimTarget(s.post.targets[0]!.id);
    assert.ok(target, 'the pending target of a publishing post is claimable');
    return { ...s, target };
  }

  return { harness, account, scenario, claimed };
}

export type PostsSuite = ReturnType<typeof postsSuite>;

export function attemptAt(startMinutes: number, durationMs = 1500, platformStatus: number | null = 201) {
  const startedAt = new Date(BASE + startMinutes * 60_000);
  return { startedAt, finishedAt: new Date(startedAt.getTime() + durationMs), platformStatus };
}
