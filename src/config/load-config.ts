/**
 * Parses the environment once, at start-up, into a frozen Config. Pure: the entry passes
 * `process.env` or `Deno.env.toObject()`. A bad environment throws ConfigError listing every problem.
 */
import { AppError } from '../domain/error-codes.ts';
import { configSchema, decodeBase64 } from './config-schema.ts';
import type { ClusterNodes } from './config-vars.ts';
import { DEV_ONLY_JWT_SECRET } from './dev-only-jwt-secret.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Where Redis is: one server (REDIS_URL), or a Redis Cluster (REDIS_CLUSTER_NODES, which takes
 * precedence). Every connection is built from it (src/queue/redis-options.ts createRedisConnection).
 */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | {
    readonly kind: 'cluster';
    /** The start-up nodes; the client discovers the others from them. */
    readonly nodes: readonly { readonly host: string; readonly port: number }[];
    /** rediss:// entries: TLS to every node. */
    readonly tls: boolean;
    /** From the entries' userinfo, else REDIS_URL's. */
    readonly username: string | null;
    readonly password: string | null;
  };

export interface Config {
  /** REDIS_URL as given; connections use `redis`, which is the cluster when REDIS_CLUSTER_NODES is set. */
  redisUrl: string;
  redis: RedisTarget;
  databaseUrl: string | null;
  directUrl: string | null;
  /** DATABASE_PREPARED_STATEMENTS: null = decide from the URL (connect-postgres.ts). */
  databasePreparedStatements: boolean | null;
  useMockDb: boolean;
  /** Why the mock store is on, for the start-up log line. */
  mockDbReason: 'USE_MOCK_DB=true' | 'DATABASE_URL is unset' | null;
  /** The raw QUEUE_PREFIX; BullMQ receives `{<queuePrefix>}` (Redis Cluster hash tag). */
  queuePrefix: string;
  tokenEncryptionKey: Uint8Array | null;
  tokenEncryptionPreviousKeys: Uint8Array[];
  logLevel: LogLevel;
  worker: {
    concurrency: number;
    /** 0 = no global limiter. */
    rateMax: number;
    rateDurationMs: number;
    publishAttempts: number;
    backoffMs: number;
    backoffMaxMs: number;
    publishTimeoutMs: number;
    reconcileIntervalMs: number;
    stuckAfterMs: number;
    missedAfterMs: number;
    shutdownTimeoutMs: number;
  };
  /** The worker's /health, /ready and /metrics server (src/worker/worker-http-app.ts). */
  workerHttp: {
    /** WORKER_HTTP_PORT; null = no server, 0 = any free port. */
    port: number | null;
    /** WORKER_HTTP_HOST */
    host: string;
  };
  platforms: {
    xApiBaseUrl: string;
    instagramApiBaseUrl: string;
    linkedinApiBaseUrl: string;
    linkedinOauthBaseUrl: string;
    linkedinVersion: string;
    oauth: {
      /** OAUTH_APP_RETURN_URL: the platforms redirect to `<appReturnUrl>/<platform>`. */
      appReturnUrl: string | null;
      x: { clientId: string | null; clientSecret: string | null };
      instagram: { clientId: string | null; clientSecret: string | null };
      linkedin: { clientId: string | null; clientSecret: string | null };
    };
    mediaAllowPrivateHosts: boolean;
  };
  api: {
    port: number;
    /** Empty = no CORS headers. */
    corsOrigins: string[];
    bodyLimitBytes: number;
  };
  /** How the API verifies user JWTs (see src/api/auth/verify-supabase-jwt.ts). */
  supabase: {
    url: string | null;
    /** Parsed SUPABASE_JWKS. */
    jwks: { keys: Record<string, unknown>[] } | null;
    /** `${url}/auth/v1/.well-known/jwks.json` when SUPABASE_URL is set. */
    jwksUrl: string | null;
    jwtSecret: string | null;
    /** The `iss` user tokens must name: SUPABASE_JWT_ISSUER, else `${url}/auth/v1`; null = not checked. */
    issuer: string | null;
  };
  /** The queue dashboard at /admin/queues (src/app/admin-queue-dashboard.ts). */
  admin: {
    /** ADMIN_TOKEN; null = only a service-role JWT gets in (or nothing, without SUPABASE_JWT_SECRET). */
    token: string | null;
    /** ADMIN_QUEUE_ACTIONS: retry and remove jobs; false = read-only. */
    queueActions: boolean;
  };
  /** Status notifications (src/notify). */
  notify: {
    /** WEBHOOK_SECRET: what post-status-webhook expects in x-webhook-secret. */
    webhookSecret: string | null;
    /** NOTIFY_RELAY: the worker relays pg_notify('post_status_webhook') to the handler. */
    relay: boolean;
    /** NOTIFY_DELIVERY: the worker runs the endpoint delivery queue. */
    delivery: boolean;
    deliveryAttempts: number;
    deliveryBackoffMs: number;
    deliveryTimeoutMs: number;
    /** NOTIFY_ALLOW_PRIVATE_HOSTS (development only). */
    allowPrivateHosts: boolean;
    /** NOTIFY_APP_URL: base of links to a post in the creator's app. */
    appUrl: string | null;
    /** NOTIFY_MAX_ENDPOINTS_PER_USER. */
    maxEndpointsPerUser: number;
    /** NOTIFY_TEST_SEND_LIMIT test events per NOTIFY_TEST_SEND_WINDOW_MS, per creator. */
    testSendLimit: number;
    testSendWindowMs: number;
    /** NOTIFY_SECRET_ROTATION_WINDOW_MS: the old secret's validity after a rotation. */
    secretRotationWindowMs: number;
  };
}

export class ConfigError extends AppError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      'config_invalid',
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
      { problems },
    );
    this.problems = problems;
  }
}

export interface LoadConfigOptions {
  /**
   * Accept the public DEV_ONLY_JWT_SECRET as SUPABASE_JWT_SECRET. Only the dev stack
   * (src/dev/start-dev-stack.ts) passes true: it is an argument, not a variable, so no environment can
   * turn it on. (Default: false)
   */
  allowDevJwtSecret?: boolean;
}

export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadConfigOptions = {},
): Config {
  // An empty string means "unset": shells and .env files often export `NAME=`.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  const parsed = configSchema.safeParse(cleaned);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
  });
  if (!parsed.success) throw new ConfigError(problems);
  const raw = parsed.data;

  const useMockDb = raw.USE_MOCK_DB ?? raw.DATABASE_URL === undefined;
  if (!useMockDb && !raw.DATABASE_URL) {
    problems.push(
      'DATABASE_URL is required when USE_MOCK_DB=false (e.g. postgres://postgres:postgres@127.0.0.1:5432/postgres)',
    );
  }
  if (!useMockDb && !raw.TOKEN_ENCRYPTION_KEY) {
    problems.push(
      'TOKEN_ENCRYPTION_KEY is required with a real database: 32 random bytes in base64 (openssl rand -base64 32)',
    );
  }
  if (raw.PUBLISH_BACKOFF_MAX_MS < raw.PUBLISH_BACKOFF_MS) {
    problems.push(
      `PUBLISH_BACKOFF_MAX_MS (${raw.PUBLISH_BACKOFF_MAX_MS}) must be at least PUBLISH_BACKOFF_MS (${raw.PUBLISH_BACKOFF_MS})`,
    );
  }
  if (raw.SUPABASE_JWT_SECRET?.trim() === DEV_ONLY_JWT_SECRET && !options.allowDevJwtSecret) {
    problems.push(
      'SUPABASE_JWT_SECRET is the public dev-only secret of `npm run dev` (src/dev/dev-auth.ts): anyone can ' +
        "sign tokens with it. Set the project's JWT secret (Supabase Dashboard > Project Settings > JWT Keys) " +
        'or unset SUPABASE_JWT_SECRET',
    );
  }
  if (raw.STUCK_AFTER_MS <= raw.PUBLISH_TIMEOUT_MS) {
    problems.push(
      `STUCK_AFTER_MS (${raw.STUCK_AFTER_MS}) must be greater than PUBLISH_TIMEOUT_MS (${raw.PUBLISH_TIMEOUT_MS}), ` +
        'or the reconciler would take targets whose send is still running',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const config: Config = {
    redisUrl: raw.REDIS_URL,
    redis: redisTarget(raw.REDIS_URL, raw.REDIS_CLUSTER_NODES),
    databaseUrl: raw.DATABASE_URL ?? null,
    directUrl: raw.DIRECT_URL ?? raw.DATABASE_URL ?? null,
    databasePreparedStatements: raw.DATABASE_PREPARED_STATEMENTS === 'auto'
      ? null
      : raw.DATABASE_PREPARED_STATEMENTS === 'true',
    useMockDb,
    mockDbReason: !useMockDb ? null : raw.USE_MOCK_DB === true ? 'USE_MOCK_DB=true' : 'DATABASE_URL is unset',
    queuePrefix: raw.QUEUE_PREFIX,
    tokenEncryptionKey: raw.TOKEN_ENCRYPTION_KEY ? decodeBase64(raw.TOKEN_ENCRYPTION_KEY) : null,
    tokenEncryptionPreviousKeys: raw.TOKEN_ENCRYPTION_PREVIOUS_KEYS
      ? raw.TOKEN_ENCRYPTION_PREVIOUS_KEYS.split(',').map((k) => decodeBase64(k)!)
      : [],
    logLevel: raw.LOG_LEVEL,
    worker: {
      concurrency: raw.WORKER_CONCURRENCY,
      rateMax: raw.WORKER_RATE_MAX,
      rateDurationMs: raw.WORKER_RATE_DURATION_MS,
      publishAttempts: raw.PUBLISH_ATTEMPTS,
      backoffMs: raw.PUBLISH_BACKOFF_MS,
      backoffMaxMs: raw.PUBLISH_BACKOFF_MAX_MS,
      publishTimeoutMs: raw.PUBLISH_TIMEOUT_MS,
      reconcileIntervalMs: raw.RECONCILE_INTERVAL_MS,
      stuckAfterMs: raw.STUCK_AFTER_MS,
      missedAfterMs: raw.MISSED_AFTER_MS,
      shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    },
    workerHttp: { port: raw.WORKER_HTTP_PORT ?? null, host: raw.WORKER_HTTP_HOST },
    platforms: {
      xApiBaseUrl: stripSlash(raw.X_API_BASE_URL),
      instagramApiBaseUrl: stripSlash(raw.INSTAGRAM_API_BASE_URL),
      linkedinApiBaseUrl: stripSlash(raw.LINKEDIN_API_BASE_URL),
      linkedinOauthBaseUrl: stripSlash(raw.LINKEDIN_OAUTH_BASE_URL),
      linkedinVersion: raw.LINKEDIN_VERSION,
      oauth: {
        appReturnUrl: raw.OAUTH_APP_RETURN_URL ? stripSlash(raw.OAUTH_APP_RETURN_URL) : null,
        x: { clientId: raw.X_CLIENT_ID ?? null, clientSecret: raw.X_CLIENT_SECRET ?? null },
        instagram: {
          clientId: raw.INSTAGRAM_CLIENT_ID ?? null,
          clientSecret: raw.INSTAGRAM_CLIENT_SECRET ?? null,
        },
        linkedin: {
          clientId: raw.LINKEDIN_CLIENT_ID ?? null,
          clientSecret: raw.LINKEDIN_CLIENT_SECRET ?? null,
        },
      },
      mediaAllowPrivateHosts: raw.MEDIA_ALLOW_PRIVATE_HOSTS,
    },
    api: {
      port: raw.PORT,
      corsOrigins: raw.CORS_ORIGINS
        ? raw.CORS_ORIGINS.split(',').map((o) => stripSlash(o.trim())).filter((o) => o !== '')
        : [],
      bodyLimitBytes: raw.API_BODY_LIMIT_BYTES,
    },
    supabase: {
      url: raw.SUPABASE_URL ? stripSlash(raw.SUPABASE_URL) : null,
      jwks: raw.SUPABASE_JWKS ? JSON.parse(raw.SUPABASE_JWKS) : null,
      jwksUrl: raw.SUPABASE_URL ? `${stripSlash(raw.SUPABASE_URL)}/auth/v1/.well-known/jwks.json` : null,
      jwtSecret: raw.SUPABASE_JWT_SECRET ?? null,
      issuer: raw.SUPABASE_JWT_ISSUER
        ? stripSlash(raw.SUPABASE_JWT_ISSUER)
        : raw.SUPABASE_URL
        ? `${stripSlash(raw.SUPABASE_URL)}/auth/v1`
        : null,
    },
    admin: {
      token: raw.ADMIN_TOKEN ?? null,
      queueActions: raw.ADMIN_QUEUE_ACTIONS,
    },
    notify: {
      webhookSecret: raw.WEBHOOK_SECRET ?? null,
      relay: raw.NOTIFY_RELAY,
      delivery: raw.NOTIFY_DELIVERY,
      deliveryAttempts: raw.NOTIFY_DELIVERY_ATTEMPTS,
      deliveryBackoffMs: raw.NOTIFY_DELIVERY_BACKOFF_MS,
      deliveryTimeoutMs: raw.NOTIFY_DELIVERY_TIMEOUT_MS,
      allowPrivateHosts: raw.NOTIFY_ALLOW_PRIVATE_HOSTS,
      appUrl: raw.NOTIFY_APP_URL ? stripSlash(raw.NOTIFY_APP_URL) : null,
      maxEndpointsPerUser: raw.NOTIFY_MAX_ENDPOINTS_PER_USER,
      testSendLimit: raw.NOTIFY_TEST_SEND_LIMIT,
      testSendWindowMs: raw.NOTIFY_TEST_SEND_WINDOW_MS,
      secretRotationWindowMs: raw.NOTIFY_SECRET_ROTATION_WINDOW_MS,
    },
  };
  return deepFreeze(config);
}

/** The config with secrets replaced, for logging. */
export function redactConfig(config: Config): Record<string, unknown> {
  const hidePassword = (url: string | null) => {
    if (!url) return url;
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  };
  return {
    ...config,
    redisUrl: hidePassword(config.redisUrl),
    redis: config.redis.kind === 'cluster' && config.redis.password !== null
      ? { ...config.redis, password: '***' }
      : config.redis.kind === 'single'
      ? { kind: 'single', url: hidePassword(config.redis.url) }
      : config.redis,
    databaseUrl: hidePassword(config.databaseUrl),
    directUrl: hidePassword(config.directUrl),
    tokenEncryptionKey: config.tokenEncryptionKey ? '***' : null,
    tokenEncryptionPreviousKeys: config.tokenEncryptionPreviousKeys.map(() => '***'),
    platforms: {
      ...config.platforms,
      oauth: {
        appReturnUrl: config.platforms.oauth.appReturnUrl,
        x: {
          clientId: config.platforms.oauth.x.clientId,
          clientSecret: config.platforms.oauth.x.clientSecret && '***',
        },
        instagram: {
          clientId: config.platforms.oauth.instagram.clientId,
          clientSecret: config.platforms.oauth.instagram.clientSecret && '***',
        },
        linkedin: {
          clientId: config.platforms.oauth.linkedin.clientId,
          clientSecret: config.platforms.oauth.linkedin.clientSecret && '***',
        },
      },
    },
    supabase: { ...config.supabase, jwtSecret: config.supabase.jwtSecret && '***' },
    admin: { ...config.admin, token: config.admin.token && '***' },
    notify: { ...config.notify, webhookSecret: config.notify.webhookSecret && '***' },
  };
}

function redisTarget(redisUrl: string, cluster: ClusterNodes | undefined): RedisTarget {
  if (!cluster) return { kind: 'single', url: redisUrl };
  // Credentials written on the entries win; else those of REDIS_URL (often the secret that holds them).
  const fromUrl = new URL(redisUrl);
  const own = cluster.username !== null || cluster.password !== null;
  return {
    kind: 'cluster',
    nodes: cluster.nodes,
    tls: cluster.tls,
    username: own ? cluster.username : fromUrl.username ? decodeURIComponent(fromUrl.username) : null,
    password: own ? cluster.password : fromUrl.password ? decodeURIComponent(fromUrl.password) : null,
  };
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
