/**
 * The load generator of `npm run bench -- api`: N keep-alive connections (node:http), each sending
 * its next request as soon as the previous one is answered, for a fixed time. A target makes each
 * request afresh (path and body), so a run can edit or delete a different post every time; a target
 * whose supply runs out ends the run early, and the measurement says so.
 */
import http from 'node:http';

export interface BenchRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface Target {
  port: number;
  /** The next request, or null when the target has nothing left to send (e.g. posts to delete). */
  next(): BenchRequest | null;
}

/** What one run recorded, before it is summarised (runs of the same route can be merged). */
export interface RawRun {
  latenciesMs: number[];
  statuses: Record<string, number>;
  elapsedMs: number;
  /** The target ran out of requests before the time was up. */
  exhausted: boolean;
}

export interface Measurement {
  requests: number;
  /** Answers that were not 2xx, plus requests that got no answer (status "0"). */
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Status codes seen, e.g. { "201": 53000 }. */
  statuses: Record<string, number>;
  /** Seconds measured (shorter than asked when `exhausted`). */
  seconds: number;
  exhausted?: true;
}

function sendOne(agent: http.Agent, port: number, request: BenchRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const { body } = request;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.path,
        agent,
        headers: body === undefined
          ? request.headers
          : { ...request.headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `target` on `connections` connections for `durationMs`, or until `maxRequests` were sent. */
export async function run(
  target: Target,
  connections: number,
  durationMs: number,
  maxRequests = Infinity,
): Promise<RawRun> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  let exhausted = false;
  let sent = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  async function loop(): Promise<void> {
    while (performance.now() < deadline && sent++ < maxRequests) {
      const request = target.next();
      if (request === null) {
        exhausted = true;
        return;
      }
      const t0 = performance.now();
      let status: number;
      try {
        status = await sendOne(agent, target.port, request);
      } catch {
        status = 0;
      }
      latenciesMs.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { latenciesMs, statuses, elapsedMs, exhausted };
}

/** One measurement from one or more runs of the same route (latencies pooled, time added up). */
export function summarize(runs: readonly RawRun[]): Measurement {
  const latencies = runs.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const r of runs) {
    for (const [status, n] of Object.entries(r.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
  }
  const errors = Object.entries(statuses)
    .filter(([status]) => !(Number(status) >= 200 && Number(status) < 300))
    .reduce((sum, [, n]) => sum + n, 0);
  const elapsedS = runs.reduce((sum, r) => sum + r.elapsedMs, 0) / 1000;
  const pick = (q: number) =>
    latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    requests: latencies.length,
    errors,
    requestsPerSecond: round(latencies.length / Math.max(elapsedS, 1e-9)),
    p50Ms: round(pick(0.5)),
    p99Ms: round(pick(0.99)),
    statuses,
    seconds: round(elapsedS),
    ...(runs.some((r) => r.exhausted) ? { exhausted: true as const } : {}),
  };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
