/**
 * The API's log lines (warn and above), kept so that a failing answer can be shown with what the API
 * logged for it: a 500's stack is in the `unexpected error` line that carries its request id.
 */
export interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  err?: { type?: string; message?: string; stack?: string; code?: string };
  [field: string]: unknown;
}

export interface LogBook {
  /** The logger's destination. */
  write(line: string): void;
  /** Lines that named this request id. */
  forRequest(requestId: string): LogLine[];
  /** Every error-level line (pino level ≥ 50). */
  errorCount(): number;
}

/** Lines kept per request id, and request ids remembered: enough for the failures a run reports. */
const MAX_LINES_PER_REQUEST = 5;
const MAX_REQUESTS_KEPT = 5000;

export function createLogBook(): LogBook {
  const byRequest = new Map<string, LogLine[]>();
  let errors = 0;
  return {
    write(text) {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return; // pino writes one JSON object a line; anything else is not ours to read
      }
      if (line.level >= 50) errors++;
      if (typeof line.requestId !== 'string') return;
      const lines = byRequest.get(line.requestId) ?? [];
      if (lines.length < MAX_LINES_PER_REQUEST) lines.push(line);
      byRequest.set(line.requestId, lines);
      if (byRequest.size > MAX_REQUESTS_KEPT) byRequest.delete(byRequest.keys().next().value!);
    },
    forRequest: (requestId) => byRequest.get(requestId) ?? [],
    errorCount: () => errors,
  };
}
