/**
 * The kinds of fault the soak injects. Infrastructure faults hit the workers, Redis or Postgres;
 * platform faults go through the sandbox's control API and hit one platform. `settleMs` is how long
 * after a fault ends the system may still be catching up (a killed worker's claims are recovered
 * after STUCK_AFTER_MS plus a reconcile pass): posts due within a fault or that long after it are
 * left out of the lateness figures.
 */
import { WORKER_TIMINGS } from './service-env.ts';

export const FAULT_KINDS = [
  'worker_kill9',
  'worker_sigterm',
  'redis_restart_empty',
  'redis_restart_keep',
  'queue_keys_deleted',
  'pg_sessions_killed',
  'db_connections_cut',
  'db_slow',
  'platform_5xx',
  'platform_429_reset',
  'platform_429_no_reset',
  'platform_timeout',
  'platform_drop',
  'platform_slow',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export const PLATFORM_FAULT_KINDS: readonly FaultKind[] = FAULT_KINDS.filter((k) =>
  k.startsWith('platform_')
);
export const INFRA_FAULT_KINDS: readonly FaultKind[] = FAULT_KINDS.filter((k) => !k.startsWith('platform_'));

const RECOVERY_MS = WORKER_TIMINGS.STUCK_AFTER_MS + 2 * WORKER_TIMINGS.RECONCILE_INTERVAL_MS;

export const FAULT_SETTLE_MS: Readonly<Record<FaultKind, number>> = {
  worker_kill9: RECOVERY_MS,
  worker_sigterm: RECOVERY_MS,
  redis_restart_empty: RECOVERY_MS,
  redis_restart_keep: RECOVERY_MS,
  queue_keys_deleted: RECOVERY_MS,
  pg_sessions_killed: 3000,
  db_connections_cut: 3000,
  db_slow: 3000,
  platform_5xx: 5000,
  platform_429_reset: 5000,
  platform_429_no_reset: 5000,
  platform_timeout: RECOVERY_MS,
  platform_drop: RECOVERY_MS,
  platform_slow: 3000,
};
