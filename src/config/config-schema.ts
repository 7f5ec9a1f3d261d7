/**
 * Every environment variable the project reads, in one zod schema. Defaults sit next to their
 * fields; each error message names the variable, what was wrong, and an example of a good value.
 * docs/configuration.md's table mirrors this file.
 */
import { z } from 'zod';
import {
  base64KeyVar,
  booleanVar,
  clusterNodesVar,
  decodeBase64,
  httpUrl,
  intVar,
  isContainerHost,
  isJwks,
  isLoopbackHost,
  isOrigin,
  LOG_LEVELS,
  postgresUrl,
  show,
  urlVar,
} from './config-vars.ts';

export { decodeBase64 } from './config-vars.ts';

export const configSchema = z.object({
  // ── storage ──
  /** Redis for BullMQ. (Default: redis://127.0.0.1:6379) */
  REDIS_URL: urlVar('REDIS_URL', ['redis:', 'rediss:'], 'redis://127.0.0.1:6379').default(
    'redis://127.0.0.1:6379',
  ),
  /**
   * A Redis Cluster instead of REDIS_URL: comma-separated `host:port`, `redis://host:port` or
   * `rediss://host:port` (TLS) start-up nodes; credentials as `rediss://user:password@host:port`, else
   * REDIS_URL's. Takes precedence over REDIS_URL. (Default: none — one server at REDIS_URL)
   */
  REDIS_CLUSTER_NODES: clusterNodesVar('REDIS_CLUSTER_NODES').optional(),
  /** Pooled Postgres URL used at run time (Supabase transaction pooler is fine). */
  DATABASE_URL: postgresUrl('DATABASE_URL').optional(),
  /**
   * Named prepared statements on DATABASE_URL's connections: `auto` = on, except on Supabase's
   * transaction pooler (port 6543), which cannot keep them. (Default: auto)
   */
  DATABASE_PREPARED_STATEMENTS: z.enum(['auto', 'true', 'false'], {
    error: (issue) =>
      `DATABASE_PREPARED_STATEMENTS must be "auto", "true" or "false" (false for a transaction-mode pooler such as PgBouncer), got ${
        show(issue.input)
      }`,
  }).default('auto'),
  /** Direct Postgres URL for migrations. (Default: DATABASE_URL) */
  DIRECT_URL: postgresUrl('DIRECT_URL').optional(),
  /** true = in-memory store. (Default: true when DATABASE_URL is unset, else false) */
  USE_MOCK_DB: booleanVar('USE_MOCK_DB').optional(),
  /** Queue key prefix; wrapped in {braces} so all keys share one Redis Cluster slot. (Default: solospark) */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, {
      error: (issue) =>
        `QUEUE_PREFIX must be 1-40 letters, digits, "-" or "_" (braces are added for Redis Cluster), got ${
          show(issue.input)
        }`,
    })
    .default('solospark'),
  /** Current key for token encryption: base64 of 32 bytes. Required with a real database. */
  TOKEN_ENCRYPTION_KEY: base64KeyVar('TOKEN_ENCRYPTION_KEY').optional(),
  /** Older keys, comma-separated, still accepted for decryption during a key rotation. (Default: none) */
  TOKEN_ENCRYPTION_PREVIOUS_KEYS: z
    .string()
    .refine((v) => v.split(',').every((k) => decodeBase64(k)?.byteLength === 32), {
      error: () =>
        'TOKEN_ENCRYPTION_PREVIOUS_KEYS must be comma-separated base64 keys of 32 bytes each ' +
        '(the values TOKEN_ENCRYPTION_KEY had before)',
    })
    .optional(),
  /** pino level. (Default: info) */
  LOG_LEVEL: z
    .enum(LOG_LEVELS, {
      error: (issue) => `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${show(issue.input)}`,
    })
    .default('info'),

  // ── worker ──
  WORKER_CONCURRENCY: intVar('WORKER_CONCURRENCY', 1, 1000, 10),
  WORKER_RATE_MAX: intVar('WORKER_RATE_MAX', 0, 1_000_000, 0),
  WORKER_RATE_DURATION_MS: intVar('WORKER_RATE_DURATION_MS', 1, 3_600_000, 1000),
  PUBLISH_ATTEMPTS: intVar('PUBLISH_ATTEMPTS', 1, 50, 5),
  PUBLISH_BACKOFF_MS: intVar('PUBLISH_BACKOFF_MS', 1, 3_600_000, 5000),
  PUBLISH_BACKOFF_MAX_MS: intVar('PUBLISH_BACKOFF_MAX_MS', 1, 86_400_000, 900_000),
  PUBLISH_TIMEOUT_MS: intVar('PUBLISH_TIMEOUT_MS', 100, 600_000, 30_000),
  RECONCILE_INTERVAL_MS: intVar('RECONCILE_INTERVAL_MS', 100, 86_400_000, 60_000),
  STUCK_AFTER_MS: intVar('STUCK_AFTER_MS', 1000, 86_400_000, 300_000),
  MISSED_AFTER_MS: intVar('MISSED_AFTER_MS', 1000, 30 * 86_400_000, 86_400_000),
  SHUTDOWN_TIMEOUT_MS: intVar('SHUTDOWN_TIMEOUT_MS', 0, 3_600_000, 30_000),
  /** Port of the worker's /health, /ready and /metrics; 0 = any free port. (Default: none — no server) */
  WORKER_HTTP_PORT: z
    .string()
    .refine((v) => /^\d+$/.test(v.trim()) && Number(v) <= 65535, {
      error: (issue) =>
        `WORKER_HTTP_PORT must be a port from 0 to 65535 (0 = any free port; unset = no server), got ${
          show(issue.input)
        }`,
    })
    .transform(Number)
    .optional(),
  /** Interface the worker's HTTP server listens on. (Default: 127.0.0.1) */
  WORKER_HTTP_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:-]+$/, {
      error: (issue) =>
        `WORKER_HTTP_HOST must be a host name or IP address such as 127.0.0.1, 0.0.0.0 or ::1, got ${
          show(issue.input)
        }`,
    })
    .default('127.0.0.1'),

  // ── platforms ──
  X_API_BASE_URL: httpUrl('X_API_BASE_URL', 'https://api.x.com').default('https://api.x.com'),
  INSTAGRAM_API_BASE_URL: httpUrl('INSTAGRAM_API_BASE_URL', 'https://graph.instagram.com').default(
    'https://graph.instagram.com',
  ),
  LINKEDIN_API_BASE_URL: httpUrl('LINKEDIN_API_BASE_URL', 'https://api.linkedin.com').default(
    'https://api.linkedin.com',
  ),
  LINKEDIN_OAUTH_BASE_URL: httpUrl('LINKEDIN_OAUTH_BASE_URL', 'https://www.linkedin.com').default(
    'https://www.linkedin.com',
  ),
  LINKEDIN_VERSION: z
    .string()
    .regex(/^\d{6}$/, {
      error: (issue) => `LINKEDIN_VERSION must be a YYYYMM version such as 202601, got ${show(issue.input)}`,
    })
    .default('202601'),
  X_CLIENT_ID: z.string().min(1).optional(),
  X_CLIENT_SECRET: z.string().min(1).optional(),
  INSTAGRAM_CLIENT_ID: z.string().min(1).optional(),
  INSTAGRAM_CLIENT_SECRET: z.string().min(1).optional(),
  LINKEDIN_CLIENT_ID: z.string().min(1).optional(),
  LINKEDIN_CLIENT_SECRET: z.string().min(1).optional(),
  /** No longer read (connections return to OAUTH_APP_RETURN_URL); accepted so old environments load. */
  OAUTH_REDIRECT_BASE_URL: httpUrl('OAUTH_REDIRECT_BASE_URL', 'https://app.example.com').optional(),
  /**
   * The creator app's return page: the platforms send the browser to `<url>/<platform>?code&state`,
   * and the app completes with POST /accounts/:platform/callback. (Default: none — connecting is off)
   */
  OAUTH_APP_RETURN_URL: httpUrl('OAUTH_APP_RETURN_URL', 'https://app.example.com/connect').refine(
    (value) => {
      try {
        const url = new URL(value);
        return url.search === '' && url.hash === '';
      } catch {
        return true; // httpUrl has said what is wrong
      }
    },
    {
      error: (issue) =>
        `OAUTH_APP_RETURN_URL must have no query string or fragment (the platform appends ?code=…&state=…), ` +
        `got ${show(issue.input)}`,
    },
  ).optional(),
  MEDIA_ALLOW_PRIVATE_HOSTS: booleanVar('MEDIA_ALLOW_PRIVATE_HOSTS').default(false),

  // ── HTTP API ──
  /** Port of the Node/Deno API server. (Default: 8787) */
  PORT: intVar('PORT', 1, 65535, 8787),
  /** Browser origins allowed by CORS, comma-separated; unset = no CORS headers. (Default: none) */
  CORS_ORIGINS: z
    .string()
    .refine((v) => v.split(',').every((o) => o.trim() === '*' || isOrigin(o.trim())), {
      error: (issue) =>
        `CORS_ORIGINS must be comma-separated origins such as https://app.example.com,http://localhost:3000 ` +
        `(scheme://host[:port], no path), got ${show(issue.input)}`,
    })
    .optional(),
  /** Largest accepted request body in bytes. (Default: 65536) */
  API_BODY_LIMIT_BYTES: intVar('API_BODY_LIMIT_BYTES', 1024, 10 * 1024 * 1024, 65_536),
  /**
   * The Supabase project URL; the API fetches the signing keys from <url>/auth/v1/.well-known/jwks.json
   * and requires `iss = <url>/auth/v1`. https, or http on a loopback host only (the keys and the
   * issuer must not travel in clear text).
   */
  SUPABASE_URL: httpUrl('SUPABASE_URL', 'https://abcdefghijklmnop.supabase.co').refine(
    (value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'https:' || isLoopbackHost(url.hostname) || isContainerHost(url.hostname);
      } catch {
        return true; // httpUrl has said what is wrong
      }
    },
    {
      error: (issue) =>
        `SUPABASE_URL must be https:// (e.g. https://abcdefghijklmnop.supabase.co); http:// is allowed only ` +
        `on a loopback host (localhost, 127.0.0.1, [::1]) or a single-label container host such as the ` +
        `Supabase CLI's http://kong:8000, got ${show(issue.input)}`,
    },
  ).optional(),
  /**
   * The `iss` user tokens must carry, when it is not `<SUPABASE_URL>/auth/v1`: under
   * `supabase functions serve` the functions see SUPABASE_URL=http://kong:8000 while the local Auth
   * issues http://127.0.0.1:54321/auth/v1. (Default: <SUPABASE_URL>/auth/v1)
   */
  SUPABASE_JWT_ISSUER: httpUrl('SUPABASE_JWT_ISSUER', 'http://127.0.0.1:54321/auth/v1').optional(),
  /** The project's JWKS as JSON (Edge Functions receive it); used instead of fetching it. */
  SUPABASE_JWKS: z
    .string()
    .refine(isJwks, {
      error: () =>
        'SUPABASE_JWKS must be the JSON of the project JWKS, {"keys":[{...}]} ' +
        '(the value of <SUPABASE_URL>/auth/v1/.well-known/jwks.json)',
    })
    .optional(),
  /** The legacy HS256 JWT secret; without it HS256 user tokens are refused. */
  SUPABASE_JWT_SECRET: z
    .string()
    .min(32, { error: 'SUPABASE_JWT_SECRET must be the project JWT secret (at least 32 characters)' })
    .optional(),

  // ── queue dashboard (src/app/admin-*.ts; Node API server and dev stack only) ──
  /**
   * The credential of /admin/queues (compared in constant time). (Default: none — the dashboard is
   * off unless SUPABASE_JWT_SECRET lets a service-role JWT in)
   */
  ADMIN_TOKEN: z
    .string()
    .min(32, {
      error: 'ADMIN_TOKEN must be at least 32 characters (generate one with: openssl rand -base64 32)',
    })
    .optional(),
  /** true = the dashboard may retry and remove jobs; false = read-only. (Default: false) */
  ADMIN_QUEUE_ACTIONS: booleanVar('ADMIN_QUEUE_ACTIONS').default(false),

  // ── notifications (src/notify) ──
  /** Shared secret the database webhook sends as x-webhook-secret; required by post-status-webhook. */
  WEBHOOK_SECRET: z
    .string()
    .min(16, {
      error: 'WEBHOOK_SECRET must be at least 16 characters (generate one with: openssl rand -base64 32)',
    })
    .optional(),
  /** The worker LISTENs on post_status_webhook (pg_notify fallback without pg_net). (Default: false) */
  NOTIFY_RELAY: booleanVar('NOTIFY_RELAY').default(false),
  /** The worker delivers notifications to the creators' webhook endpoints. (Default: true) */
  NOTIFY_DELIVERY: booleanVar('NOTIFY_DELIVERY').default(true),
  /** Tries per endpoint delivery, the first included. (Default: 8) */
  NOTIFY_DELIVERY_ATTEMPTS: intVar('NOTIFY_DELIVERY_ATTEMPTS', 1, 50, 8),
  /** First retry delay of a delivery; doubles each try, with jitter. (Default: 10000) */
  NOTIFY_DELIVERY_BACKOFF_MS: intVar('NOTIFY_DELIVERY_BACKOFF_MS', 1, 3_600_000, 10_000),
  /** How long one delivery waits for the endpoint's answer. (Default: 10000) */
  NOTIFY_DELIVERY_TIMEOUT_MS: intVar('NOTIFY_DELIVERY_TIMEOUT_MS', 100, 60_000, 10_000),
  /** Allow http:// and private/loopback endpoint hosts (development only). (Default: false) */
  NOTIFY_ALLOW_PRIVATE_HOSTS: booleanVar('NOTIFY_ALLOW_PRIVATE_HOSTS').default(false),
  /** The creator app; failure notifications link to <url>/posts/<id>. (Default: none — no such link) */
  NOTIFY_APP_URL: httpUrl('NOTIFY_APP_URL', 'https://app.example.com').optional(),
  /** Webhook endpoints one creator may register. (Default: 10) */
  NOTIFY_MAX_ENDPOINTS_PER_USER: intVar('NOTIFY_MAX_ENDPOINTS_PER_USER', 1, 1000, 10),
  /** Test events (POST /notification-endpoints/:id/test) one creator may send per window. (Default: 10) */
  NOTIFY_TEST_SEND_LIMIT: intVar('NOTIFY_TEST_SEND_LIMIT', 1, 1000, 10),
  /** The window NOTIFY_TEST_SEND_LIMIT counts over. (Default: 3600000, one hour) */
  NOTIFY_TEST_SEND_WINDOW_MS: intVar('NOTIFY_TEST_SEND_WINDOW_MS', 1000, 86_400_000, 3_600_000),
  /** How long the old signing secret still signs after a rotation. (Default: 86400000, 24 h) */
  NOTIFY_SECRET_ROTATION_WINDOW_MS: intVar(
    'NOTIFY_SECRET_ROTATION_WINDOW_MS',
    0,
    30 * 86_400_000,
    86_400_000,
  ),
});

export type RawConfig = z.infer<typeof configSchema>;
