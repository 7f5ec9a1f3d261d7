import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSendSlots } from '../../src/worker/send-slots.ts';

describe('send slots', () => {
  it('lets at most the limit in at once and hands freed slots to waiters in order', async () => {
    const slots = createSendSlots(2);
    const a = await slots.acquire();
    const b = await slots.acquire();
    const order: string[] = [];
    const c = slots.acquire().then((release) => (order.push('c'), release));
    const d = slots.acquire().then((release) => (order.push('d'), release));
    await Promise.resolve();
    assert.deepEqual(order, []);
    assert.equal(slots.inUse(), 2);
    a();
    const releaseC = await c;
    assert.deepEqual(order, ['c']);
    b();
    const releaseD = await d;
    assert.deepEqual(order, ['c', 'd']);
    releaseC();
    releaseD();
    assert.equal(slots.inUse(), 0);
  });

  it('ignores a second release of the same slot', async () => {
    const slots = createSendSlots(1);
    const release = await slots.acquire();
    release();
    release();
    assert.equal(slots.inUse(), 0);
    const again = await slots.acquire();
    assert.equal(slots.inUse(), 1);
    again();
  });

  it('refuses a limit below one', () => {
    assert.throws(() => createSendSlots(0), RangeError);
  });
});
