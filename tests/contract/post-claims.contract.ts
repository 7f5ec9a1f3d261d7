/**
 * The PostsAndTargets contract, part 2 (run inside the suite of posts.contract.ts): claiming a post
 * and its targets, settling a claimed target with its attempt log, and rolling the post's status up
 * from its targets (and retrying the failed ones).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PostStore } from '../../src/store/post-store.ts';
import type { PostsSuite } from './posts-contract-suite.ts';
import { attemptAt } from './posts-contract-suite.ts';
import type { ClaimsHarness } from './store-harness.ts';
import { at, expectCode } from './store-harness.ts';

export function postClaimsContract(suite: PostsSuite): void {
  const { account, scenario, claimed } = suite;
  let harness: ClaimsHarness<PostStore>;
  let store: PostStore;

  // Registered on the suite of posts.contract.ts after its own `before`, which builds the harness.
  before(() => {
    harness = suite.harness();
    store = harness.store;
  });

  describe('claiming', () => {
    it('claims a scheduled post for its version, then reports already_publishing for the same version', async () => {
      const { post } = await scenario();
      const first = await store.claimPost(post.id, 1);
      assert.equal(first.outcome, 'claimed');
      assert.equal(first.post?.status, 'publishing');
      const second = await store.claimPost(post.id, 1);
      assert.equal(second.outcome, 'already_publishing');
      assert.equal(second.post?.id, post.id);
    });

    it('reports stale for a cancelled post, an edited post’s old version, and a missing post', async () => {
      const a = await scenario();
      await store.cancelPost(a.post.id, a.userId);
      const cancelled = await store.claimPost(a.post.id, 1);
      assert.equal(cancelled.outcome, 'stale');
      assert.equal(cancelled.post?.status, 'cancelled');

      const b = await scenario();
      await store.updatePost(b.post.id, b.userId, { text: 'v2' }, 1);
      const old = await store.claimPost(b.post.id, 1);
      assert.equal(old.outcome, 'stale');
      assert.equal((await store.getPost(b.post.id))!.status, 'scheduled', 'a stale claim changes nothing');
      assert.equal((await store.claimPost(b.post.id, 2)).outcome, 'claimed');
      assert.equal((await store.claimPost(b.post.id, 1)).outcome, 'stale', 'old version while publishing');

      assert.deepEqual(await store.claimPost(crypto.randomUUID(), 1), { outcome: 'stale', post: null });
    });

    it('lets exactly one of two concurrent claimPost calls claim', async () => {
      const { post } = await scenario();
      const outcomes = (await Promise.all([store.claimPost(post.id, 1), store.claimPost(post.id, 1)]))
        .map((c) => c.outcome).sort();
      assert.deepEqual(outcomes, ['already_publishing', 'claimed']);
    });

    it('claims a pending target under a fresh token, counting the attempt; a second claim gets null', async () => {
      const { post } = await scenario();
      const targetId = post.targets[0]!.id;
      assert.equal(
        await store.claimTarget(targetId),
        null,
        'not while the post is still scheduled',
      );
      await store.claimPost(post.id, 1);
      const before = Date.now();
      const target = await store.claimTarget(targetId);
      const after = Date.now();
      assert.ok(target);
      assert.equal(target.status, 'publishing');
      assert.equal(target.attempts, 1);
      assert.match(target.claimToken!, /^[0-9a-f-]{36}$/);
      const claimedAt = target.claimedAt!.getTime();
      assert.ok(
        claimedAt >= before - 1000 && claimedAt <= after + 1000,
        'claimedAt is the store’s clock at the claim',
      );
      assert.equal(await store.claimTarget(targetId), null);
      assert.equal(await store.claimTarget(crypto.randomUUID()), null);
      const read = await store.getPost(post.id);
      assert.equal(read!.targets.find((t) => t.id === targetId)!.claimToken, target.claimToken);
    });

    it('returns the account a claimed target publishes to, without its tokens; null once disconnected', async () => {
      const { userId, x, linkedin, post } = await scenario();
      await store.deleteAccount(linkedin.id, userId);
      await store.claimPost(post.id, 1);
      const [onX, onLinkedIn] = await Promise.all(
        ['x', 'linkedin'].map((p) => store.claimTarget(post.targets.find((t) => t.platform === p)!.id)),
      );
      assert.deepEqual(onX!.account, await store.getAccount(x.id));
      assert.equal(onLinkedIn!.accountId, null);
      assert.equal(onLinkedIn!.account, null);
    });

    it('claims targets asked for together each under its own token, and only pending ones', async () => {
      const { post } = await scenario();
      const notYetDue = await scenario();
      await store.claimPost(post.id, 1);
      const [a, b, again, stillScheduled] = await Promise.all([
        store.claimTarget(post.targets[0]!.id),
        store.claimTarget(post.targets[1]!.id),
        store.claimTarget(post.targets[0]!.id),
        store.claimTarget(notYetDue.post.targets[0]!.id),
      ]);
      assert.ok(a && b);
      assert.notEqual(a.claimToken, b.claimToken);
      assert.equal(again, null, 'the same target asked twice is claimed once');
      assert.equal(stillScheduled, null, 'a target of a post not yet claimed');
      const read = await store.getPost(post.id);
      assert.deepEqual(read!.targets.map((t) => [t.status, t.attempts]), [['publishing', 1], [
        'publishing',
        1,
      ]]);
    });

    it('never claims a target of a cancelled post', async () => {
      const { userId, post } = await scenario();
      await store.cancelPost(post.id, userId);
      assert.equal(await store.claimTarget(post.targets[0]!.id), null);
    });

    it('lets exactly one of two concurrent claimTarget calls win', async () => {
      const { post } = await scenario();
      await store.claimPost(post.id, 1);
      const targetId = post.targets[0]!.id;
      const results = await Promise.all([
        store.claimTarget(targetId),
        store.claimTarget(targetId),
      ]);
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1);
      assert.equal(winners[0]!.attempts, 1, 'the attempt is counted once');
      const read = await store.getPost(post.id);
      assert.equal(read!.targets.find((t) => t.id === targetId)!.attempts, 1);
    });
  });

  describe('settling', () => {
    it('says postSettled on the settle that leaves the post no target to send, and only on it', async () => {
      const { post } = await scenario();
      await store.claimPost(post.id, 1);
      const [x, li] = await Promise.all(post.targets.map((t) => store.claimTarget(t.id)));
      const retried = await store.settleTarget(x!.id, x!.claimToken!, {
        status: 'pending',
        errorCode: 'platform_unavailable',
        errorMessage: '503',
        nextAttemptAt: at(25),
      }, attemptAt(1440));
      assert.equal(retried.postSettled, false, 'a target goes back to be sent');
      const first = await store.settleTarget(li!.id, li!.claimToken!, {
        status: 'published',
        externalId: 'li-1',
        externalUrl: null,
      }, attemptAt(1440));
      assert.equal(first.postSettled, false, 'the X target is still pending');
      const again = await store.claimTarget(x!.id);
      const last = await store.settleTarget(again!.id, again!.claimToken!, {
        status: 'failed',
        errorCode: 'content_invalid',
        errorMessage: 'too long',
      }, attemptAt(1441));
      assert.equal(last.postSettled, true);
      assert.equal(retried.postStatus, null);
      assert.equal(first.postStatus, null, 'a settle with targets still to send leaves the post alone');
      assert.equal(last.postStatus, 'partially_published', 'the last settle rolls the post up');
      const rolled = await store.getPost(post.id);
      assert.equal(rolled?.status, 'partially_published');
      assert.equal(rolled?.errorCode, 'content_invalid', "the failed target's error, as rollUpPost sets it");
      assert.equal(rolled?.publishedAt?.getTime(), first.publishedAt?.getTime());
      assert.equal((await store.rollUpPost(post.id)).status, 'partially_published');
    });

    it('gives postSettled to exactly one of the concurrent settles of a post’s last targets', async () => {
      for (let round = 0; round < 5; round++) {
        const { post } = await scenario();
        await store.claimPost(post.id, 1);
        const held = await Promise.all(post.targets.map((t) => store.claimTarget(t.id)));
        const settled = await Promise.all(held.map((t, i) =>
          store.settleTarget(t!.id, t!.claimToken!, {
            status: 'published',
            externalId: `ext-${round}-${i}`,
            externalUrl: null,
          }, attemptAt(1440))
        ));
        assert.equal(settled.filter((t) => t.postSettled).length, 1, `round ${round}`);
        assert.deepEqual(settled.map((t) => t.postStatus).filter((s) => s !== null), ['published']);
        assert.equal((await store.getPost(post.id))?.status, 'published', 'rolled up without rollUpPost');
      }
    });

    it('refuses a settlement under the wrong claim token with claim_lost', async () => {
      const { target } = await claimed();
      await assert.rejects(
        store.settleTarget(target.id, crypto.randomUUID(), {
          status: 'failed',
          errorCode: 'unknown',
          errorMessage: 'x',
        }, attemptAt(0)),
        expectCode('claim_lost'),
      );
      await assert.rejects(
        store.settleTarget(target.id, 'not-a-uuid', {
          status: 'failed',
          errorCode: 'unknown',
          errorMessage: 'x',
        }, attemptAt(0)),
        expectCode('claim_lost'),
      );
      assert.deepEqual(await store.listAttempts(target.id), [], 'a lost claim logs nothing');
    });

    it('records a publication, then refuses a second settlement with claim_lost', async () => {
      const { target } = await claimed();
      const attempt = attemptAt(0, 1500, 201);
      const settled = await store.settleTarget(target.id, target.claimToken!, {
        status: 'published',
        externalId: '1789',
        externalUrl: 'https://x.com/i/status/1789',
      }, attempt);
      assert.equal(settled.status, 'published');
      assert.equal(settled.externalId, '1789');
      assert.equal(settled.externalUrl, 'https://x.com/i/status/1789');
      assert.equal(settled.publishedAt?.toISOString(), attempt.finishedAt.toISOString());
      assert.equal(settled.claimToken, null);
      assert.equal(settled.attempts, 1);
      await assert.rejects(
        store.settleTarget(target.id, target.claimToken!, {
          status: 'published',
          externalId: '2',
          externalUrl: null,
        }, attempt),
        expectCode('claim_lost'),
      );
    });

    it('puts a retried target back to pending with its reason; the next claim counts a second attempt', async () => {
      const { target } = await claimed();
      const next = at(25);
      const settled = await store.settleTarget(target.id, target.claimToken!, {
        status: 'pending',
        errorCode: 'platform_unavailable',
        errorMessage: 'X answered 503',
        nextAttemptAt: next,
      }, attemptAt(0, 300, 503));
      assert.equal(settled.status, 'pending');
      assert.equal(settled.attempts, 1);
      assert.equal(settled.nextAttemptAt?.toISOString(), next.toISOString());
      assert.equal(settled.errorCode, 'platform_unavailable');
      assert.equal(settled.errorMessage, 'X answered 503');
      assert.equal(settled.claimToken, null);
      const again = await store.claimTarget(target.id);
      assert.equal(again?.attempts, 2);
      assert.notEqual(again?.claimToken, target.claimToken, 'each claim has a fresh token');
    });

    it('gives the attempt back when a rate limit defers the target', async () => {
      const { target } = await claimed();
      const settled = await store.settleTarget(target.id, target.claimToken!, {
        status: 'pending',
        errorCode: 'rate_limited',
        errorMessage: 'reset at 10:15',
        nextAttemptAt: at(25),
        deferred: true,
      }, attemptAt(0, 100, 429));
      assert.equal(settled.attempts, 0);
      const again = await store.claimTarget(target.id);
      assert.equal(again?.attempts, 1);
    });

    it('marks failed and unconfirmed targets with their reason', async () => {
      const { post, target } = await claimed();
      const failed = await store.settleTarget(target.id, target.claimToken!, {
        status: 'failed',
        errorCode: 'content_invalid',
        errorMessage: 'too long',
      }, attemptAt(0, 10, 400));
      assert.equal(failed.status, 'failed');
      assert.equal(failed.errorCode, 'content_invalid');
      const other = await store.claimTarget(post.targets[1]!.id);
      const unconfirmed = await store.settleTarget(other!.id, other!.claimToken!, {
        status: 'unconfirmed',
        errorCode: 'outcome_unknown',
        errorMessage: 'timed out after sending',
      }, attemptAt(1, 30_000, null));
      assert.equal(unconfirmed.status, 'unconfirmed');
      assert.equal(unconfirmed.errorCode, 'outcome_unknown');
      assert.equal(unconfirmed.claimToken, null);
    });

    it('keeps a platform message with NUL, a lone surrogate or too much text, made storable', async () => {
      const { target } = await claimed();
      const long = `${'x'.repeat(1998)}😀tail`; // the emoji straddles the 2,000-unit cut
      const failed = await store.settleTarget(target.id, target.claimToken!, {
        status: 'failed',
        errorCode: 'content_invalid',
        errorMessage: `bad\u0000byte and half \uD83D of an emoji; ${long}`,
      }, attemptAt(0, 10, 400));
      assert.equal(failed.status, 'failed');
      assert.ok(failed.errorMessage!.startsWith('bad\uFFFDbyte and half \uFFFD of an emoji; '));
      assert.ok(failed.errorMessage!.length <= 2000, `${failed.errorMessage!.length} units`);
      assert.ok(failed.errorMessage!.endsWith('…'));
      const [attempt] = await store.listAttempts(target.id);
      assert.equal(attempt?.errorMessage, failed.errorMessage);
      const other = await claimed();
      const cut = await store.settleTarget(other.target.id, other.target.claimToken!, {
        status: 'failed',
        errorCode: 'content_invalid',
        errorMessage: long,
      }, attemptAt(0, 10, 400));
      assert.equal(cut.errorMessage, `${'x'.repeat(1998)}…`, 'the cut drops the half emoji');
      encodeURIComponent(cut.errorMessage!); // throws URIError on a lone surrogate
    });

    it('refuses a settlement the state machine does not allow (invalid_transition)', async () => {
      const { target } = await claimed();
      await assert.rejects(
        store.settleTarget(
          target.id,
          target.claimToken!,
          { status: 'cancelled' } as never,
          attemptAt(0),
        ),
        expectCode('invalid_transition'),
      );
      assert.equal((await store.getPost(target.postId))!.targets[0]!.status, 'publishing');
    });

    it('logs one attempt row per settlement, oldest first, with outcome, status code and duration', async () => {
      const { target } = await claimed();
      await store.settleTarget(target.id, target.claimToken!, {
        status: 'pending',
        errorCode: 'rate_limited',
        errorMessage: 'wait',
        nextAttemptAt: at(25),
        deferred: true,
      }, attemptAt(0, 100, 429));
      const second = await store.claimTarget(target.id);
      await store.settleTarget(target.id, second!.claimToken!, {
        status: 'pending',
        errorCode: 'platform_unavailable',
        errorMessage: '503',
        nextAttemptAt: at(26),
      }, attemptAt(60, 250, 503));
      const third = await store.claimTarget(target.id);
      await store.settleTarget(target.id, third!.claimToken!, {
        status: 'published',
        externalId: 'urn:li:share:1',
        externalUrl: null,
        outcome: 'reconciled',
      }, attemptAt(120, 2000, null));
      const log = await store.listAttempts(target.id);
      assert.deepEqual(log.map((a) => a.outcome), ['deferred', 'retrying', 'reconciled']);
      assert.deepEqual(log.map((a) => a.attempt), [1, 1, 2]);
      assert.deepEqual(log.map((a) => a.durationMs), [100, 250, 2000]);
      assert.deepEqual(log.map((a) => a.platformStatus), [429, 503, null]);
      assert.deepEqual(log.map((a) => a.errorCode), ['rate_limited', 'platform_unavailable', null]);
      assert.equal(log[2]!.externalId, 'urn:li:share:1');
      assert.equal(log[0]!.startedAt.toISOString(), attemptAt(0).startedAt.toISOString());
      assert.ok(
        log.every((a) =>
          a.targetId === target.id && a.postId === target.postId && a.userId === target.userId
        ),
      );
      assert.equal(new Set(log.map((a) => a.id)).size, 3);
      assert.deepEqual(await store.listAttempts(crypto.randomUUID()), []);
    });
  });

  describe('rolling up', () => {
    async function settleAll(outcomes: ('published' | 'failed' | 'unconfirmed')[]) {
      const userId = await harness.createUser();
      const accounts = [];
      for (const _ of outcomes) accounts.push(await account(userId));
      const post = await store.createPost({
        userId,
        text: 'roll',
        media: [],
        scheduledAt: at(24),
        accountIds: accounts.map((a) => a.id),
      });
      await store.claimPost(post.id, 1);
      for (const [i, outcome] of outcomes.entries()) {
        const target = await store.claimTarget(post.targets[i]!.id);
        const settlement = outcome === 'published'
          ? { status: outcome, externalId: `ext-${i}`, externalUrl: `https://x.com/i/status/${i}` } as const
          : { status: outcome, errorCode: `code_${i}`, errorMessage: `message ${i}` } as const;
        await store.settleTarget(target!.id, target!.claimToken!, settlement, attemptAt(i, 1000));
      }
      return store.rollUpPost(post.id);
    }

    it('keeps the post publishing while a target is unsettled', async () => {
      const { post } = await claimed();
      const rolled = await store.rollUpPost(post.id);
      assert.equal(rolled.status, 'publishing');
      await assert.rejects(store.rollUpPost(crypto.randomUUID()), expectCode('post_not_found'));
    });

    it('marks the post published when every target is, at the latest target time', async () => {
      const post = await settleAll(['published', 'published']);
      assert.equal(post.status, 'published');
      assert.equal(post.publishedAt?.toISOString(), attemptAt(1, 1000).finishedAt.toISOString());
      assert.equal(post.errorCode, null);
    });

    it('marks the post partially_published with the failed target’s reason', async () => {
      const post = await settleAll(['published', 'failed']);
      assert.equal(post.status, 'partially_published');
      assert.equal(post.publishedAt?.toISOString(), attemptAt(0, 1000).finishedAt.toISOString());
      assert.equal(post.errorCode, 'code_1');
      assert.equal(post.errorMessage, 'message 1');
    });

    it('marks the post failed when no target published, with the first failed target’s reason', async () => {
      const post = await settleAll(['failed', 'failed']);
      assert.equal(post.status, 'failed');
      assert.equal(post.publishedAt, null);
      assert.equal(post.errorCode, 'code_0');
    });

    it('counts an unconfirmed target as not published', async () => {
      assert.equal((await settleAll(['published', 'unconfirmed'])).status, 'partially_published');
      const onlyUnconfirmed = await settleAll(['unconfirmed']);
      assert.equal(onlyUnconfirmed.status, 'failed');
      assert.equal(onlyUnconfirmed.errorCode, 'code_0');
    });

    it('leaves a finished post as it is', async () => {
      const post = await settleAll(['published']);
      const again = await store.rollUpPost(post.id);
      assert.equal(again.status, 'published');
      assert.equal(again.version, post.version);
    });

    it('retries only the failed targets: they go back to pending, the post to publishing at a new version', async () => {
      const post = await settleAll(['published', 'failed', 'unconfirmed']);
      assert.equal(post.status, 'partially_published');
      const [published, failed, unconfirmed] = post.targets;
      const retried = await store.retryFailedTargets(post.id, post.userId);
      assert.equal(retried.status, 'publishing');
      assert.equal(retried.version, post.version + 1);
      assert.equal(retried.errorCode, null);
      const byId = new Map(retried.targets.map((t) => [t.id, t]));
      assert.equal(byId.get(published!.id)!.status, 'published');
      assert.equal(
        byId.get(unconfirmed!.id)!.status,
        'unconfirmed',
        'an unconfirmed target is never re-sent',
      );
      const again = byId.get(failed!.id)!;
      assert.equal(again.status, 'pending');
      assert.equal(again.attempts, 0);
      assert.equal(again.errorCode, null);
      const claim = await store.claimPost(post.id, retried.version);
      assert.equal(claim.outcome, 'already_publishing', 'the job of the new version continues the retry');
      assert.equal((await store.claimPost(post.id, post.version)).outcome, 'stale');
      const target = await store.claimTarget(failed!.id);
      assert.equal(target?.attempts, 1);
    });

    it('refuses to retry a post that is not failed or partially published, or has nothing to retry', async () => {
      const { userId, post } = await scenario();
      await assert.rejects(store.retryFailedTargets(post.id, userId), expectCode('post_not_editable'));
      const stranger = await harness.createUser();
      await assert.rejects(store.retryFailedTargets(post.id, stranger), expectCode('post_not_found'));
      await assert.rejects(
        store.retryFailedTargets(crypto.randomUUID(), userId),
        expectCode('post_not_found'),
      );
      const unconfirmed = await settleAll(['unconfirmed']);
      assert.equal(unconfirmed.status, 'failed');
      await assert.rejects(
        store.retryFailedTargets(unconfirmed.id, unconfirmed.userId),
        expectCode('nothing_to_retry'),
      );
      const failed = await settleAll(['failed']);
      await store.deleteAccount(failed.targets[0]!.accountId!, failed.userId);
      await assert.rejects(
        store.retryFailedTargets(failed.id, failed.userId),
        expectCode('nothing_to_retry'),
      );
      assert.equal((await store.getPost(failed.id))!.status, 'failed', 'a refused retry changes nothing');
    });
  });
}
