/**
 * The reconciler keeps the queue honest against the database, the source of truth (DESIGN.md
 * invariant 1). At start-up and every RECONCILE_INTERVAL_MS it:
 * - fails posts overdue by more than MISSED_AFTER_MS with code `missed` (not sent a day late);
 * - re-enqueues every other scheduled post whose job is missing (Redis restarted empty or lost its
 *   data, or the API's enqueue failed after its commit);
 * - recovers targets stuck in `publishing` for longer than STUCK_AFTER_MS (their worker died or
 *   hung and no later run of their job took over): asks the platform, adopts a live post, marks it
 *   unconfirmed, or — when the platform confirms nothing went out — puts it back and enqueues it.
 *
 * Several workers may run it at once: job ids deduplicate re-enqueues, and every state change is a
 * compare-and-set in the store, so one caller wins and the others see claim_lost or null.
 */
import type { Queue } from 'bullmq';
import type { PublishJobData } from '../queue/job-data.ts';
import type { PublishQueue } from '../queue/publish-queue.ts';
import { enqueueTargets } from '../queue/target-jobs.ts';
import { missedMessage } from './post-job.ts';
import { recoverUnknownOutcome, settleHeld } from './target-recovery.ts';
import type { HandlerDeps } from './worker-deps.ts';

/** Rows looked at per pass; the store returns the soonest-due scheduled posts first. (Default: 10 000) */
export const RECONCILE_BATCH = 10_000;

export interface ReconcileReport {
  /** Scheduled posts whose job was missing and was added again. */
  restored: number;
  /** Overdue posts failed with `missed`. */
  missed: number;
  /** Stuck targets: found live and adopted, marked unconfirmed, or put back to be sent. */
  adopted: number;
  unconfirmed: number;
  requeued: number;
}

export interface ReconcilerDeps extends HandlerDeps {
  postsQueue: PublishQueue;
  publishQueue: Queue<PublishJobData>;
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
    const report: ReconcileReport = { restored: 0, missed: 0, adopted: 0, unconfirmed: 0, requeued: 0 };
    const now = deps.now().getTime();
    const { scheduled, stuckTargets } = await store.findReconcileCandidates(
      new Date(now - settings.stuckAfterMs),
      RECONCILE_BATCH,
    );

    const onTime = [];
    for (const post of scheduled) {
      if (now - post.scheduledAt.getTime() <= settings.missedAfterMs) {
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
        await deps.postsQueue.cancel(post);
      }
    }

    const states = await deps.postsQueue.postJobStates(onTime);
    for (const [i, post] of onTime.entries()) {
      if (states[i] !== 'missing') continue;
      await deps.postsQueue.schedule(post);
      report.restored++;
      log.info({ postId: post.id, version: post.version }, 'post job was missing from the queue; restored');
    }

    for (const target of stuckTargets) {
      const post = await store.getPost(target.postId);
      if (!post) continue;
      const tlog = log.child({ postId: post.id, targetId: target.id, platform: target.platform });
      const startedAt = target.claimedAt ?? deps.now();
      const reason = 'the target was still publishing after STUCK_AFTER_MS (its worker stopped or hung)';
      tlog.warn({ claimedAt: target.claimedAt?.toISOString() }, 'target stuck in publishing; reconciling');
      const { outcome } = await recoverUnknownOutcome(deps, post, target, reason, startedAt);
      if (outcome === 'claim_lost') continue;
      if (outcome === 'not_published') {
        const settled = await settleHeld(deps, target, {
          status: 'pending',
          errorCode: 'outcome_unknown',
          errorMessage: `${reason}; ${target.platform} confirms it was not published, so it is sent again`,
          nextAttemptAt: deps.now(),
        }, startedAt);
        if (!settled) continue;
        await enqueueTargets(deps.publishQueue, [{
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

    if (report.restored + report.missed + report.adopted + report.unconfirmed + report.requeued > 0) {
      log.info(report, 'reconcile pass changed things');
    } else {
      log.debug('reconcile pass: nothing to do');
    }
    return report;
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
