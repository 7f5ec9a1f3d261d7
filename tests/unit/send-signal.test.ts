import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSendSignal } from '../../src/worker/send-signal.ts';

function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true })
  );
}

describe('send signal', () => {
  it('aborts with a TimeoutError once the timeout passes', async () => {
    const send = createSendSignal(10, new AbortController().signal);
    const reason = await aborted(send.signal);
    assert.equal((reason as Error).name, 'TimeoutError');
    send.dispose();
  });

  it('aborts with the parent reason when the parent aborts', async () => {
    const parent = new AbortController();
    const send = createSendSignal(60_000, parent.signal);
    const reason = new Error('shutdown');
    const abortedWith = aborted(send.signal);
    parent.abort(reason);
    assert.equal(await abortedWith, reason);
    send.dispose();
  });

  it('aborts every attempt still in flight when the parent aborts, and none already disposed', async () => {
    const parent = new AbortController();
    const first = createSendSignal(60_000, parent.signal);
    const second = createSendSignal(60_000, parent.signal);
    const done = createSendSignal(60_000, parent.signal);
    done.dispose();
    const reason = new Error('shutdown');
    const both = Promise.all([aborted(first.signal), aborted(second.signal)]);
    parent.abort(reason);
    assert.deepEqual(await both, [reason, reason]);
    assert.equal(done.signal.aborted, false);
    first.dispose();
    second.dispose();
  });

  it('starts aborted when the parent already is', () => {
    const parent = new AbortController();
    parent.abort(new Error('shutdown'));
    const send = createSendSignal(60_000, parent.signal);
    assert.equal(send.signal.aborted, true);
    send.dispose();
  });

  it('never aborts after dispose, neither by timeout nor by the parent', async () => {
    const parent = new AbortController();
    const send = createSendSignal(5, parent.signal);
    send.dispose();
    parent.abort();
    const settled = await Promise.race([
      aborted(send.signal).then(() => 'aborted'),
      new Promise((resolve) => setTimeout(() => resolve('quiet'), 30)),
    ]);
    assert.equal(settled, 'quiet');
    assert.equal(send.signal.aborted, false);
  });
});
