/**
 * What a target run is given — the handlers' shared deps plus the send limits, built once in
 * start-worker.ts — and the retry delays its settings give.
 */
import type { SendRateLimit } from '../queue/send-rate-limit.ts';
import type { AccountLimits } from './account-limits.ts';
import { retryDelayMs } from './backoff.ts';
import type { SendSlots } from './send-slots.ts';
import type { HandlerDeps } from './worker-deps.ts';

export interface PublishJobDeps extends HandlerDeps {
  accountLimits: AccountLimits;
  /** Caps sends in flight across post jobs and publish jobs at WORKER_CONCURRENCY. */
  sendSlots: SendSlots;
  /** WORKER_RATE_MAX per WORKER_RATE_DURATION_MS across processes; absent when the limit is off. */
  sendRate?: SendRateLimit | null;
}

/** The delay before the next try after attempt `attempt` failed (PUBLISH_BACKOFF_MS, backoff.ts). */
export function retryBackoffMs(deps: Pick<HandlerDeps, 'settings' | 'random'>, attempt: number): number {
  const { settings } = deps;
  return retryDelayMs(attempt, { baseMs: settings.backoffMs, maxMs: settings.backoffMaxMs }, deps.random);
}
