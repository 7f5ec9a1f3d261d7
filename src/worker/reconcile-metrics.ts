/**
 * A reconcile pass's report as reconciler-action counts (solospark_reconciler_actions_total{kind}):
 * one kind per ReconcileReport field. The reconciler calls this at the end of each pass, so this file
 * names the fields instead of importing reconciler.ts (no two files import each other);
 * tests/unit/metrics.test.ts checks that the two lists stay the same.
 */
import type { ReconcileActionKind, WorkerMetrics } from '../observability/metrics.ts';

export const RECONCILE_ACTION_KINDS = {
  restored: 'post_requeued',
  targetsRestored: 'target_requeued',
  commentsRestored: 'comment_requeued',
  missed: 'missed',
  adopted: 'stuck_adopted',
  unconfirmed: 'stuck_unconfirmed',
  requeued: 'stuck_requeued',
  rolledUp: 'rolled_up',
  idempotencyKeysPurged: 'idempotency_keys_purged',
  oauthStatesPurged: 'oauth_states_purged',
} as const satisfies Readonly<Record<string, ReconcileActionKind>>;

export type ReconcileCounts = Readonly<Record<keyof typeof RECONCILE_ACTION_KINDS, number>>;

export function recordReconcileReport(metrics: WorkerMetrics, report: ReconcileCounts): void {
  for (const [field, kind] of Object.entries(RECONCILE_ACTION_KINDS)) {
    metrics.reconcilerAction(kind, report[field as keyof ReconcileCounts]);
  }
}
