/**
 * The worker process, minus the runtime: node-worker.ts and deno-worker.ts pass in the environment,
 * signal registration, exit and stderr; everything else is here, so `npm run worker`,
 * `npm run worker:dev` and `deno task worker` run the same code.
 *
 * Exit codes: 0 after a clean shutdown; 1 when start-up fails or shutdown overran
 * SHUTDOWN_TIMEOUT_MS (the reason goes to stderr); 2 for a bad configuration (the message lists every
 * problem, no stack trace); 130 when a second signal cut the shutdown short; 1 after an uncaught
 * error (the worker shuts down gracefully first, so a supervisor restarts a clean process).
 *
 * With WORKER_HTTP_PORT set, the worker's /health, /ready and /metrics (src/worker/worker-http-app.ts)
 * listen from the start: /ready answers 503 while starting, 200 once consuming, and 503 again from the
 * first signal on, while active publishes finish. Once ready, the runtime is told (`notifyReady`: PM2's
 * `wait_ready` under Node).
 */
import { ConfigError, loadConfig } from '../config/load-config.ts';
import type { Config } from '../config/load-config.ts';
import { createServices } from '../app/create-services.ts';
import type { Services } from '../app/create-services.ts';
import { startNotifications } from '../app/start-notifications.ts';
import type { NotificationServices } from '../app/start-notifications.ts';
import { createLogger } from '../observability/logger.ts';
import type { Logger } from '../observability/logger.ts';
import { DELIVERY_QUEUE } from '../notify/delivery-queue.ts';
import { createPrometheusMetrics } from '../observability/prometheus-metrics.ts';
import type { PublisherRegistry } from '../platforms/registry.ts';
import type { PostStore } from '../store/post-store.ts';
import { ABORT_GRACE_MS, startWorker } from '../worker/start-worker.ts';
import type { RunningWorker } from '../worker/start-worker.ts';
import { createWorkerHttpApp } from '../worker/worker-http-app.ts';
import { createWorkerReadiness } from '../worker/worker-readiness.ts';
import type { WorkerReadiness } from '../worker/worker-readiness.ts';

export type ShutdownSignal = 'SIGINT' | 'SIGTERM';

/** A listening HTTP server of the runtime's. */
export interface ServedHttp {
  /** The port it listens on (the one chosen when asked for 0). */
  port: number;
  /** Stops listening; requests in flight may finish. */
  close(): Promise<void>;
}

export interface WorkerRuntime {
  env: Readonly<Record<string, string | undefined>>;
  onSignal(handler: (signal: ShutdownSignal) => void): void;
  exit(code: number): void;
  writeStderr(text: string): void;
  /** Registers the handler of errors nothing caught (Node `uncaughtException`, Deno `error`). */
  onUncaughtError?(handler: (err: unknown) => void): void;
  /**
   * The fetch platform adapters use. (Default: global fetch) Deno's pooled fetch re-sends a request
   * when a reused connection closes before the answer, which would publish twice: deno-worker.ts
   * passes one without connection reuse.
   */
  fetch?: typeof fetch;
  /**
   * Serves the worker's HTTP app (WORKER_HTTP_PORT) with the runtime's server; rejects when it cannot
   * listen. Without it, WORKER_HTTP_PORT is refused at start-up.
   */
  serveHttp?(
    fetch: (request: Request) => Response | Promise<Response>,
    options: { hostname: string; port: number },
  ): Promise<ServedHttp>;
  /** Called once the worker consumes (Node under PM2: `process.send('ready')` for `wait_ready`). */
  notifyReady?(): void;
}

export interface RunWorkerOptions {
  /** Builds the platform publishers. (Default: createPublishers(config), the real adapters) */
  createPublishers?: (config: Config) => PublisherRegistry;
}

/** On top of SHUTDOWN_TIMEOUT_MS and the abort grace: a last resort if closing itself hangs. */
const WATCHDOG_MARGIN_MS = 10_000;

export async function runWorker(runtime: WorkerRuntime, options: RunWorkerOptions = {}): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(runtime.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      runtime.writeStderr(`${err.message}\n`);
      runtime.exit(2);
      return;
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, name: 'solospark-worker' });
  const metrics = createPrometheusMetrics();
  let worker: RunningWorker | null = null;
  let store: PostStore | null = null;
  const readiness = createWorkerReadiness({
    health: () => worker?.health() ?? null,
    pingDatabase: () => store!.ping(),
  });

  // First, so a port in use fails before anything connects, and /health answers during start-up.
  let http: ServedHttp | null = null;
  try {
    http = await serveWorkerHttp(config, runtime, readiness, metrics, () => worker, logger);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal({ err: message }, 'worker http server failed to start');
    runtime.writeStderr(`worker failed to start: ${message}\n`);
    runtime.exit(1);
    return;
  }

  // Built once for the process: one Postgres pool, the refresh lock, the notification pipeline.
  const services = createServices(config, {
    logger,
    name: 'solospark-worker',
    ...(runtime.fetch ? { fetch: runtime.fetch } : {}),
    ...(options.createPublishers ? { createPublishers: options.createPublishers } : {}),
  });
  let notifications: NotificationServices | null = null;
  let shuttingDown: Promise<void> | null = null;
  const parts = () => ({ worker, notifications, services, http });

  runtime.onSignal((signal) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting at once without waiting for active publishes');
      runtime.writeStderr(`second ${signal}: exiting at once; active publishes were cut short\n`);
      runtime.exit(130);
      return;
    }
    logger.info({ signal }, 'signal received; shutting down gracefully (send it again to exit at once)');
    readiness.beginShutdown();
    shuttingDown = shutDown(config, logger, parts, runtime);
  });

  runtime.onUncaughtError?.((err) => {
    const driver = isDriverWriteAfterClose(err);
    logger.error(
      { err, code: driver ? 'database_connection_lost' : 'internal' },
      driver
        ? 'the database driver wrote to a connection that had closed (postgres.js issue 1208); ' +
          'shutting down so a clean process takes over'
        : 'uncaught error; shutting down gracefully',
    );
    if (shuttingDown) return;
    readiness.beginShutdown();
    if (!worker) {
      runtime.writeStderr(`worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
      runtime.exit(1);
      return;
    }
    shuttingDown = shutDown(config, logger, parts, runtime, 1);
  });

  try {
    const postStore = await services.postStore();
    await postStore.ping().catch((cause) => {
      throw new Error(
        `cannot reach the database (${cause instanceof Error ? cause.message : String(cause)}); ` +
          'start Postgres or fix DATABASE_URL, or set USE_MOCK_DB=true for the in-memory store',
        { cause },
      );
    });
    store = postStore;
    const tokens = await services.tokens();
    tokens.onRefresh(({ platform, outcome }) => metrics.tokenRefresh(platform, outcome));
    worker = await startWorker(config, {
      store: postStore,
      publishers: await services.publishers(),
      tokens,
      logger,
      metrics,
      observedQueues: config.notify.delivery ? [DELIVERY_QUEUE] : [],
    });
    notifications = await startNotifications(services, { metrics });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal({ err }, 'worker failed to start');
    runtime.writeStderr(`worker failed to start: ${message}\n`);
    await worker?.close().catch(() => {});
    await services.close().catch(() => {});
    await http?.close().catch(() => {});
    runtime.exit(1);
    return;
  }
  // A signal during start-up began shutting down with what existed then; finish with the worker too.
  if (shuttingDown) {
    await shuttingDown;
    shuttingDown = shutDown(config, logger, parts, runtime);
    return;
  }
  runtime.notifyReady?.();
}

/** Starts the worker's HTTP server when WORKER_HTTP_PORT is set; null when it is not. */
async function serveWorkerHttp(
  config: Config,
  runtime: WorkerRuntime,
  readiness: WorkerReadiness,
  metrics: ReturnType<typeof createPrometheusMetrics>,
  currentWorker: () => RunningWorker | null,
  logger: Logger,
): Promise<ServedHttp | null> {
  const { port, host } = config.workerHttp;
  if (port === null) return null;
  if (!runtime.serveHttp) {
    throw new Error('WORKER_HTTP_PORT is set, but this runtime entry cannot serve HTTP; unset it');
  }
  const app = createWorkerHttpApp({
    readiness,
    metrics,
    queueReadings: async () => (await currentWorker()?.queueReadings()) ?? null,
    logger,
  });
  let served: ServedHttp;
  try {
    served = await runtime.serveHttp((request) => app.fetch(request), { hostname: host, port });
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      `cannot listen on ${host}:${port} for WORKER_HTTP_PORT (${why}); pick a free port or set WORKER_HTTP_HOST`,
      { cause },
    );
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  logger.info(
    { port: served.port, url: `http://${shownHost}:${served.port}` },
    'worker http listening (/health, /ready, /metrics)',
  );
  return served;
}

async function shutDown(
  config: Config,
  logger: Logger,
  parts: () => {
    worker: RunningWorker | null;
    notifications: NotificationServices | null;
    services: Services;
    http: ServedHttp | null;
  },
  runtime: WorkerRuntime,
  /** 1 when the shutdown follows an uncaught error. */
  baseExitCode = 0,
): Promise<void> {
  const { worker, notifications, services, http } = parts();
  if (!worker) return; // still starting: runWorker calls again once it has the worker
  const watchdogMs = config.worker.shutdownTimeoutMs + ABORT_GRACE_MS + WATCHDOG_MARGIN_MS;
  const watchdog = setTimeout(() => {
    logger.error({ watchdogMs }, 'shutdown hung; exiting');
    runtime.writeStderr(`shutdown did not finish within ${watchdogMs} ms; exiting\n`);
    runtime.exit(1);
  }, watchdogMs);
  let code = baseExitCode;
  try {
    await worker.close();
  } catch (err) {
    code = 1;
    const message = err instanceof Error ? err.message : String(err);
    logger.error({ err: message }, 'shutdown overran');
    runtime.writeStderr(`shutdown overran: ${message}\n`);
  }
  try {
    await notifications?.close();
  } catch (err) {
    code = 1;
    logger.error({ err }, 'closing notification services failed');
  }
  try {
    await services.close();
  } catch (err) {
    code = 1;
    logger.error({ err }, 'closing the store and connections failed');
  }
  // Last: /ready kept answering 503 while the rest closed.
  await http?.close().catch((err) => logger.warn({ err }, 'closing the worker http server failed'));
  clearTimeout(watchdog);
  logger.info({ exitCode: code }, 'shutdown complete');
  runtime.exit(code);
}

/**
 * postgres.js 3.4.9 can throw from a `setImmediate` after a connection closed under a pending write
 * (github.com/porsager/postgres/issues/1208): no caller can catch it, and that connection never
 * flushes again, so the process must not carry on with it.
 */
export function isDriverWriteAfterClose(err: unknown): boolean {
  // Node: a TypeError (the socket is null); Deno: "This socket has been ended by the other party".
  const stack = err instanceof Error ? err.stack ?? '' : '';
  return /nextWrite/.test(stack) && /postgres[\\/]src[\\/]connection\.js/.test(stack);
}
