/**
 * The PostsAndTargets contract, part 3 (run inside the suite of posts.contract.ts): failing a missed
 * post, claim takeovers and notes, the external ids a reconcile must not adopt, and the candidates
 * the reconciler looks at.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Post } from '../../src/domain/post.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import type { PostsSuite } from './posts-contract-suite.ts';
import { attemptAt } from './posts-contract-suite.ts';
import type { ClaimsHarness } from './store-harness.ts';
import { at, expectCode, HOUR } from './store-harness.ts';

export function postReconcileContract(suite: PostsSuite): void {
  const { scenario, claimed } = suite;
  let harness: ClaimsHarness<PostStore>;
  let store: PostStore;

  // Registered on the suite of posts.contract.ts after its own `before`, which builds the harness.
  before(() => {
    harness = suite.harness();
    store = harness.store;
  });

  describe('failing and reconciling', () => {
    it('fails a scheduled post of that version and its pending targets with the reason', async () => {
      const { post } = await scenario();
      assert.equal(await store.failScheduledPost(post.id, 2, 'missed', 'overdue'), null, 'another version');
      const failed = await store.failScheduledPost(post.id, 1, 'missed', 'overdue by 25 hours');
      assert.ok(failed);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.errorCode, 'missed');
      assert.equal(failed.errorMessage, 'overdue by 25 hours');
      assert.ok(failed.targets.every((t) => t.status === 'failed' && t.errorCode === 'missed'));
      assert.equal(
        await store.failScheduledPost(post.id, 1, 'missed', 'again'),
        null,
        'no longer scheduled',
      );
      assert.equal(await store.failScheduledPost(crypto.randomUUID(), 1, 'missed', 'x'), null);
    });

    it('does not fail a post that is publishing', async () => {
      const { post } = await scenario();
      await store.claimPost(post.id, 1);
      assert.equal(await store.failScheduledPost(post.id, 1, 'missed', 'x'), null);
      assert.equal((await store.getPost(post.id))!.status, 'publishing');
    });

    it('finds scheduled posts in due order and only targets stuck since before the cut-off', async () => {
      const later = await scenario(at(50));
      const sooner = await scenario(at(40));
      const cancelled = await scenario(at(45));
      await store.cancelPost(cancelled.post.id, cancelled.userId);
      const publishing = await scenario(at(24));
      await store.claimPost(publishing.post.id, 1);
      const stuck = await store.claimTarget(publishing.post.targets[0]!.id);
      await harness.ageClaims(2 * HOUR);
      const fresh = await store.claimTarget(publishing.post.targets[1]!.id);

      const found = await store.findReconcileCandidates(HOUR);
      const ours = found.scheduled.filter((p) =>
        [later.post.id, sooner.post.id, cancelled.post.id, publishing.post.id].includes(p.id)
      );
      assert.deepEqual(ours, [
        { id: sooner.post.id, version: 1, scheduledAt: at(40) },
        { id: later.post.id, version: 1, scheduledAt: at(50) },
      ]);
      const stuckIds = found.stuckTargets.map((t) => t.id);
      assert.ok(stuckIds.includes(stuck!.id));
      assert.ok(!stuckIds.includes(fresh!.id), 'claimed after the cut-off: still in flight');
      const row = found.stuckTargets.find((t) => t.id === stuck!.id)!;
      assert.equal(row.claimToken, stuck!.claimToken, 'the reconciler gets the token to settle with');
      assert.ok((await store.findReconcileCandidates(HOUR, 1)).scheduled.length <= 1, 'limit applies');
    });

    it('takes over a claim only once it is older than the cut-off by the store’s clock, and only once', async () => {
      const { target } = await claimed();
      const young = await store.takeOverClaim(target.id, target.claimToken!, HOUR);
      assert.equal(young.outcome, 'held', 'a claim younger than the cut-off is left to its holder');
      assert.ok(young.outcome === 'held' && young.retryInMs > 0 && young.retryInMs <= HOUR);
      assert.equal((await store.getPost(target.postId))!.targets[0]!.claimToken, target.claimToken);

      await harness.ageClaims(2 * HOUR);
      const [first, second] = await Promise.all([
        store.takeOverClaim(target.id, target.claimToken!, HOUR),
        store.takeOverClaim(target.id, target.claimToken!, HOUR),
      ]);
      const outcomes = [first.outcome, second.outcome].sort();
      assert.deepEqual(outcomes, ['gone', 'taken'], 'of two takers exactly one wins');
      const taken = first.outcome === 'taken'
        ? first.target
        : second.outcome === 'taken'
        ? second.target
        : null;
      assert.ok(taken);
      assert.equal(taken.status, 'publishing');
      assert.notEqual(taken.claimToken, target.claimToken, 'a new token');
      assert.equal(taken.attempts, target.attempts, 'a takeover is no new attempt');
      assert.ok(
        taken.claimedAt!.getTime() > target.claimedAt!.getTime() - HOUR,
        'restamped, not the aged time',
      );
      await assert.rejects(
        store.settleTarget(target.id, target.claimToken!, {
          status: 'published',
          externalId: 'e',
          externalUrl: null,
        }, attemptAt(1)),
        expectCode('claim_lost'),
        'the old holder can no longer settle',
      );
      assert.equal((await store.takeOverClaim(target.id, taken.claimToken!, 0)).outcome, 'taken');
      assert.equal((await store.takeOverClaim(crypto.randomUUID(), taken.claimToken!, 0)).outcome, 'gone');
    });

    it('keeps the first send time across claims and takeovers, and forgets it when a failed target is retried', async () => {
      const { userId, post, target } = await claimed();
      assert.ok(target.firstSentAt, 'the first claim stamps it');
      assert.equal(target.firstSentAt!.getTime(), target.claimedAt!.getTime());
      await store.settleTarget(target.id, target.claimToken!, {
        status: 'pending',
        errorCode: 'platform_unavailable',
        errorMessage: '503',
        nextAttemptAt: new Date(),
      }, attemptAt(1));
      await harness.ageClaims(HOUR);
      const again = await store.claimTarget(target.id);
      assert.ok(again && again.claimedAt!.getTime() > again.firstSentAt!.getTime());
      await harness.ageClaims(2 * HOUR);
      const taken = await store.takeOverClaim(target.id, again.claimToken!, HOUR);
      assert.ok(taken.outcome === 'taken');
      assert.equal(
        taken.target.firstSentAt!.getTime() - taken.target.claimedAt!.getTime() <= -3 * HOUR + 60_000,
        true,
        'kept while the claim moves on',
      );
      await store.settleTarget(target.id, taken.target.claimToken!, {
        status: 'failed',
        errorCode: 'content_invalid',
        errorMessage: 'no',
      }, attemptAt(2));
      const other = await store.claimTarget(post.targets.find((t) => t.id !== target.id)!.id);
      await store.settleTarget(other!.id, other!.claimToken!, {
        status: 'failed',
        errorCode: 'content_invalid',
        errorMessage: 'no',
      }, attemptAt(2));
      await store.rollUpPost(post.id);
      const retried = await store.retryFailedTargets(post.id, userId);
      assert.equal(retried.targets.find((t) => t.id === target.id)!.firstSentAt, null);
    });

    it('notes what a claim holder learned, only while it holds the claim', async () => {
      const { target } = await claimed();
      assert.equal(
        await store.noteOnClaim(target.id, target.claimToken!, 'duplicate_content', 'copy live'),
        true,
      );
      const read = (await store.getPost(target.postId))!.targets.find((t) => t.id === target.id)!;
      assert.equal(read.status, 'publishing');
      assert.equal(read.errorCode, 'duplicate_content');
      assert.equal(read.errorMessage, 'copy live');
      assert.equal(
        await store.noteOnClaim(target.id, crypto.randomUUID(), 'duplicate_content', 'x'),
        false,
      );
      assert.equal(
        await store.noteOnClaim(crypto.randomUUID(), target.claimToken!, 'duplicate_content', 'x'),
        false,
      );
    });

    it('lists the external ids other targets of the account hold, published since the given time', async () => {
      const first = await claimed();
      await store.settleTarget(first.target.id, first.target.claimToken!, {
        status: 'published',
        externalId: 'ext-first',
        externalUrl: null,
      }, { startedAt: new Date(), finishedAt: new Date(), platformStatus: 201 });
      const accountId = first.target.accountId!;
      const otherTarget = crypto.randomUUID();
      assert.deepEqual(
        await store.listTakenExternalIds(accountId, otherTarget, new Date(Date.now() - HOUR)),
        [
          'ext-first',
        ],
      );
      assert.deepEqual(
        await store.listTakenExternalIds(accountId, first.target.id, new Date(Date.now() - HOUR)),
        [],
        'its own id is not another target’s',
      );
      assert.deepEqual(
        await store.listTakenExternalIds(accountId, otherTarget, new Date(Date.now() + HOUR)),
        [],
        'published before the window',
      );
      assert.deepEqual(
        await store.listTakenExternalIds(
          accountId === first.x.id ? first.linkedin.id : first.x.id,
          otherTarget,
          new Date(Date.now() - HOUR),
        ),
        [],
        'another account',
      );
    });

    it('finds the pending targets of publishing posts, soonest due first, with the post’s current version', async () => {
      const byPlatform = (post: Post) => [
        post.targets.find((t) => t.platform === 'x'),
        post.targets.find((t) => t.platform === 'linkedin'),
      ];
      const scheduled = await scenario(at(5));
      // Retried: x published, linkedin failed, then retryFailedTargets (version 2, due since at(10)).
      const retried = await scenario(at(10));
      await store.claimPost(retried.post.id, 1);
      const [rx, rl] = byPlatform(retried.post);
      const sent = await store.claimTarget(rx!.id);
      await store.settleTarget(sent!.id, sent!.claimToken!, {
        status: 'published',
        externalId: 'ext-retried',
        externalUrl: null,
      }, attemptAt(600));
      const refused = await store.claimTarget(rl!.id);
      await store.settleTarget(refused!.id, refused!.claimToken!, {
        status: 'failed',
        errorCode: 'content_invalid',
        errorMessage: 'too long',
      }, attemptAt(600));
      assert.equal((await store.rollUpPost(retried.post.id)).status, 'partially_published');
      assert.equal((await store.retryFailedTargets(retried.post.id, retried.userId)).version, 2);
      // Fanned out at(24): x still pending, linkedin back to pending with a retry due at(30).
      const waiting = await scenario(at(24));
      await store.claimPost(waiting.post.id, 1);
      const [wx, wl] = byPlatform(waiting.post);
      const failedOnce = await store.claimTarget(wl!.id);
      await store.settleTarget(failedOnce!.id, failedOnce!.claimToken!, {
        status: 'pending',
        errorCode: 'platform_unavailable',
        errorMessage: '503',
        nextAttemptAt: at(30),
      }, attemptAt(1440));
      // Fanned out at(20): x is being sent (publishing, not pending), linkedin waits.
      const sending = await scenario(at(20));
      await store.claimPost(sending.post.id, 1);
      const [sx, sl] = byPlatform(sending.post);
      await store.claimTarget(sx!.id);

      const found = await store.findReconcileCandidates(HOUR);
      const ids = [scheduled, retried, waiting, sending].map((s) => s.post.id);
      const ours = found.pendingTargets.filter((t) => ids.includes(t.postId));
      assert.deepEqual(ours.map((t) => t.id), [rl!.id, sl!.id, wx!.id, wl!.id]);
      assert.deepEqual(ours[0], {
        id: rl!.id,
        postId: retried.post.id,
        version: 2,
        nextAttemptAt: null,
        accountId: retried.linkedin.id,
        platform: 'linkedin',
      });
      assert.deepEqual(ours[3], {
        id: wl!.id,
        postId: waiting.post.id,
        version: 1,
        nextAttemptAt: at(30),
        accountId: waiting.linkedin.id,
        platform: 'linkedin',
      });
      assert.ok(
        !found.unrolledPostIds.some((id) => ids.includes(id)),
        'a post with a target still to send is not rolled up',
      );
      assert.ok(
        (await store.findReconcileCandidates(HOUR, 1)).pendingTargets.length <= 1,
        'limit applies',
      );
    });

    it('finds publishing posts whose targets are all settled until they are rolled up', async () => {
      const settled = await scenario(at(24));
      await store.claimPost(settled.post.id, 1);
      for (const [i, t] of settled.post.targets.entries()) {
        const held = await store.claimTarget(t.id);
        await store.settleTarget(held!.id, held!.claimToken!, {
          status: 'published',
          externalId: `ext-settled-${i}`,
          externalUrl: null,
        }, attemptAt(1440));
      }
      // The last settle rolled it up; a worker that died before that step leaves it publishing.
      assert.equal((await store.getPost(settled.post.id))?.status, 'published');
      await harness.unrollPost(settled.post.id);
      const inFlight = await scenario(at(24));
      await store.claimPost(inFlight.post.id, 1);
      const held = await store.claimTarget(inFlight.post.targets[0]!.id);
      await store.settleTarget(held!.id, held!.claimToken!, {
        status: 'failed',
        errorCode: 'content_invalid',
        errorMessage: 'too long',
      }, attemptAt(1440));
      await store.claimTarget(inFlight.post.targets[1]!.id);
      const scheduled = await scenario(at(24));

      const found = await store.findReconcileCandidates(HOUR);
      assert.ok(found.unrolledPostIds.includes(settled.post.id));
      assert.ok(!found.unrolledPostIds.includes(inFlight.post.id), 'a target is still publishing');
      assert.ok(!found.unrolledPostIds.includes(scheduled.post.id), 'not publishing');
      assert.ok(!found.pendingTargets.some((t) => t.postId === settled.post.id));

      assert.equal((await store.rollUpPost(settled.post.id)).status, 'published');
      const after = await store.findReconcileCandidates(HOUR);
      assert.ok(!after.unrolledPostIds.includes(settled.post.id), 'rolled up: nothing left to do');
    });
  });
}
