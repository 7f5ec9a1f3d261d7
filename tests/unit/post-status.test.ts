import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canPostMove, canTargetMove, rollUpPostStatus } from '../../src/domain/post.ts';
import type { TargetStatus } from '../../src/domain/post.ts';
import { normalizePlatform } from '../../src/domain/platform.ts';

const targets = (...statuses: TargetStatus[]) => statuses.map((status) => ({ status }));

describe('post status roll-up', () => {
  it('is published when every target is published', () => {
    assert.equal(rollUpPostStatus(targets('published', 'published')), 'published');
  });
  it('is failed when no target is published', () => {
    assert.equal(rollUpPostStatus(targets('failed', 'unconfirmed')), 'failed');
  });
  it('is partially_published when some but not all are published, counting unconfirmed as not published', () => {
    assert.equal(rollUpPostStatus(targets('published', 'unconfirmed')), 'partially_published');
    assert.equal(rollUpPostStatus(targets('published', 'failed')), 'partially_published');
  });
  it('waits while a target is pending or publishing', () => {
    assert.equal(rollUpPostStatus(targets('published', 'pending')), null);
    assert.equal(rollUpPostStatus(targets('publishing')), null);
    assert.equal(rollUpPostStatus([]), null);
  });
});

describe('state machine', () => {
  it('never lets a cancelled or published target be sent again', () => {
    assert.equal(canTargetMove('cancelled', 'publishing'), false);
    assert.equal(canTargetMove('published', 'publishing'), false);
    assert.equal(canTargetMove('pending', 'publishing'), true);
  });
  it('freezes a post once publishing began', () => {
    assert.equal(canPostMove('publishing', 'cancelled'), false);
    assert.equal(canPostMove('publishing', 'scheduled'), false);
    assert.equal(canPostMove('scheduled', 'cancelled'), true);
  });
});

describe('platform ids', () => {
  it('accepts twitter as an alias of x and rejects unknown names', () => {
    assert.equal(normalizePlatform('Twitter'), 'x');
    assert.equal(normalizePlatform('linkedin'), 'linkedin');
    assert.equal(normalizePlatform('myspace'), null);
  });
});
