/**
 * The environment of the API and the workers. Only what the soak needs is passed (no inherited
 * DATABASE_URL or REDIS_URL can leak in from the caller's shell): its own database, Redis and queue
 * prefix, the sandbox as every platform, and short timings so recovery happens within the run
 * (limits in src/config/config-schema.ts: STUCK_AFTER_MS must exceed PUBLISH_TIMEOUT_MS).
 */
import process from 'node:process';

export interface ServiceEnvInput {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  sandboxUrl: string;
  encryptionKey: Uint8Array;
  jwtSecret: string;
}

/** Timings the soak runs the workers with; the fault plan and the report read them too. */
export const WORKER_TIMINGS = {
  PUBLISH_TIMEOUT_MS: 3000,
  STUCK_AFTER_MS: 8000,
  RECONCILE_INTERVAL_MS: 2000,
  PUBLISH_BACKOFF_MS: 500,
  PUBLISH_BACKOFF_MAX_MS: 4000,
  PUBLISH_ATTEMPTS: 6,
  SHUTDOWN_TIMEOUT_MS: 5000,
} as const;

export function serviceEnv(input: ServiceEnvInput): Record<string, string> {
  const timings = Object.fromEntries(Object.entries(WORKER_TIMINGS).map(([k, v]) => [k, String(v)]));
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    // Deno reads its cache location from these when set; without them it uses HOME.
    ...(process.env.DENO_DIR ? { DENO_DIR: process.env.DENO_DIR } : {}),
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: input.databaseUrl,
    USE_MOCK_DB: 'false',
    REDIS_URL: input.redisUrl,
    QUEUE_PREFIX: input.queuePrefix,
    TOKEN_ENCRYPTION_KEY: btoa(String.fromCharCode(...input.encryptionKey)),
    SUPABASE_JWT_SECRET: input.jwtSecret,
    X_API_BASE_URL: `${input.sandboxUrl}/x`,
    INSTAGRAM_API_BASE_URL: `${input.sandboxUrl}/instagram`,
    LINKEDIN_API_BASE_URL: `${input.sandboxUrl}/linkedin`,
    LINKEDIN_OAUTH_BASE_URL: `${input.sandboxUrl}/linkedin`,
    // The sandbox's OAuth apps, so token refreshes (if any happen) are accepted.
    X_CLIENT_ID: 'sandbox-x-client',
    X_CLIENT_SECRET: 'sandbox-x-secret',
    INSTAGRAM_CLIENT_ID: 'sandbox-instagram-client',
    INSTAGRAM_CLIENT_SECRET: 'sandbox-instagram-secret',
    LINKEDIN_CLIENT_ID: 'sandbox-linkedin-client',
    LINKEDIN_CLIENT_SECRET: 'sandbox-linkedin-secret',
    MEDIA_ALLOW_PRIVATE_HOSTS: 'true',
    WORKER_CONCURRENCY: '10',
    ...timings,
  };
}
