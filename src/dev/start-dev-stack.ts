/**
 * The dev stack: the sandbox platforms, the in-memory store, the HTTP API, the publishing worker and
 * the notifications in one process, wired so a post scheduled through the API really goes out on the
 * sandbox. Apart from the memory store and the sandbox it is built like production, from the same
 * services (src/app/create-services.ts): the refresh lock, in-app notifications (GET /notifications)
 * and signed webhooks to the creator's endpoints. The memory store stands in for the database's
 * status trigger (src/app/memory-status-feed.ts).
 *
 * - The sandbox serves X, Instagram and LinkedIn under `<sandboxUrl>/x|instagram|linkedin` and a page
 *   at `<sandboxUrl>/` showing what each platform received; the worker's platform base URLs point
 *   there, MEDIA_ALLOW_PRIVATE_HOSTS is on (media comes from `<sandboxUrl>/_sandbox/media/…`), and the
 *   sandbox accepts http media URLs for Instagram.
 * - A demo creator (DEV_USER_ID) has one sandbox account per platform, with tokens the sandbox's token
 *   registry issued; the API verifies HS256 tokens signed with DEV_ONLY_JWT_SECRET (dev-auth.ts).
 * - The API answers at `<apiUrl>/posts…` and, like the Supabase gateway, at `<apiUrl>/functions/v1/…`,
 *   served as the Node API server serves it (src/app/build-api-server.ts): its /reference page with
 *   Scalar from the installed package, and the queue dashboard at `<apiUrl>/admin/queues`, signed in
 *   with `adminToken()` (a service-role token signed with the dev-only secret) or ADMIN_TOKEN.
 * - `<apiUrl>/dev/connect` and the app return page `<apiUrl>/dev/oauth-return/<platform>`
 *   (OAUTH_APP_RETURN_URL) stand in for the creator app, so the OAuth connect flow runs end to end:
 *   sandbox consent page → app return page → POST /accounts/:platform/callback (dev-connect-pages.ts).
 *
 * Runtime-neutral apart from @hono/node-server (which Deno runs too): `src/entry/node-dev.ts` adds the
 * Redis check, the banner and signals; the integration tests start it in-process on free ports.
 * The caller provides a reachable Redis (`redisUrl`); see private-redis.ts.
 */
import type { Config } from '../config/load-config.ts';
import { loadConfig } from '../config/load-config.ts';
import type { Logger } from '../observability/logger.ts';
import { buildApiServer } from '../app/build-api-server.ts';
import type { ApiServer } from '../app/build-api-server.ts';
import { QUEUE_DASHBOARD_PATH } from '../app/admin-queue-dashboard.ts';
import { createServices } from '../app/create-services.ts';
import { startNotifications } from '../app/start-notifications.ts';
import { PLATFORMS } from '../domain/platform.ts';
import type { RunningSandbox } from '../sandbox/start-sandbox.ts';
import { CONSENT_PAGE_SETTING } from '../sandbox/sandbox-consent-page.ts';
import { startSandbox } from '../sandbox/start-sandbox.ts';
import type { PostStore } from '../store/post-store.ts';
import { DELIVERY_QUEUE } from '../notify/delivery-queue.ts';
import { createPrometheusMetrics } from '../observability/prometheus-metrics.ts';
import { startWorker } from '../worker/start-worker.ts';
import type { RunningWorker } from '../worker/start-worker.ts';
import { createWorkerHttpApp } from '../worker/worker-http-app.ts';
import { createWorkerReadiness } from '../worker/worker-readiness.ts';
import type { DemoAccounts } from './demo-accounts.ts';
import { connectDemoAccounts } from './demo-accounts.ts';
import { createDevConnectPages, DEV_CONNECT_PATH, DEV_OAUTH_RETURN_PATH } from './dev-connect-pages.ts';
import type { DevConnectPages } from './dev-connect-pages.ts';
import {
  createDevServiceRoleToken,
  createDevToken,
  DEV_ONLY_JWT_SECRET,
  DEV_SUPABASE_URL,
  DEV_USER_ID,
} from './dev-auth.ts';
import type { DevTokenOptions } from './dev-auth.ts';
import type { HttpServer } from './serve-http.ts';
import { serveHttp } from './serve-http.ts';

export const DEFAULT_DEV_QUEUE_PREFIX = 'solospark-dev';

/** Variables the dev stack sets itself; values from the environment are ignored. */
const OWNED_VARIABLES = [
  'DATABASE_URL',
  'DIRECT_URL',
  'USE_MOCK_DB',
  'SUPABASE_URL',
  'SUPABASE_JWKS',
  'SUPABASE_JWT_SECRET',
  'X_API_BASE_URL',
  'INSTAGRAM_API_BASE_URL',
  'LINKEDIN_API_BASE_URL',
  'LINKEDIN_OAUTH_BASE_URL',
  'MEDIA_ALLOW_PRIVATE_HOSTS',
  'OAUTH_APP_RETURN_URL',
  'PORT',
] as const;

export interface DevStackOptions {
  /**
   * Other settings (LOG_LEVEL, WORKER_*, PUBLISH_*, CORS_ORIGINS, …) as environment variables. The
   * database, auth and platform variables are the dev stack's own (OWNED_VARIABLES). (Default: {})
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** A Redis that answers. (Default: env.REDIS_URL, else redis://127.0.0.1:6379) */
  redisUrl?: string;
  /** (Default: env.QUEUE_PREFIX, else 'solospark-dev') */
  queuePrefix?: string;
  /** (Default: 0, a free port) */
  apiPort?: number;
  /** (Default: 0, a free port) */
  sandboxPort?: number;
  /** The worker's /health, /ready and /metrics. (Default: WORKER_HTTP_PORT, else 0, a free port) */
  workerHttpPort?: number;
  /** Interface both servers listen on. (Default: 127.0.0.1) */
  hostname?: string;
  logger: Logger;
  /** The demo creator. (Default: DEV_USER_ID) */
  userId?: string;
}

export interface DevStack {
  /** The API root, e.g. http://127.0.0.1:8787; also the Supabase URL for supabase-js. */
  apiUrl: string;
  /** The sandbox platforms and their page, e.g. http://127.0.0.1:4010 */
  sandboxUrl: string;
  /** A JPEG the sandbox serves, usable as post media on every platform. */
  sampleMediaUrl: string;
  /** The stand-in app's page that connects sandbox accounts through OAuth (`<apiUrl>/dev/connect`). */
  connectUrl: string;
  /** The queue dashboard (`<apiUrl>/admin/queues`); `adminToken()` signs in. */
  dashboardUrl: string;
  /** The worker's HTTP endpoint: `<workerHttpUrl>/health`, `/ready` and `/metrics`. */
  workerHttpUrl: string;
  /**
   * The dashboard's credential: a service-role token signed with the dev-only secret (valid 7 days).
   * ADMIN_TOKEN, when set in `env`, works too.
   */
  adminToken(): Promise<string>;
  userId: string;
  accounts: DemoAccounts;
  config: Config;
  store: PostStore;
  sandbox: RunningSandbox;
  worker: RunningWorker;
  /** A dev token for the demo creator (or `options.userId`). */
  token(options?: DevTokenOptions): Promise<string>;
  /**
   * Stops the API, the worker (gracefully), the notifications, the services (store, Redis) and the
   * sandbox. Idempotent.
   */
  close(): Promise<void>;
}

export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const env = options.env ?? {};
  const hostname = options.hostname ?? '127.0.0.1';
  const userId = options.userId ?? DEV_USER_ID;
  const log = options.logger.child({ component: 'dev-stack' });
  const cleanup: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    const errors: unknown[] = [];
    for (const step of cleanup.splice(0).reverse()) await step().catch((err) => errors.push(err));
    if (errors.length > 0) throw new AggregateError(errors, 'the dev stack did not close cleanly');
  };

  try {
    const sandbox = await startSandbox({ port: options.sandboxPort ?? 0, hostname });
    cleanup.push(() => sandbox.close());
    // Instagram fetches media by URL and normally refuses http; the sandbox's samples are http.
    sandbox.sandbox.knobs.setSettings({ 'instagram.requireHttps': false });
    // Connecting through OAuth shows the sandbox's consent page, as a platform would.
    sandbox.sandbox.knobs.setSettings({ [CONSENT_PAGE_SETTING]: true });

    // Listen first, so the API's own URL is known when its configuration is built.
    let api: ApiServer | null = null;
    let connectPages: DevConnectPages | null = null;
    const server: HttpServer = await serveHttp(
      (request) => {
        if (!api || !connectPages) return new Response('starting', { status: 503 });
        return connectPages.handles(new URL(request.url).pathname)
          ? connectPages.fetch(request)
          : api.fetch(request);
      },
      { port: options.apiPort ?? 0, hostname },
    );
    cleanup.push(() => server.close());

    const config = loadConfig(
      devEnvironment(env, {
        redisUrl: options.redisUrl ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        queuePrefix: options.queuePrefix ?? env.QUEUE_PREFIX ?? DEFAULT_DEV_QUEUE_PREFIX,
        apiUrl: server.url,
        sandbox,
      }),
      { allowDevJwtSecret: true },
    );

    const services = createServices(config, { logger: options.logger, memoryStatusFeed: true });
    cleanup.push(() => services.close());
    const store = await services.postStore();
    const accounts = await connectDemoAccounts(store, sandbox.sandbox, userId);

    const builtApi = await buildApiServer(services);
    cleanup.push(() => builtApi.close());
    connectPages = createDevConnectPages({
      apiUrl: server.url,
      apiFetch: (request) => builtApi.fetch(request),
      token: () => createDevToken({ userId }),
    });
    api = builtApi;

    // The worker's endpoint as in production (run-worker.ts), always on here.
    const metrics = createPrometheusMetrics();
    let running: RunningWorker | null = null;
    const readiness = createWorkerReadiness({
      health: () => running?.health() ?? null,
      pingDatabase: () => store.ping(),
    });
    const workerApp = createWorkerHttpApp({
      readiness,
      metrics,
      queueReadings: async () => (await running?.queueReadings()) ?? null,
      logger: options.logger,
    });
    const workerHttp = await serveHttp((request) => workerApp.fetch(request), {
      port: options.workerHttpPort ?? config.workerHttp.port ?? 0,
      hostname,
    });
    cleanup.push(() => workerHttp.close());

    // Deliveries first, so the worker's first status change already has someone to deliver it.
    const notifications = await startNotifications(services, { metrics });
    cleanup.push(() => notifications.close());
    const tokens = await services.tokens();
    tokens.onRefresh(({ platform, outcome }) => metrics.tokenRefresh(platform, outcome));
    const worker = await startWorker(config, {
      store,
      publishers: await services.publishers(),
      tokens,
      logger: options.logger,
      metrics,
      observedQueues: [DELIVERY_QUEUE],
    });
    running = worker;
    cleanup.push(() => worker.close());
    // Registered last, so it runs first on close: /ready answers 503 before anything stops.
    cleanup.push(() => Promise.resolve(readiness.beginShutdown()));

    log.info(
      { apiUrl: server.url, sandboxUrl: sandbox.url, queuePrefix: config.queuePrefix, userId },
      'dev stack ready',
    );
    let closing: Promise<void> | null = null;
    return {
      apiUrl: server.url,
      sandboxUrl: sandbox.url,
      sampleMediaUrl: `${sandbox.url}/_sandbox/media/sample.jpg`,
      connectUrl: `${server.url}${DEV_CONNECT_PATH}`,
      dashboardUrl: `${server.url}${QUEUE_DASHBOARD_PATH}`,
      workerHttpUrl: workerHttp.url,
      adminToken: () => createDevServiceRoleToken(),
      userId,
      accounts,
      config,
      store,
      sandbox,
      worker,
      token: (tokenOptions = {}) => createDevToken({ userId, ...tokenOptions }),
      close() {
        // Stop taking requests first; the rest closes in reverse order of start.
        closing ??= server.close().catch(() => {}).then(closeAll);
        return closing;
      },
    };
  } catch (err) {
    await closeAll().catch(() => {});
    throw err;
  }
}

/** The environment the dev stack's Config is loaded from: the caller's settings plus its own. */
function devEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  parts: { redisUrl: string; queuePrefix: string; apiUrl: string; sandbox: RunningSandbox },
): Record<string, string | undefined> {
  const own = new Set<string>(OWNED_VARIABLES);
  const kept = Object.fromEntries(Object.entries(env).filter(([name]) => !own.has(name)));
  const { url } = parts.sandbox;
  const knobs = parts.sandbox.sandbox.knobs;
  const clients = Object.fromEntries(
    PLATFORMS.flatMap((platform) => {
      const client = knobs.client(platform);
      const name = platform.toUpperCase();
      return [[`${name}_CLIENT_ID`, client.clientId], [`${name}_CLIENT_SECRET`, client.clientSecret]];
    }),
  );
  return {
    ...kept,
    ...clients,
    REDIS_URL: parts.redisUrl,
    QUEUE_PREFIX: parts.queuePrefix,
    USE_MOCK_DB: 'true',
    SUPABASE_JWT_SECRET: DEV_ONLY_JWT_SECRET,
    SUPABASE_URL: DEV_SUPABASE_URL,
    X_API_BASE_URL: `${url}/x`,
    INSTAGRAM_API_BASE_URL: `${url}/instagram`,
    LINKEDIN_API_BASE_URL: `${url}/linkedin`,
    LINKEDIN_OAUTH_BASE_URL: `${url}/linkedin`,
    MEDIA_ALLOW_PRIVATE_HOSTS: 'true',
    OAUTH_APP_RETURN_URL: `${parts.apiUrl}${DEV_OAUTH_RETURN_PATH}`,
  };
}
