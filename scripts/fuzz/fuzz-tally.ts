/**
 * What a run saw: requests and statuses per operation and per category, latencies, and the oracle
 * violations — all of them counted, grouped into distinct failures (same oracle, operation, status
 * and cause), each kept with its first request and answer so it can be replayed and read.
 */
import type { LogLine } from './log-book.ts';
import type { FuzzRequest } from './fuzz-request.ts';
import type { OracleName, Violation } from './response-oracle.ts';
import { ORACLES } from './response-oracle.ts';
import type { Answer } from './send-request.ts';

export interface Failure extends Violation {
  index: number;
  request: FuzzRequest;
  answer: Answer;
  /** What the API logged for the request (warn and above). */
  logs: LogLine[];
}

export interface DistinctFailure {
  signature: string;
  oracle: OracleName;
  /** The operation of its first request. */
  operation: string;
  /** Every operation it showed on, with how often. */
  operations: Record<string, number>;
  count: number;
  /** Request numbers (the first few). */
  indexes: number[];
  first: Failure;
}

export interface Counts {
  requests: number;
  statuses: Record<string, number>;
  /** Problem codes of the error answers, e.g. `422 content_invalid`. */
  codes: Record<string, number>;
}

export interface FuzzTally {
  seed: number;
  planned: number;
  startedAt: number;
  finishedAt: number | null;
  checksumMs: number;
  latencies: number[];
  operations: Map<string, Counts>;
  categories: Map<string, Counts>;
  statuses: Record<string, number>;
  violations: Record<OracleName, number>;
  distinct: Map<string, DistinctFailure>;
  apiErrorLines: number;
  /** 2xx answers from routes the document does not have, by path. */
  undocumentedRoutes: Record<string, number>;
  undocumented(path: string, status: number): void;
  record(request: FuzzRequest, answer: Answer, failures: Failure[]): void;
  failureCount(): number;
  finish(apiErrorLines: number): void;
}

const INDEXES_KEPT = 10;

export function createTally(seed: number, planned: number): FuzzTally {
  const count = (map: Map<string, Counts>, key: string, status: string, code: string | null) => {
    let counts = map.get(key);
    if (!counts) map.set(key, counts = { requests: 0, statuses: {}, codes: {} });
    counts.requests++;
    counts.statuses[status] = (counts.statuses[status] ?? 0) + 1;
    if (code) counts.codes[`${status} ${code}`] = (counts.codes[`${status} ${code}`] ?? 0) + 1;
  };
  const violations = Object.fromEntries(ORACLES.map((o) => [o, 0])) as Record<OracleName, number>;
  const tally: FuzzTally = {
    seed,
    planned,
    startedAt: Date.now(),
    finishedAt: null,
    checksumMs: 0,
    latencies: [],
    operations: new Map(),
    categories: new Map(),
    statuses: {},
    violations,
    distinct: new Map(),
    apiErrorLines: 0,
    undocumentedRoutes: {},
    undocumented(path, status) {
      const key = `${status} ${path.length > 80 ? `${path.slice(0, 80)}…` : path}`;
      tally.undocumentedRoutes[key] = (tally.undocumentedRoutes[key] ?? 0) + 1;
    },
    record(request, answer, failures) {
      const status = String(answer.status);
      const problemCode = (answer.json as { code?: unknown } | undefined)?.code;
      const code = answer.status >= 400 && typeof problemCode === 'string' ? problemCode : null;
      count(tally.operations, request.op.id, status, code);
      count(tally.categories, request.category, status, code);
      tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
      tally.latencies.push(answer.ms);
      for (const failure of failures) {
        violations[failure.oracle]++;
        const signature = signatureOf(failure);
        const known = tally.distinct.get(signature);
        const opId = failure.request.op.id;
        if (known) {
          known.count++;
          known.operations[opId] = (known.operations[opId] ?? 0) + 1;
          if (known.indexes.length < INDEXES_KEPT) known.indexes.push(failure.index);
        } else {
          tally.distinct.set(signature, {
            signature,
            oracle: failure.oracle,
            operation: opId,
            operations: { [opId]: 1 },
            count: 1,
            indexes: [failure.index],
            first: failure,
          });
        }
      }
    },
    failureCount: () => Object.values(violations).reduce((a, b) => a + b, 0),
    finish(apiErrorLines) {
      tally.finishedAt = Date.now();
      tally.apiErrorLines = apiErrorLines;
    },
  };
  return tally;
}

/**
 * Failures with the same oracle, operation, status, problem code and cause are one failure: for a
 * 500, the cause is the error the API logged; otherwise the violation's detail, with ids and
 * numbers taken out.
 */
function signatureOf(f: Failure): string {
  const code = (f.answer.json as { code?: unknown } | undefined)?.code;
  const codeText = typeof code === 'string' ? code : '-';
  const logged = f.logs.find((l) => l.err)?.err;
  if (f.oracle === 'no-5xx' && logged) {
    // One bug, however many routes it shows on: the error, its message without the values in it,
    // and the first place in src/ it came from.
    const frame = /\bsrc\/[\w/.-]+\.ts/.exec(logged.stack ?? '')?.[0] ?? '';
    // An AppError's code already says what happened (its message names the platform or the value).
    const message = logged.type === 'AppError' ? '' : normalize(logged.message ?? '').slice(0, 60);
    return [f.oracle, f.answer.status, codeText, logged.type ?? 'Error', frame, message].join(' | ');
  }
  const cause = f.oracle === 'unchanged-tables' ? f.detail.replace(/^answered \d+ and /, '') : f.detail;
  return [f.oracle, f.request.op.id, f.answer.status, codeText, normalize(cause)].join(' | ');
}

function normalize(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d+/g, 'N')
    .slice(0, 200);
}
