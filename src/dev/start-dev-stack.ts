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
 * - The API answers at `<apiUrl>/posts…` and, like the Supabase gateway, at `<apiUrl>/functions/v1/…`.
 *
 * Runtime-neutral apart from @hono/node-server (which Deno runs too): `src/entry/node-dev.ts` adds the
 * Redis check, the banner and signals; the integration tests start it in-process on free ports.
 * The caller provides a reachable Redis (`redisUrl`); see private-redis.ts.
 */
import type { Config } from '../config/load-config.ts';
import { loadConfig } from '../config/load-config.ts';
import type { Logger } from '../observability/logger.ts';
import { buildApi } from '../app/build-api.ts';
import type { BuiltApi } from '../app/build-api.ts';
import { createServices } from '../app/create-services.ts';
import { startNotifications } from '../app/start-notifications.ts';
import { PLATFORMS } from '../domain/platform.ts';
import type { RunningSandbox } from '../sandbox/start-sandbox.ts';
import { startSandbox } from '../sandbox/start-sandbox.ts';
import type { PostStore } from '../store/post-store.ts';
import { startWorker } from '../worker/start-worker.ts';
import type { RunningWorker } from '../worker/start-worker.ts';
import type { DemoAccounts } from './demo-accounts.ts';
import { connectDemoAccounts } from './demo-accounts.ts';
import { createDevToken, DEV_ONLY_JWT_SECRET, DEV_USER_ID } from './dev-auth.ts';
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
  'OAUTH_REDIRECT_BASE_URL',
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

    // Listen first, so the API's own URL is known when its configuration is built.
    let api: BuiltApi | null = null;
    const server: HttpServer = await serveHttp(
      (request) => api ? api.fetch(request) : new Response('starting', { status: 503 }),
      { port: options.apiPort ?? 0, hostname },
    );
    cleanup.push(() => server.close());

    const config = loadConfig(devEnvironment(env, {
      redisUrl: options.redisUrl ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      queuePrefix: options.queuePrefix ?? env.QUEUE_PREFIX ?? DEFAULT_DEV_QUEUE_PREFIX,
      apiUrl: server.url,
      sandbox,
    }));

    const services = createServices(config, { logger: options.logger, memoryStatusFeed: true });
    cleanup.push(() => services.close());
    const store = await services.postStore();
    const accounts = await connectDemoAccounts(store, sandbox.sandbox, userId);

    api = await buildApi(services);

    // Deliveries first, so the worker's first status change already has someone to deliver it.
    const notifications = await startNotifications(services);
    cleanup.push(() => notifications.close());
    const worker = await startWorker(config, {
      store,
      publishers: await services.publishers(),
      tokens: await services.tokens(),
      logger: options.logger,
    });
    cleanup.push(() => worker.close());

    log.info(
      { apiUrl: server.url, sandboxUrl: sandbox.url, queuePrefix: config.queuePrefix, userId },
      'dev stack ready',
    );
    let closing: Promise<void> | null = null;
    return {
      apiUrl: server.url,
      sandboxUrl: sandbox.url,
      sampleMediaUrl: `${sandbox.url}/_sandbox/media/sample.jpg`,
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
    X_API_BASE_URL: `${url}/x`,
    INSTAGRAM_API_BASE_URL: `${url}/instagram`,
    LINKEDIN_API_BASE_URL: `${url}/linkedin`,
    LINKEDIN_OAUTH_BASE_URL: `${url}/linkedin`,
    MEDIA_ALLOW_PRIVATE_HOSTS: 'true',
    OAUTH_REDIRECT_BASE_URL: parts.apiUrl,
  };
}
