/**
 * The signal that bounds one publish attempt: it aborts after `timeoutMs` (reason: a `TimeoutError`
 * DOMException, as from `AbortSignal.timeout`) or when `parent` (the worker's shutdown signal) aborts.
 *
 * Why not `AbortSignal.any([AbortSignal.timeout(ms), parent])`: that leaves a PUBLISH_TIMEOUT_MS timer
 * and weak references behind for every attempt until the timer fires — tens of thousands of them at a
 * few hundred publishes per second, which showed up as timer and garbage-collection cost in the worker's
 * profile. `dispose()` clears the timer and unhooks the attempt from the parent as soon as it has
 * ended; it never aborts the signal, so `signal.aborted` still tells whether the attempt was cut short.
 *
 * The parent gets one listener however many attempts are in flight (a set of their controllers per
 * parent): an EventTarget listener per attempt made every add and remove walk a list as long as the
 * concurrency, and tripped Node's MaxListenersExceededWarning.
 */
export interface SendSignal {
  readonly signal: AbortSignal;
  /** Releases the timer and the hook on the parent. Safe to call more than once. */
  dispose(): void;
}

/** The controllers of the attempts in flight under each parent signal; one parent listener aborts them. */
const inFlight = new WeakMap<AbortSignal, Set<AbortController>>();

function followersOf(parent: AbortSignal): Set<AbortController> {
  let followers = inFlight.get(parent);
  if (!followers) {
    const created = new Set<AbortController>();
    followers = created;
    inFlight.set(parent, created);
    parent.addEventListener('abort', () => {
      for (const controller of created) controller.abort(parent.reason);
      created.clear();
    }, { once: true });
  }
  return followers;
}

export function createSendSignal(timeoutMs: number, parent: AbortSignal): SendSignal {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, dispose() {} };
  }
  const followers = followersOf(parent);
  followers.add(controller);
  const timer = setTimeout(() => {
    controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      followers.delete(controller);
    },
  };
}
