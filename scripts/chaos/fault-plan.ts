/**
 * The seeded fault schedule. Two independent tracks run side by side between the profile's fault
 * start and stop:
 * - infrastructure (workers, Redis, Postgres): one fault every few seconds, each kind at least once
 *   before any repeats; some worker kills land just after a burst is due, when workers are mid-publish;
 * - platforms (through the sandbox): one window at a time — the sandbox's fault rules can only be
 *   cleared all together — on a random platform.
 */
import type { Platform } from '../../src/domain/platform.ts';
import type { ChaosProfile } from './chaos-options.ts';
import type { FaultKind } from './fault-kinds.ts';
import { INFRA_FAULT_KINDS, PLATFORM_FAULT_KINDS } from './fault-kinds.ts';
import type { Random } from './seeded-random.ts';

export interface PlannedFault {
  atMs: number;
  kind: FaultKind;
  /** For platform faults. */
  platform: Platform | null;
  /** How long the fault lasts (slowness windows, the downtime of a restart). */
  durationMs: number;
  /** For platform rules: how many requests it hits. */
  times: number;
  /** 5xx status, 429 reset seconds, or latency ms, depending on the kind. */
  value: number;
  /** Worker slot to hit (index into the fleet, modulo its size). */
  slot: number;
}

const PLATFORMS: readonly Platform[] = ['x', 'instagram', 'linkedin'];

const INFRA_WEIGHTS: Partial<Record<FaultKind, number>> = {
  worker_kill9: 3,
  worker_sigterm: 2,
  redis_restart_empty: 2,
};

export function planFaults(
  profile: ChaosProfile,
  kinds: readonly FaultKind[],
  burstOffsetsMs: readonly number[],
  random: Random,
): PlannedFault[] {
  const infraKinds = INFRA_FAULT_KINDS.filter((k) => kinds.includes(k));
  const platformKinds = PLATFORM_FAULT_KINDS.filter((k) => kinds.includes(k));
  const faults: PlannedFault[] = [];
  const span = profile.faultEndMs - profile.faultStartMs;

  if (infraKinds.length > 0) {
    // About one infrastructure fault per 4 s, whatever the run's length.
    const count = Math.max(infraKinds.length, Math.round(span / 4_000));
    const order = [...random.shuffle(infraKinds)];
    // After one of each, the faults the design is most about (a worker dying mid-send, Redis losing
    // its data) come more often than the rest.
    const weighted = infraKinds.flatMap((k) => Array.from({ length: INFRA_WEIGHTS[k] ?? 1 }, () => k));
    while (order.length < count) order.push(random.pick(weighted));
    const step = span / count;
    order.forEach((kind, i) => {
      let atMs = Math.round(profile.faultStartMs + i * step + random.between(0, step * 0.5));
      if (kind === 'worker_kill9' && random.chance(0.6)) {
        const burst = burstOffsetsMs.find((b) => b >= atMs - step && b <= atMs + step);
        if (burst !== undefined) atMs = Math.round(burst + random.between(150, 1_200));
      }
      faults.push(fault(kind, Math.min(atMs, profile.faultEndMs - 1_000), random));
    });
  }

  if (platformKinds.length > 0) {
    const order: FaultKind[] = random.shuffle(platformKinds);
    let atMs = profile.faultStartMs + random.between(0, 1_500);
    for (let i = 0; atMs < profile.faultEndMs - 2_000; i++) {
      const kind = order[i] ?? random.pick(platformKinds);
      const planned = fault(kind, Math.round(atMs), random);
      planned.durationMs = Math.min(planned.durationMs, profile.faultEndMs - planned.atMs);
      faults.push(planned);
      atMs += planned.durationMs + random.between(1_000, 3_000);
    }
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

function fault(kind: FaultKind, atMs: number, random: Random): PlannedFault {
  const base: PlannedFault = {
    atMs,
    kind,
    platform: null,
    durationMs: 0,
    times: 0,
    value: 0,
    slot: random.int(0, 1000),
  };
  switch (kind) {
    case 'worker_kill9':
    case 'worker_sigterm':
      return { ...base, durationMs: Math.round(random.between(300, 2_000)) };
    case 'redis_restart_empty':
    case 'redis_restart_keep':
      return { ...base, durationMs: Math.round(random.between(500, 2_500)) };
    case 'db_slow':
      return { ...base, durationMs: Math.round(random.between(3_000, 8_000)), value: random.int(200, 1_500) };
    case 'queue_keys_deleted':
    case 'pg_sessions_killed':
    case 'db_connections_cut':
      return base;
    default: {
      const platform = random.pick(PLATFORMS);
      const window = Math.round(random.between(3_000, 7_000));
      const times = random.int(2, 8);
      if (kind === 'platform_5xx') {
        return { ...base, platform, durationMs: window, times, value: random.pick([500, 502, 503]) };
      }
      if (kind === 'platform_429_reset') {
        return { ...base, platform, durationMs: window, times, value: random.int(1, 4) };
      }
      if (kind === 'platform_429_no_reset') {
        // X's answer to a 429 without headers is its 15-minute window, longer than any run: the bare
        // 429 goes to the platforms whose adapters back off on their own.
        const platform = random.pick(['instagram', 'linkedin'] as const);
        return { ...base, platform, durationMs: window, times, value: 429 };
      }
      if (kind === 'platform_slow') {
        return { ...base, platform, durationMs: window, value: random.int(500, 2_500) };
      }
      return { ...base, platform, durationMs: window, times: random.int(1, 4) };
    }
  }
}
