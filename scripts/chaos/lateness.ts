/**
 * Lateness (published_at − scheduled_at) figures for the report, and which posts count as "outside
 * the fault windows".
 */
import type { FaultEvent } from './fault-injector.ts';

const LATENESS_MARGIN_MS = 2000;

export interface Percentiles {
  samples: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * True when a fault on this platform (or on everything) was in effect at `at`, give or take
 * LATENESS_MARGIN_MS. The margin is short on purpose: a post due a few seconds after a worker came
 * back is not held up by the earlier crash, and lateness is about the calm parts of the run.
 */
export function nearFault(faults: readonly FaultEvent[], at: number, platform: string): boolean {
  return faults.some((f) =>
    (!f.platform || f.platform === platform) && f.startedAt - LATENESS_MARGIN_MS <= at &&
    at <= f.endedAt + LATENESS_MARGIN_MS
  );
}

export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { samples: 0, p50Ms: null, p99Ms: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { samples: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99) };
}
