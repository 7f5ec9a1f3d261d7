/**
 * The signal that bounds one publish attempt: it aborts after `timeoutMs` (reason: a `TimeoutError`
 * DOMException, as from `AbortSignal.timeout`) or when `parent` (the worker's shutdown signal) aborts.
 *
 * Why not `AbortSignal.any([AbortSignal.timeout(ms), parent])`: that leaves a PUBLISH_TIMEOUT_MS timer
 * and weak references behind for every attempt until the timer fires — tens of thousands of them at a
 * few hundred publishes per second, which showed up as timer and garbage-collection cost in the worker's
 * profile. `dispose()` clears the timer and the parent listener as soon as the attempt has ended; it
 * never aborts the signal, so `signal.aborted` still tells whether the attempt was cut short.
 */
export interface SendSignal {
  readonly signal: AbortSignal;
  /** Releases the timer and the parent listener. Safe to call more than once. */
  dispose(): void;
}

export function createSendSignal(timeoutMs: number, parent: AbortSignal): SendSignal {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, dispose() {} };
  }
  const onParentAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onParentAbort, { once: true });
  const timer = setTimeout(() => {
    controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
