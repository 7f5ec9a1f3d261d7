/**
 * The run's result: a JSON summary (with --json, and always written next to the run's files) and
 * the short table people read — requests and statuses per operation, the status distribution, each
 * oracle's count, and every distinct failure with the request that first showed it and the command
 * that replays the run.
 */
import type { FuzzRequest } from './fuzz-request.ts';
import type { Counts, DistinctFailure, FuzzTally } from './fuzz-tally.ts';
import { replayCommand } from './fuzz-options.ts';

export interface FuzzSummary {
  seed: number;
  requests: number;
  replay: string;
  durationS: number;
  /** Time spent checksumming the tables. */
  checksumS: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  statuses: Record<string, number>;
  operations: Record<string, Counts>;
  categories: Record<string, Counts>;
  violations: Record<string, number>;
  /** Error lines the API logged (an unexpected error is logged once per 500). */
  apiErrorLines: number;
  /** 2xx answers from routes outside the document (not judged), by status and path. */
  undocumentedRoutes: Record<string, number>;
  distinctFailures: ReportedFailure[];
  pass: boolean;
}

export interface ReportedFailure {
  oracle: string;
  operation: string;
  operations: Record<string, number>;
  count: number;
  signature: string;
  /** Request numbers that showed it (the first few). */
  requests: number[];
  request: {
    index: number;
    category: string;
    variant: string;
    method: string;
    path: string;
    headers: Record<string, string>;
    body: string | null;
    bodyBytes: number;
  };
  answer: { status: number; contentType: string | null; body: string };
  detail: string;
  logged: string[];
}

const EXCERPT = 600;

export function summarize(tally: FuzzTally): FuzzSummary {
  const sorted = [...tally.latencies].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  const requests = tally.latencies.length;
  const distinct = [...tally.distinct.values()].sort((a, b) =>
    a.oracle.localeCompare(b.oracle) || b.count - a.count
  );
  return {
    seed: tally.seed,
    requests,
    replay: replayCommand({ requests: tally.planned, seed: tally.seed }),
    durationS: round(((tally.finishedAt ?? Date.now()) - tally.startedAt) / 1000),
    checksumS: round(tally.checksumMs / 1000),
    latencyMs: { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round(sorted[sorted.length - 1] ?? 0) },
    statuses: sortKeys(tally.statuses),
    operations: Object.fromEntries([...tally.operations].sort(([a], [b]) => a.localeCompare(b))),
    categories: Object.fromEntries(tally.categories),
    violations: tally.violations,
    apiErrorLines: tally.apiErrorLines,
    undocumentedRoutes: tally.undocumentedRoutes,
    distinctFailures: distinct.map(report),
    pass: tally.failureCount() === 0 && requests === tally.planned,
  };
}

function report(d: DistinctFailure): ReportedFailure {
  const { request, answer } = d.first;
  return {
    oracle: d.oracle,
    operation: d.operation,
    operations: d.operations,
    count: d.count,
    signature: d.signature,
    requests: d.indexes,
    request: describeRequest(request),
    answer: { status: answer.status, contentType: answer.contentType, body: answer.text.slice(0, EXCERPT) },
    detail: d.first.detail,
    logged: d.first.logs.map((l) =>
      [l.msg, l.err?.type, l.err?.message, l.err?.stack?.split('\n').slice(1, 4).join(' ')].filter(Boolean)
        .join(' — ')
    ),
  };
}

function describeRequest(r: FuzzRequest): ReportedFailure['request'] {
  const headers = { ...r.headers };
  // A token is long and says nothing by itself: name its kind (the run's tokens die with it).
  if (headers.authorization !== undefined) headers.authorization = `<${r.tokenKind} token>`;
  const body = r.body === null ? null : typeof r.body === 'string' ? r.body : `bytes: ${hex(r.body)}`;
  return {
    index: r.index,
    category: r.category,
    variant: r.variant,
    method: r.method,
    path: r.path.length > EXCERPT ? `${r.path.slice(0, EXCERPT)}…` : r.path,
    headers,
    body: body === null ? null : body.length > EXCERPT ? `${body.slice(0, EXCERPT)}…` : body,
    bodyBytes: r.body === null
      ? 0
      : typeof r.body === 'string'
      ? new TextEncoder().encode(r.body).length
      : r.body.length,
  };
}

function hex(bytes: Uint8Array): string {
  return [...bytes.slice(0, 200)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function formatTable(s: FuzzSummary): string {
  const list = (map: Record<string, number>) =>
    Object.entries(map).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}:${n}`).join(' ');
  const lines: string[] = [];
  lines.push(`fuzz: ${s.requests} requests in ${s.durationS} s (checksums ${s.checksumS} s); seed ${s.seed}`);
  lines.push(
    `latency ms: p50 ${s.latencyMs.p50}, p95 ${s.latencyMs.p95}, p99 ${s.latencyMs.p99}, max ${s.latencyMs.max}`,
  );
  lines.push(`statuses: ${list(s.statuses)}`);
  lines.push('');
  const width = Math.max(...Object.keys(s.operations).map((k) => k.length), 9);
  lines.push(`${'operation'.padEnd(width)}  requests  statuses`);
  for (const [op, counts] of Object.entries(s.operations)) {
    lines.push(`${op.padEnd(width)}  ${String(counts.requests).padStart(8)}  ${list(counts.statuses)}`);
  }
  lines.push('');
  lines.push(`by category: ${Object.entries(s.categories).map(([c, n]) => `${c} ${n.requests}`).join(', ')}`);
  const undocumented = Object.entries(s.undocumentedRoutes);
  if (undocumented.length > 0) {
    lines.push(
      `2xx outside the document (not judged): ${undocumented.map(([k, n]) => `${k} ×${n}`).join(', ')}`,
    );
  }
  lines.push(
    `oracles: ${
      Object.entries(s.violations).map(([o, n]) => `${o} ${n === 0 ? 'ok' : `${n} violations`}`).join(', ')
    }`,
  );
  if (s.distinctFailures.length > 0) {
    lines.push('');
    lines.push(`${s.distinctFailures.length} distinct failures:`);
    s.distinctFailures.forEach((f, i) => {
      const r = f.request;
      const ops = Object.keys(f.operations);
      const where = ops.length === 1 ? f.operation : `${ops.length} operations, first ${f.operation}`;
      lines.push(
        `${
          String(i + 1).padStart(3)
        }. [${f.oracle}] ${where} → ${f.answer.status} ×${f.count} (first: request #${r.index}, ${r.variant})`,
      );
      lines.push(`     ${r.method} ${r.path.slice(0, 160)}`);
      if (r.body !== null) {
        lines.push(`     body (${r.bodyBytes} B): ${r.body.slice(0, 160).replace(/\n/g, '\\n')}`);
      }
      lines.push(`     ${f.detail.slice(0, 200)}`);
      if (f.logged[0]) lines.push(`     logged: ${f.logged[0].slice(0, 240)}`);
    });
  }
  lines.push('');
  lines.push(s.pass ? 'PASS: every oracle held' : `FAIL — replay: ${s.replay}`);
  return lines.join('\n');
}

function sortKeys(map: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => a.localeCompare(b)));
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
