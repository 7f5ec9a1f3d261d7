/**
 * The soak's result: one JSON-able summary (printed with --json) and the table people read. The
 * verdict fails on any duplicate, lost post, wrong external id, old-version copy, copy of a failed or
 * cancelled target, orphan copy, non-terminal post, or broken API promise (an accepted cancel or edit
 * that did not hold); on the unconfirmed ratio only with --strict-unconfirmed.
 */
import type { ChaosOptions } from './chaos-options.ts';
import { replayCommand } from './chaos-options.ts';
import type { FaultEvent } from './fault-injector.ts';
import type { PostRecord } from './load-driver.ts';
import type { Verdict } from './oracle.ts';
import type { WorkerExit } from './worker-watchdog.ts';

/** The issue's target: at most this share of ambiguous sends ends unconfirmed. */
export const UNCONFIRMED_TARGET_RATIO = 0.005;

export interface ChaosSummary {
  seed: number;
  profile: string;
  replay: string;
  /** Epoch ms. */
  startedAt: number;
  durationS: number;
  logDir: string;
  drained: boolean;
  drainS: number;
  api: {
    created: number;
    planned: number;
    createFailures: Record<string, number>;
    notQueued: number;
    edits: { sent: number; accepted: number; racing: number; refused: Record<string, number> };
    cancels: { sent: number; accepted: number; racing: number; refused: Record<string, number> };
  };
  faults: { byKind: Record<string, number>; failedToInject: number; timeline: FaultEvent[] };
  unexpectedWorkerExits: WorkerExit[];
  verdict: Omit<Verdict, 'violations'> & { violations: Verdict['violations'] };
  pass: boolean;
  failures: string[];
}

export function summarize(input: {
  options: ChaosOptions;
  startedAt: number;
  logDir: string;
  records: readonly PostRecord[];
  timeline: readonly FaultEvent[];
  unexpectedExits: readonly WorkerExit[];
  verdict: Verdict;
  drained: boolean;
  drainMs: number;
}): ChaosSummary {
  const { records, verdict, options } = input;
  const count = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);
  const createFailures: Record<string, number> = {};
  for (const r of records) {
    if (r.createStatus !== 201) count(createFailures, `${r.createStatus} ${r.createCode ?? ''}`.trim());
  }
  const actions = (kind: 'edit' | 'cancel', ok: number) => {
    const sent = records.flatMap((r) => r.actions.filter((a) => a.kind === kind));
    const refused: Record<string, number> = {};
    for (const a of sent) if (a.status !== ok) count(refused, `${a.status} ${a.code ?? ''}`.trim());
    return {
      sent: sent.length,
      accepted: sent.filter((a) => a.status === ok).length,
      racing: sent.filter((a) => a.racing).length,
      refused,
    };
  };
  const byKind: Record<string, number> = {};
  for (const f of input.timeline) count(byKind, f.kind);

  const failures: string[] = [];
  const must = (value: number, what: string) => value > 0 && failures.push(`${value} ${what}`);
  must(verdict.duplicates, 'targets live more than once');
  must(verdict.lost, 'lost (published without a copy, or accepted and missing)');
  must(verdict.wrongExternalId, 'targets with a wrong external id');
  must(verdict.oldVersionCopies, 'copies of an old version');
  must(verdict.liveButFailed, 'failed targets that are live');
  must(verdict.liveButCancelled, 'cancelled targets that are live');
  must(verdict.orphanCopies, 'copies that belong to no target');
  must(verdict.nonTerminalPosts + verdict.nonTerminalTargets, 'non-terminal posts or targets');
  must(verdict.cancelNotKept, 'accepted cancels that did not hold');
  must(verdict.editNotKept, 'accepted edits that did not hold');
  must(verdict.unconfirmed.withoutReason, 'unconfirmed targets without an error message');
  if (options.strictUnconfirmed && verdict.unconfirmedRatio > UNCONFIRMED_TARGET_RATIO) {
    failures.push(
      `unconfirmed ratio ${(verdict.unconfirmedRatio * 100).toFixed(2)} % > ${
        UNCONFIRMED_TARGET_RATIO * 100
      } %`,
    );
  }
  return {
    seed: options.seed,
    profile: options.profile.name,
    replay: replayCommand(options),
    startedAt: input.startedAt,
    durationS: round((Date.now() - input.startedAt) / 1000),
    logDir: input.logDir,
    drained: input.drained,
    drainS: round(input.drainMs / 1000),
    api: {
      created: records.filter((r) => r.createStatus === 201).length,
      planned: records.length,
      createFailures,
      notQueued: records.filter((r) => r.queued === false).length,
      edits: actions('edit', 200),
      cancels: actions('cancel', 204),
    },
    faults: {
      byKind,
      failedToInject: input.timeline.filter((f) => f.error).length,
      timeline: [...input.timeline],
    },
    unexpectedWorkerExits: [...input.unexpectedExits],
    verdict,
    pass: failures.length === 0,
    failures,
  };
}

export function formatTable(s: ChaosSummary): string {
  const v = s.verdict;
  const list = (map: Record<string, number>) =>
    Object.entries(map).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || '—';
  const ms = (value: number | null) => (value === null ? '—' : `${value} ms`);
  const rows: [string, string][] = [
    ['seed', `${s.seed} (${s.profile}); replay: ${s.replay}`],
    [
      'duration',
      `${s.durationS} s (drain ${s.drainS} s${s.drained ? '' : ', NOT drained within the bound'})`,
    ],
    [
      'posts',
      `${v.posts} in the database (${s.api.created}/${s.api.planned} created with 201; not queued at once: ${s.api.notQueued})`,
    ],
    ['targets', `${v.targets}: ${list(v.targetStatuses)}`],
    ['post statuses', list(v.postStatuses)],
    [
      'edits',
      `${s.api.edits.accepted}/${s.api.edits.sent} accepted (${s.api.edits.racing} racing); refused: ${
        list(s.api.edits.refused)
      }`,
    ],
    [
      'cancels',
      `${s.api.cancels.accepted}/${s.api.cancels.sent} accepted (${s.api.cancels.racing} racing); refused: ${
        list(s.api.cancels.refused)
      }`,
    ],
    [
      'faults',
      `${s.faults.timeline.length}: ${list(s.faults.byKind)}${
        s.faults.failedToInject ? ` (${s.faults.failedToInject} failed to inject)` : ''
      }`,
    ],
    ['copies', `${v.copies} live at the sandbox`],
    ['duplicates', `${v.duplicates} targets (${v.duplicateCopies} extra copies)`],
    ['lost', String(v.lost)],
    ['wrong external id', String(v.wrongExternalId)],
    ['old-version copies', String(v.oldVersionCopies)],
    ['live but failed/cancelled', `${v.liveButFailed} / ${v.liveButCancelled}`],
    ['orphan copies', String(v.orphanCopies)],
    ['non-terminal', `${v.nonTerminalPosts} posts / ${v.nonTerminalTargets} targets`],
    ['API promises broken', `cancels ${v.cancelNotKept}, edits ${v.editNotKept}`],
    [
      'unconfirmed',
      `${v.unconfirmed.total} (really out ${v.unconfirmed.reallyOut} / not out ${v.unconfirmed.notOut})`,
    ],
    [
      'unconfirmed ratio',
      `${
        (v.unconfirmedRatio * 100).toFixed(2)
      } % of ${v.ambiguousSends} sends with an ambiguous outcome (target ≤ ${
        UNCONFIRMED_TARGET_RATIO * 100
      } %)`,
    ],
    ['failed by code', list(v.failedByCode)],
    [
      'lateness p50/p99',
      `${ms(v.lateness.p50Ms)} / ${
        ms(v.lateness.p99Ms)
      } outside fault windows (n=${v.lateness.samples}); all: ${ms(v.latenessAll.p50Ms)} / ${
        ms(v.latenessAll.p99Ms)
      }`,
    ],
    [
      'slowest published',
      v.slowest.map((t) =>
        `post ${t.post} ${t.platform} ${(t.latenessMs / 1000).toFixed(1)} s (attempts ${t.attempts}${
          t.attemptTrail ? `, ${t.attemptTrail}` : ''
        })`
      ).join('; ') || '—',
    ],
    ['altered texts', `${v.alteredTexts} (received text ≠ sent text, informational)`],
    ['unexpected worker exits', exitSummary(s.unexpectedWorkerExits)],
    ['logs', s.logDir],
    ['verdict', s.pass ? 'PASS' : `FAIL: ${s.failures.join('; ')}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, value]) => `${k.padEnd(width)}  ${value}`);
  if (v.violations.length > 0) {
    lines.push('', `violations (${v.violations.length}; first 25):`);
    for (const violation of v.violations.slice(0, 25)) {
      lines.push(
        `  ${violation.kind}: ${violation.detail}${
          violation.faults.length ? `  [faults near: ${violation.faults.join('; ')}]` : '  [no fault near]'
        }`,
      );
    }
  }
  if (v.notes.length > 0) {
    lines.push('', `notes (${v.notes.length}; first 10):`);
    for (const note of v.notes.slice(0, 10)) {
      lines.push(`  ${note.detail}${note.faults.length ? `  [faults near: ${note.faults.join('; ')}]` : ''}`);
    }
  }
  if (s.unexpectedWorkerExits.length > 0) {
    lines.push('', 'workers that exited without a fault (each was started again):');
    for (const exit of s.unexpectedWorkerExits) {
      lines.push(
        `  ${exit.worker} at +${
          ((exit.at - s.startedAt) / 1000).toFixed(1)
        } s (code ${exit.code}, signal ${exit.signal}): ${exit.cause}`,
      );
    }
  }
  return lines.join('\n');
}

/** "3: TypeError … ×2, PostgresError … ×1": the count, then each distinct cause without its location. */
function exitSummary(exits: readonly WorkerExit[]): string {
  if (exits.length === 0) return '0';
  const causes: Record<string, number> = {};
  for (const exit of exits) {
    const cause = exit.cause.replace(/^error: /, '').replace(/ at .*$/, '').replace(/ \(.*\)$/, '');
    causes[cause] = (causes[cause] ?? 0) + 1;
  }
  return `${exits.length}: ${Object.entries(causes).map(([c, n]) => `${c} ×${n}`).join('; ')}`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
