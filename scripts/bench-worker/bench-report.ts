/** The worker bench's result types and its table: one pair of columns per runtime, targets marked. */
import type { Burst10kResult, Burst10kRun } from './burst10k.ts';
import type { Runtime } from './bench-runtime.ts';
import type { StoreKind } from './bench-rigs.ts';
import type {
  BurstResult,
  IsolatedRoundTrips,
  MemoryResult,
  SparseResult,
  ThroughputResult,
} from './bench-scenarios.ts';
import type { PerTarget } from './counted-postgres.ts';

export interface RuntimeResult {
  runtime: Runtime;
  store: StoreKind;
  /** Postgres: each side's pool (per process in burst10k). */
  pool: { max: number; prepare: boolean } | null;
  throughput: ThroughputResult;
  burst: BurstResult;
  sparse: SparseResult;
  memory: MemoryResult;
  roundTrips: IsolatedRoundTrips | null;
  burst10k: Burst10kResult | null;
}

/** The targets; the memory store keeps the drain target it had (1.5). */
export const TARGETS = {
  throughputRatio: 0.9,
  drainRatio: { memory: 1.5, postgres: 1.2 },
  speedUp: 1.6,
  roundTrips: 3,
  sparseP99DiffMs: 10,
};

// A scenario left out with --only has no numbers: a dash, not "undefined".
const cell = (v: unknown) => String(v).replace(/undefined|null|NaN/g, '—');

// NaN (a skipped scenario) arrives from the child's JSON as null.
function mark(value: number | null | undefined, ok: (v: number) => boolean): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  return `${value} ${ok(value) ? '✓' : '✗'}`;
}

const counts = (p: PerTarget | undefined) =>
  p ? `${p.statements} / ${p.transactions} / ${p.roundTrips}` : '—';

const run = (r: RuntimeResult, kind: 'worker' | 'minimum', processes: number): Burst10kRun | undefined =>
  r.burst10k?.runs.find((x) => x.kind === kind && x.processes === processes);

export function table(results: RuntimeResult[]): string {
  const pg = results.some((r) => r.store === 'postgres');
  const rawName = pg ? 'minimum' : 'raw';
  const rows: string[][] = [[
    'metric',
    ...results.flatMap((r) => [`${r.runtime} worker`, `${r.runtime} ${rawName}`]),
  ]];
  const add = (label: string, pick: (r: RuntimeResult) => [unknown, unknown]) =>
    rows.push([label, ...results.flatMap((r) => pick(r).map(cell))]);
  const drainTarget = pg ? TARGETS.drainRatio.postgres : TARGETS.drainRatio.memory;

  add(
    'throughput (targets|jobs /s)',
    (r) => [r.throughput.worker.targetsPerSecond, r.throughput.raw.jobsPerSecond],
  );
  add(
    `  ratio worker/${rawName} (≥ ${TARGETS.throughputRatio})`,
    (r) => [mark(r.throughput.ratio, (v) => v >= TARGETS.throughputRatio), ''],
  );
  add(
    '  CPU ms per target, bench process',
    (r) => [r.throughput.worker.cpuMsPerTarget, r.throughput.raw.cpuMsPerJob],
  );
  add('burst: last start (ms)', (r) => [r.burst.worker.lastStartMs, r.burst.raw.lastStartMs]);
  add(`  drain ratio (≤ ${drainTarget})`, (r) => [mark(r.burst.drainRatio, (v) => v <= drainTarget), '']);
  add('burst: p50 / p99 lateness (ms)', (r) => [
    `${cell(r.burst.worker.p50Ms)} / ${cell(r.burst.worker.p99Ms)}`,
    `${cell(r.burst.raw.p50Ms)} / ${cell(r.burst.raw.p99Ms)}`,
  ]);
  if (pg) {
    add(
      'burst10k: drain, 1 process (ms)',
      (r) => [run(r, 'worker', 1)?.drainMs, run(r, 'minimum', 1)?.drainMs],
    );
    add(`  drain ratio worker/minimum (≤ ${drainTarget})`, (r) => [
      mark(r.burst10k?.drainRatio, (v) => v <= drainTarget),
      '',
    ]);
    add(
      'burst10k: drain, 2 processes (ms)',
      (r) => [run(r, 'worker', 2)?.drainMs, run(r, 'minimum', 2)?.drainMs],
    );
    add(`  speed-up one/two (≥ ${TARGETS.speedUp})`, (r) => [
      mark(r.burst10k?.speedUp, (v) => v >= TARGETS.speedUp),
      r.burst10k?.rawSpeedUp,
    ]);
    for (const n of [1, 2]) {
      add(`burst10k ×${n}: p50 / p99 lateness (ms)`, (r) => {
        const w = run(r, 'worker', n);
        const m = run(r, 'minimum', n);
        return [`${cell(w?.p50Ms)} / ${cell(w?.p99Ms)}`, `${cell(m?.p50Ms)} / ${cell(m?.p99Ms)}`];
      });
    }
    add(
      'burst10k ×2: CPU % machine (of 200)',
      (r) => [run(r, 'worker', 2)?.cpu.machine, run(r, 'minimum', 2)?.cpu.machine],
    );
    add('  workers / postgres / redis / others %', (r) =>
      (['worker', 'minimum'] as const).map((k) => {
        const c = run(r, k, 2)?.cpu;
        return c
          ? `${c.workers.map(cell).join('+')} / ${cell(c.postgres)} / ${c.redis} / ${cell(c.others)}`
          : '—';
      }) as [string, string]);
    add(
      '  CPU ms/target workers+pg+redis → cpu-bound /s',
      (r) =>
        (['worker', 'minimum'] as const).map((k) => {
          const c = run(r, k, 2)?.cpuMsPerTarget;
          return c ? `${c.workers}+${c.postgres}+${c.redis} → ${c.cpuBoundPerSecond}` : '—';
        }) as [string, string],
    );
    add('per target, throughput: stmts / tx / round trips', (r) => [
      counts(r.throughput.roundTrips?.worker),
      counts(r.throughput.roundTrips?.raw),
    ]);
    add(`per target, one at a time: round trips (≤ ${TARGETS.roundTrips})`, (r) => [
      r.roundTrips
        ? `${
          mark(r.roundTrips.worker3.roundTrips, (v) => v <= TARGETS.roundTrips)
        } (1-target posts: ${r.roundTrips.worker1.roundTrips})`
        : '—',
      r.roundTrips?.raw.roundTrips,
    ]);
    add('  stmts / tx (3-target posts)', (r) => [
      r.roundTrips ? `${r.roundTrips.worker3.statements} / ${r.roundTrips.worker3.transactions}` : '—',
      r.roundTrips ? `${r.roundTrips.raw.statements} / ${r.roundTrips.raw.transactions}` : '—',
    ]);
  }
  add('sparse: p50 / p99 lateness (ms)', (r) => [
    `${cell(r.sparse.worker.p50Ms)} / ${cell(r.sparse.worker.p99Ms)}`,
    `${cell(r.sparse.raw.p50Ms)} / ${cell(r.sparse.raw.p99Ms)}`,
  ]);
  add(
    `  p99 difference (≤ ${TARGETS.sparseP99DiffMs} ms)`,
    (r) => [mark(r.sparse.p99DiffMs, (v) => v <= TARGETS.sparseP99DiffMs), ''],
  );
  add('Redis bytes per scheduled post', (r) => [
    r.memory.workerBytesPerPost,
    `${cell(r.memory.rawIdsBytesPerJob)} (ids) / ${cell(r.memory.rawPayloadBytesPerJob)} (post)`,
  ]);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((text, c) => text.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}
