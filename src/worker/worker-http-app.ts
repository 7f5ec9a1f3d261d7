/**
 * The worker's own small HTTP surface (WORKER_HTTP_PORT), a Hono app like the API so each runtime only
 * chooses how to serve it (src/entry/node-worker.ts, deno-worker.ts):
 * - `GET /health`: 200 while the process runs (liveness: restart it when this stops answering);
 * - `GET /ready`: 200 while the worker consumes jobs, else 503 with an RFC 9457 problem
 *   (`code: not_ready`) whose `detail` says what is down and whose `parts` name each part;
 * - `GET /metrics`: Prometheus text (prometheus-metrics.ts), the queue gauges read at scrape time.
 * No route reads or changes posts, and nothing here needs a token: it listens on 127.0.0.1 unless
 * WORKER_HTTP_HOST says otherwise.
 */
import { Hono } from 'hono';
import type { ErrorCode } from '../domain/error-codes.ts';
import { problemJsonResponse } from '../domain/problem-details.ts';
import type { Logger } from '../observability/logger.ts';
import type { PrometheusMetrics, QueueReading } from '../observability/prometheus-metrics.ts';
import type { ReadinessReport, WorkerReadiness } from './worker-readiness.ts';

export interface WorkerHttpDeps {
  readiness: WorkerReadiness;
  metrics: Pick<PrometheusMetrics, 'contentType' | 'render'>;
  /** The queues at this moment; null when Redis did not answer in time (RunningWorker.queueReadings). */
  queueReadings(): Promise<readonly QueueReading[] | null>;
  logger: Logger;
}

export function createWorkerHttpApp(deps: WorkerHttpDeps): Hono {
  const log = deps.logger.child({ component: 'worker-http' });
  const app = new Hono();
  let wasReady: boolean | null = null;

  /** Logs each change of readiness once, with its reasons, rather than every probe. */
  function noteChange(report: ReadinessReport): void {
    if (report.ready === wasReady) return;
    if (report.ready) log.info('worker ready to consume');
    else if (report.shuttingDown) log.info({ problems: report.problems }, 'worker not ready: shutting down');
    else log.warn({ problems: report.problems, parts: report.parts }, 'worker not ready');
    wasReady = report.ready;
  }

  app.get('/health', (c) => c.json({ status: 'ok' }, 200));

  app.get('/ready', async () => {
    const report = await deps.readiness.check();
    noteChange(report);
    if (report.ready) return Response.json({ status: 'ready', parts: report.parts }, { status: 200 });
    return problem(503, 'not_ready', report.problems.join('; '), {
      parts: report.parts,
      shuttingDown: report.shuttingDown,
    }, { 'retry-after': '5' });
  });

  app.get('/metrics', async () => {
    const [report, queues] = await Promise.all([deps.readiness.check(), deps.queueReadings()]);
    noteChange(report);
    const body = await deps.metrics.render({ queues, ready: report.ready, parts: report.parts });
    return new Response(body, { status: 200, headers: { 'content-type': deps.metrics.contentType } });
  });

  app.notFound((c) =>
    problem(
      404,
      'route_not_found',
      `no route ${c.req.method} ${new URL(c.req.url).pathname}; ` +
        'this server answers GET /health, /ready and /metrics',
    )
  );
  app.onError((err) => {
    log.error({ err }, 'worker http request failed');
    return problem(500, 'internal', 'the request failed unexpectedly; see the worker log');
  });
  return app;
}

/** An RFC 9457 problem in the shape the API answers with (src/domain/problem-details.ts). */
function problem(
  status: number,
  code: ErrorCode,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return problemJsonResponse(status, code, { detail, ...extra }, headers);
}
