/**
 * The reconciler keeps the queue honest against the database, the source of truth (invariant 1,
 * docs/operations.md). At start-up and every RECONCILE_INTERVAL_MS it:
 * - fails posts overdue by more than MISSED_AFTER_MS with code `missed` (not sent a day late);
 * - re-enqueues every other scheduled post whose job is missing (Redis restarted empty or lost its
 *   data, or the API's enqueue failed after its commit);
 * - recovers targets stuck in `publishing` for longer than STUCK_AFTER_MS (their worker died or
 *   hung and no later run of their job took over): asks the platform, adopts a live post, marks it
 *   unconfirmed, or — when the platform confirms nothing went out — puts it back and enqueues it;
 * - re-adds the publish job of every `pending` target of a `publishing` post whose job is missing
 *   (Redis lost its data after the fan-out, the fan-out's enqueue failed on every try, or the enqueue
 *   after a retry of failed targets never happened), due at the target's nextAttemptAt;
 * - rolls up `publishing` posts whose targets are all settled (the worker died between the last
 *   settle and the roll-up);
 * - purges Idempotency-Key records older than their TTL and OAuth states past their expiry, at most
 *   PURGE_BATCH of each per pass, so neither table grows forever and no pass blocks on a big delete.
 *
 * Several workers may run it at once: job ids deduplicate re-enqueues, and every state change is a
 * compare-and-set in the store, so one caller wins and the others see claim_lost or null. A target
 * settled between the store read and the queue check may get a job it no longer needs; that job
 * finds the target settled (or loses its claim) and sends nothing.
 */
import { recordReconcileReport } from './reconcile-metrics.ts';
import type { Queue } from 'bullmq';
import type { TargetJobData } from '../queue/job-data.ts';
import type { BullPostScheduler } from '../queue/bull-post-scheduler.ts';
import { enqueueTargetJobs, targetJobStates } from '../queue/target-queue.ts';
import type { PendingTargetRef } from '../store/post-store.ts';
import { isMissed, missedMessage } from '../domain/schedule-rules.ts';
import { coerceError } from '../domain/error-codes.ts';
import { IDEMPOTENCY_KEY_TTL_MS } from '../store/idempotency-key-store.ts';
import { recoverUnknownOutcome, releaseUnsent } from './target-recovery.ts';
import type { HandlerDeps } from './worker-deps.ts';
import { abandonAfterMs } from './worker-deps.ts';

/**
 * Rows looked at per pass, per kind (scheduled posts, stuck targets, pending targets, posts to roll up);
 * the store returns the soonest due first, so a backlog drains over several passes. (Default: 10 000)
 */
export const RECONCILE_BATCH = 10_000;

/**
 * Expired Idempotency-Key records and OAuth states deleted per pass, each: one short statement per
 * table, so a backlog drains over several passes (1000 a minute at the default interval) without
 * holding locks for long. (Default: 1000)
 */
export const PURGE_BATCH = 1000;

export interface ReconcileReport {
  /** Scheduled posts whose job was missing and was added again. */
  restored: number;
  /** Overdue posts failed with `missed`. */
  missed: number;
  /** Stuck targets: found live and adopted, marked unconfirmed, or put back to be sent. */
  adopted: number;
  unconfirmed: number;
  requeued: number;
  /** Pending targets of publishing posts whose publish job was missing and was added again. */
  targetsRestored: number;
  /**
   * First comments due on a published target, or left publishing by a worker that died, whose
   * target's publish job was missing and was added again (that run posts or reconciles the comment).
   */
  commentsRestored: number;
  /** Publishing posts with every target settled that got their final status. */
  rolledUp: number;
  /** Idempotency-Key records older than IDEMPOTENCY_KEY_TTL_MS, deleted. */
  idempotencyKeysPurged: number;
  /** OAuth states past their expiry (connections never completed), deleted. */
  oauthStatesPurged: number;
}

export interface ReconcilerDeps extends HandlerDeps {
  postScheduler: BullPostScheduler;
  targetQueue: Queue<TargetJobData>;
  intervalMs: number;
}

export interface Reconciler {
  runOnce(): Promise<ReconcileReport>;
  /** Runs a pass every `intervalMs` (the first after one interval). */
  start(): void;
  /** Stops the timer and waits for a running pass. */
  stop(): Promise<void>;
}

export function createReconciler(deps: ReconcilerDeps): Reconciler {
  const { store, settings } = deps;
  const log = deps.logger.child({ component: 'reconciler' });
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = false;

  async function runOnce(): Promise<ReconcileReport> {
    const report: ReconcileReport = {
      restored: 0,
      missed: 0,
      adopted: 0,
      unconfirmed: 0,
      requeued: 0,
      targetsRestored: 0,
      commentsRestored: 0,
      rolledUp: 0,
      idempotencyKeysPurged: 0,
      oauthStatesPurged: 0,
    };
    const now = deps.now().getTime();
    // Claim ages are judged by the store's clock; never less than a live run's bound (abandonAfterMs).
    const stuckForMs = Math.max(settings.stuckAfterMs, abandonAfterMs(settings.publishTimeoutMs));
    const candidates = await store.findReconcileCandidates(stuckForMs, RECONCILE_BATCH);
    const { scheduled, stuckTargets, pendingTargets, unrolledPostIds } = candidates;
    // The publish-job check comes right after the store read: the shorter that gap, the fewer pending
    // targets settle in it (each such target would get a needless job, which then sends nothing).
    report.targetsRestored = await restorePendingTargets(pendingTargets);
    // A stuck comment's run takes its claim over and asks the platform (publish-comment.ts).
    report.commentsRestored = await restorePendingTargets(
      [...candidates.pendingComments, ...candidates.stuckComments],
      'first comment',
    );

    const onTime = [];
    for (const post of scheduled) {
      if (!isMissed(post.scheduledAt, now, settings.missedAfterMs)) {
        onTime.push(post);
        continue;
      }
      const failed = await store.failScheduledPost(
        post.id,
        post.version,
        'missed',
        missedMessage(post.scheduledAt, settings.missedAfterMs),
      );
      if (failed) {
        report.missed++;
        log.warn(
          { postId: post.id, scheduledAt: post.scheduledAt.toISOString() },
          'post missed; failed as missed',
        );
        await deps.postScheduler.cancel(post);
      }
    }

    const states = await deps.postScheduler.postJobStates(onTime);
    for (const [i, post] of onTime.entries()) {
      if (states[i] !== 'missing') continue;
      await deps.postScheduler.schedule(post);
      report.restored++;
      log.info({ postId: post.id, version: post.version }, 'post job was missing from the queue; restored');
    }

    for (const stuck of stuckTargets) {
      const post = await store.getPost(stuck.postId);
      if (!post || !stuck.claimToken) continue;
      // Taken under a new token, atomically and only if still that old: a run that re-claimed it since
      // (or settled it) is left alone.
      const takeover = await store.takeOverClaim(stuck.id, stuck.claimToken, stuckForMs);
      if (takeover.outcome !== 'taken') continue;
      const target = takeover.target;
      const tlog = log.child({ postId: post.id, targetId: target.id, platform: target.platform });
      const startedAt = deps.now();
      const reason = 'the target was still publishing after STUCK_AFTER_MS (its worker stopped or hung)';
      tlog.warn({ claimedAt: stuck.claimedAt?.toISOString() }, 'target stuck in publishing; reconciling');
      const recovery = await recoverUnknownOutcome(deps, post, target, reason, startedAt);
      const { outcome } = recovery;
      if (outcome === 'claim_lost') continue;
      if (outcome === 'check_later') {
        // Still publishing under the takeover's claim: a later pass asks again.
        tlog.warn('the platform could not be asked whether the stuck target is live; asking again later');
        continue;
      }
      if (outcome === 'not_published' || outcome === 'advanced') {
        // `advanced`: the thread part it was sending is live (recorded); its next part is still to send.
        const held = recovery.target ?? target;
        const why = outcome === 'advanced' ? `${reason}; its thread part was found live` : reason;
        if (!(await releaseUnsent(deps, held, why, startedAt))) continue;
        await enqueueTargetJobs(deps.targetQueue, [{
          postId: post.id,
          version: post.version,
          targetId: target.id,
        }], settings.publishAttempts);
        report.requeued++;
        tlog.info('platform confirms nothing went out; target queued again');
        continue;
      }
      if (outcome === 'published') report.adopted++;
      else report.unconfirmed++;
      await store.rollUpPost(post.id);
      tlog.info(
        { outcome },
        outcome === 'published' ? 'stuck target found live; adopted' : 'stuck target marked unconfirmed',
      );
    }

    for (const postId of unrolledPostIds) {
      const post = await store.rollUpPost(postId);
      if (post.status === 'publishing') continue;
      report.rolledUp++;
      log.info(
        { postId, postStatus: post.status },
        'post was left publishing with every target settled; rolled up',
      );
    }

    await purgeExpired(report);
    recordReconcileReport(deps.metrics, report);

    if (Object.values(report).some((n) => n > 0)) {
      log.info(report, 'reconcile pass changed things');
    } else {
      log.debug('reconcile pass: nothing to do');
    }
    return report;
  }

  /**
   * Housekeeping, last in the pass: a failure is logged and left for the next pass, never failing the
   * pass whose publishing work is already done.
   */
  async function purgeExpired(report: ReconcileReport): Promise<void> {
    const at = deps.now();
    try {
      report.idempotencyKeysPurged = await store.purgeIdempotencyKeys(
        new Date(at.getTime() - IDEMPOTENCY_KEY_TTL_MS),
        PURGE_BATCH,
      );
      report.oauthStatesPurged = await store.purgeExpiredOAuthStates(at, PURGE_BATCH);
    } catch (err) {
      log.warn(
        { err: coerceError(err) },
        'purging expired idempotency keys or OAuth states failed; next pass retries',
      );
    }
  }

  /** Re-adds the publish job of each pending target that has none. Returns how many it added. */
  async function restorePendingTargets(
    targets: readonly PendingTargetRef[],
    what = 'pending target',
  ): Promise<number> {
    const states = await targetJobStates(deps.targetQueue, targets.map((t) => t.id));
    const missing = targets.filter((_, i) => states[i] === 'missing');
    if (missing.length === 0) return 0;
    const now = deps.now().getTime();
    const delays = missing.map((t) => Math.max(0, (t.nextAttemptAt?.getTime() ?? now) - now));
    await enqueueTargetJobs(
      deps.targetQueue,
      missing.map((t, i) => ({ postId: t.postId, version: t.version, targetId: t.id, delayMs: delays[i]! })),
      settings.publishAttempts,
    );
    for (const [i, t] of missing.entries()) {
      log.info(
        {
          postId: t.postId,
          targetId: t.id,
          platform: t.platform,
          accountId: t.accountId,
          delayMs: delays[i],
        },
        `publish job of a ${what} was missing from the queue; restored`,
      );
    }
    return missing.length;
  }

  function guardedRun(): Promise<ReconcileReport> {
    const pass = runOnce();
    running = pass.catch(() => {});
    return pass;
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(async () => {
      try {
        await guardedRun();
      } catch (err) {
        log.error({ err }, 'reconcile pass failed; trying again next interval');
      }
      schedule();
    }, deps.intervalMs);
  }

  return {
    runOnce: guardedRun,
    start() {
      stopped = false;
      if (!timer) schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
