/**
 * The one place where a failed publish becomes a queue action. The PublishError kind
 * decides; the code is what people see:
 *
 * | kind / situation                          | target settles as                 | BullMQ                      |
 * |-------------------------------------------|-----------------------------------|-----------------------------|
 * | rate_limited (429, quota)                 | pending, deferred (attempt given back) | moveToDelayed + DelayedError |
 |   without a reset time: PUBLISH_BACKOFF_MS doubling per deferral in a row, capped at 1 h          |
 * | transient, attempts left                  | pending, nextAttemptAt            | RetryLaterError → backoff   |
 * | transient, last attempt                   | failed with its code              | UnrecoverableError          |
 * | auth (after a refresh was tried), rejected| failed with its code              | UnrecoverableError          |
 * | outcome_unknown, our timeout, or a bare   | reconcile with the platform, else | (apply-failure-decision.ts) |
 * |   error once the request may have left    |   unconfirmed — never a re-send   |                             |
 */
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { BackoffStrategy, Job } from 'bullmq';
import { hasErrorCode } from '../domain/error-codes.ts';
import { isPublishError } from '../platforms/publish-error.ts';
import type { BackoffSettings } from './backoff.ts';
import { retryDelayMs } from './backoff.ts';

/** A rate-limit reset in the past (clock skew) still waits this long. (Default: 1000 ms) */
export const MIN_DEFER_MS = 1000;

export type FailureDecision =
  | { action: 'defer'; code: string; message: string; until: Date }
  | { action: 'retry'; code: string; message: string; delayMs: number }
  | { action: 'fail'; code: string; message: string }
  | { action: 'reconcile'; code: 'outcome_unknown'; message: string };

export interface FailureContext {
  /** The attempt that failed, 1-based (the target's attempt count after its claim). */
  attempt: number;
  /** PUBLISH_ATTEMPTS */
  maxAttempts: number;
  now: Date;
  /** Delay before the next attempt after `attempt` failed. */
  backoffMs(attempt: number): number;
  /** True once the request may have reached the platform (the publish call began). */
  mayHaveSent: boolean;
  /** True when PUBLISH_TIMEOUT_MS (or shutdown) aborted the call. */
  aborted: boolean;
  /** How long to defer a rate limit that named no reset time (escalating; see attempt-history.ts). */
  rateLimitDelayMs?: number;
}

export function decideFailure(err: unknown, ctx: FailureContext): FailureDecision {
  if (isPublishError(err)) {
    switch (err.kind) {
      case 'rate_limited': {
        const fallback = ctx.now.getTime() + (ctx.rateLimitDelayMs ?? ctx.backoffMs(ctx.attempt));
        const until = Math.max(err.retryAt?.getTime() ?? fallback, ctx.now.getTime() + MIN_DEFER_MS);
        return { action: 'defer', code: err.code, message: err.message, until: new Date(until) };
      }
      case 'transient':
        return retryOrFail(err.code, err.message, ctx);
      case 'auth':
      case 'rejected':
        return { action: 'fail', code: err.code, message: err.message };
      case 'outcome_unknown':
        return { action: 'reconcile', code: 'outcome_unknown', message: err.message };
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  if (ctx.mayHaveSent) {
    return {
      action: 'reconcile',
      code: 'outcome_unknown',
      message: ctx.aborted
        ? 'no answer from the platform before the publish timeout; the post may be live'
        : `the publish call failed unexpectedly after the request may have left (${message}); the post may be live`,
    };
  }
  if (hasErrorCode(err, 'token_decrypt_failed')) {
    // The stored tokens cannot be read with the configured keys: no retry can fix that.
    return { action: 'fail', code: 'auth_expired', message: `${message}; reconnect the account` };
  }
  // Before anything was sent (e.g. reading the account's tokens): safe to retry.
  return retryOrFail('unknown', message, ctx);
}

function retryOrFail(code: string, message: string, ctx: FailureContext): FailureDecision {
  if (ctx.attempt >= ctx.maxAttempts) {
    return { action: 'fail', code, message: `${message} (gave up after ${ctx.attempt} attempts)` };
  }
  return { action: 'retry', code, message, delayMs: ctx.backoffMs(ctx.attempt) };
}

/** Thrown to BullMQ for a transient failure; the backoff strategy reads `delayMs`. */
export class RetryLaterError extends Error {
  readonly delayMs: number;
  constructor(message: string, delayMs: number) {
    super(message);
    this.name = 'RetryLaterError';
    this.delayMs = delayMs;
  }
}

function isRetryLater(err: unknown): err is RetryLaterError {
  return typeof err === 'object' && err !== null && (err as Error).name === 'RetryLaterError' &&
    typeof (err as RetryLaterError).delayMs === 'number';
}

/**
 * BullMQ's `settings.backoffStrategy` for the publish queue: the delay the worker already chose and
 * recorded as the target's nextAttemptAt, or — for failures before a target was claimed (a database
 * blip) — the same capped exponential formula.
 */
export function createBackoffStrategy(
  settings: BackoffSettings,
  random: () => number = Math.random,
): BackoffStrategy {
  return function publishBackoff(attemptsMade, _type, err) {
    return isRetryLater(err) ? err.delayMs : retryDelayMs(attemptsMade, settings, random);
  };
}

/** Fails the job with no further BullMQ attempts. */
export function stopRetrying(message: string): UnrecoverableError {
  return new UnrecoverableError(message);
}

/** Moves the active job back to delayed until `until` without using an attempt, and ends this run. */
export async function deferJob(job: Job, token: string | undefined, until: Date): Promise<never> {
  await job.moveToDelayed(until.getTime(), token);
  throw new DelayedError(`deferred until ${until.toISOString()}`);
}
