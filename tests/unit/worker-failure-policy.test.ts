import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PublishError } from '../../src/platforms/publish-error.ts';
import { postJobId, targetJobId } from '../../src/queue/queue-names.ts';
import { parsePostJobData, parseTargetJobData } from '../../src/queue/job-data.ts';
import { nominalDelayMs, retryDelayMs } from '../../src/worker/backoff.ts';
import { createBackoffStrategy, decideFailure, RetryLaterError } from '../../src/worker/failure-policy.ts';
import type { FailureContext } from '../../src/worker/failure-policy.ts';

const NOW = new Date('2026-11-28T12:00:00Z');
const ctx = (overrides: Partial<FailureContext> = {}): FailureContext => ({
  attempt: 1,
  maxAttempts: 3,
  now: NOW,
  backoffMs: (n) => 1000 * n,
  mayHaveSent: true,
  aborted: false,
  ...overrides,
});

describe('backoff', () => {
  it('doubles from PUBLISH_BACKOFF_MS and stops at PUBLISH_BACKOFF_MAX_MS', () => {
    const settings = { baseMs: 5000, maxMs: 60_000 };
    assert.deepEqual([1, 2, 3, 4, 5, 6, 60].map((n) => nominalDelayMs(n, settings)), [
      5000,
      10_000,
      20_000,
      40_000,
      60_000,
      60_000,
      60_000,
    ]);
  });

  it('keeps each jittered delay between half and all of its nominal value', () => {
    const settings = { baseMs: 1000, maxMs: 900_000 };
    assert.equal(retryDelayMs(3, settings, () => 0), 2000);
    assert.equal(retryDelayMs(3, settings, () => 0.999999), 4000);
    assert.equal(retryDelayMs(1, settings, () => 0.5), 750);
  });

  it('gives BullMQ the delay the worker recorded, else the formula', () => {
    const strategy = createBackoffStrategy({ baseMs: 100, maxMs: 1000 }, () => 0);
    assert.equal(strategy(1, 'publish', new RetryLaterError('platform_unavailable', 4321)), 4321);
    assert.equal(strategy(3, 'publish', new Error('database down')), 200);
  });
});

describe('failure policy', () => {
  it('defers a rate limit until the platform reset time', () => {
    const retryAt = new Date(NOW.getTime() + 90_000);
    const decision = decideFailure(
      new PublishError('rate_limited', 'slow down', { platform: 'x', retryAt }),
      ctx(),
    );
    assert.deepEqual(decision, {
      action: 'defer',
      code: 'rate_limited',
      message: 'slow down',
      until: retryAt,
    });
  });

  it('waits at least a second for a rate limit whose reset already passed', () => {
    const decision = decideFailure(
      new PublishError('quota_exceeded', 'quota', {
        platform: 'instagram',
        retryAt: new Date(NOW.getTime() - 5000),
      }),
      ctx(),
    );
    assert.equal(decision.action, 'defer');
    assert.equal((decision as { until: Date }).until.getTime(), NOW.getTime() + 1000);
  });

  it('retries a transient error with backoff until the last attempt, then fails with its code', () => {
    const err = new PublishError('platform_unavailable', 'x answered 503', { platform: 'x' });
    assert.deepEqual(decideFailure(err, ctx({ attempt: 2 })), {
      action: 'retry',
      code: 'platform_unavailable',
      message: 'x answered 503',
      delayMs: 2000,
    });
    assert.deepEqual(decideFailure(err, ctx({ attempt: 3 })), {
      action: 'fail',
      code: 'platform_unavailable',
      message: 'x answered 503 (gave up after 3 attempts)',
    });
  });

  it('fails at once on auth and rejected content', () => {
    for (
      const code of ['auth_expired', 'content_invalid', 'duplicate_content', 'media_unreachable'] as const
    ) {
      const decision = decideFailure(new PublishError(code, code, { platform: 'linkedin' }), ctx());
      assert.deepEqual(decision, { action: 'fail', code, message: code });
    }
  });

  it('reconciles instead of retrying when the outcome is unknown, timed out, or an unexpected error followed the send', () => {
    assert.equal(
      decideFailure(new PublishError('outcome_unknown', 'lost', { platform: 'x' }), ctx()).action,
      'reconcile',
    );
    const timedOut = decideFailure(new DOMException('timed out', 'TimeoutError'), ctx({ aborted: true }));
    assert.equal(timedOut.action, 'reconcile');
    assert.match(timedOut.message, /before the publish timeout/);
    assert.equal(decideFailure(new TypeError('boom'), ctx()).action, 'reconcile');
  });

  it('retries an unexpected error that happened before anything was sent', () => {
    assert.equal(decideFailure(new Error('db blip'), ctx({ mayHaveSent: false })).action, 'retry');
  });
});

describe('job ids and data', () => {
  it('builds ids without colons', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    assert.equal(postJobId(id, 3), `post-${id}-v3`);
    assert.equal(targetJobId(id), `target-${id}`);
    assert.ok(!postJobId(id, 3).includes(':'));
  });

  it('accepts ids only and names every problem of bad data', () => {
    const p = '0f8fad5b-d9cb-469f-a165-70867728950e';
    assert.deepEqual(parsePostJobData({ p, v: 2 }), { postId: p, version: 2 });
    assert.deepEqual(parseTargetJobData({ p, v: 1, t: p }), { postId: p, version: 1, targetId: p });
    assert.throws(() => parsePostJobData({ p, v: 1, text: 'hello' }), /invalid post job data/);
    assert.throws(() => parseTargetJobData({ p: 'x', v: 0 }), /p must be a uuid; v must be 1 or more; t/);
  });
});
