/**
 * At most `limit` sends in flight in this process. Targets are sent from two places — inside post jobs
 * (first attempts) and from publish jobs (retries, deferrals, recovery) — and WORKER_CONCURRENCY bounds
 * both together, so the platforms never see more concurrent requests than configured. Waiters are
 * served first come, first served.
 */
export interface SendSlots {
  /** Resolves with `release` once a slot is free; call `release` exactly once when the send is over. */
  acquire(): Promise<() => void>;
  /** Sends in flight now. */
  inUse(): number;
}

export function createSendSlots(limit: number): SendSlots {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`send slots must be 1 or more, got ${limit}`);
  }
  let used = 0;
  const waiting: (() => void)[] = [];

  function release(): void {
    const next = waiting.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else used--;
  }

  function releaseOnce(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  }

  return {
    acquire() {
      if (used < limit) {
        used++;
        return Promise.resolve(releaseOnce());
      }
      return new Promise((resolve) => waiting.push(() => resolve(releaseOnce())));
    },
    inUse: () => used,
  };
}
