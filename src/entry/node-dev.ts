/**
 * `npm run dev`: the whole product in one process on Node — the HTTP API, the publishing worker, the
 * in-memory store and the sandbox platforms, with a demo creator whose sandbox accounts are
 * connected — then a banner with the URLs and a ready-to-paste `curl` (see src/dev/).
 *
 * `npm run dev:token` (this file with the argument `token`) prints a dev token for the demo creator.
 * Tokens are signed with a fixed, public, dev-only secret (src/dev/dev-auth.ts), so a token printed
 * by one process is valid in another and across restarts.
 *
 * Environment: PORT (API, default 8787), SANDBOX_PORT (default 4010), REDIS_URL (default
 * redis://127.0.0.1:6379), QUEUE_PREFIX (default solospark-dev), LOG_LEVEL, the WORKER_* / PUBLISH_*
 * settings, and ADMIN_TOKEN / ADMIN_QUEUE_ACTIONS for the queue dashboard. Database, auth and platform
 * variables are ignored: the dev stack sets its own.
 * When no Redis answers at a local REDIS_URL and `redis-server` is installed, a private one runs on a
 * free port for the session (no persistence) and is stopped on exit.
 *
 * Ctrl-C (SIGINT) or SIGTERM shuts down gracefully; a second signal (after one second) exits at once.
 * Exit codes: 0 clean, 1 start-up failed or shutdown failed, 2 bad configuration, 130 forced.
 */
import process from 'node:process';
import { ConfigError } from '../config/load-config.ts';
import type { LogLevel } from '../config/load-config.ts';
import { renderDevBanner } from '../dev/dev-banner.ts';
import { createDevToken } from '../dev/dev-auth.ts';
import { createDevLogDestination } from '../dev/dev-log-format.ts';
import { isLocalRedisUrl, probeRedis, REDIS_INSTALL_HINT, startPrivateRedis } from '../dev/private-redis.ts';
import type { PrivateRedis } from '../dev/private-redis.ts';
import { startDevStack } from '../dev/start-dev-stack.ts';
import type { DevStack } from '../dev/start-dev-stack.ts';
import { createLogger } from '../observability/logger.ts';

const SHUTDOWN_WATCHDOG_MS = 45_000;
const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

if (process.argv[2] === 'token') {
  process.stdout.write(`${await createDevToken()}\n`);
  process.exit(0);
}

const say = (text: string) => void process.stderr.write(`${text}\n`);

function portFrom(name: string, fallback: number): number {
  const text = process.env[name]?.trim() || String(fallback);
  if (!/^\d+$/.test(text) || Number(text) > 65535) {
    say(`${name} must be a port number (e.g. ${fallback}), got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return Number(text);
}

const apiPort = portFrom('PORT', 8787);
const sandboxPort = portFrom('SANDBOX_PORT', 4010);
const level = (process.env.LOG_LEVEL?.trim() || 'info') as LogLevel;
if (!LOG_LEVELS.includes(level)) {
  say(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  process.exit(2);
}
const logger = createLogger({
  level,
  name: 'solospark-dev',
  destination: createDevLogDestination((text) => void process.stdout.write(text)),
});

let privateRedis: PrivateRedis | null = null;
process.on('exit', () => privateRedis?.kill());
const redisUrl = process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
let usedRedisUrl = redisUrl;
if (!(await probeRedis(redisUrl))) {
  if (!isLocalRedisUrl(redisUrl)) {
    say(`No Redis answers at ${redisUrl}: start it, or ${REDIS_INSTALL_HINT}.`);
    process.exit(1);
  }
  try {
    privateRedis = await startPrivateRedis();
    usedRedisUrl = privateRedis.url;
    say(
      `No Redis answers at ${redisUrl}; started a private redis-server at ${privateRedis.url} for this session ` +
        `(for your own: ${REDIS_INSTALL_HINT}).`,
    );
  } catch (err) {
    say(
      `No Redis answers at ${redisUrl}, and no private one could start (${
        errorText(err)
      }): ${REDIS_INSTALL_HINT}.`,
    );
    process.exit(1);
  }
}

let stack: DevStack;
try {
  stack = await startDevStack({
    env: process.env,
    redisUrl: usedRedisUrl,
    apiPort,
    sandboxPort,
    hostname: '127.0.0.1',
    logger,
  });
} catch (err) {
  await privateRedis?.stop();
  if (err instanceof ConfigError) {
    say(err.message);
    process.exit(2);
  }
  const code = (err as { code?: string }).code;
  say(
    code === 'EADDRINUSE'
      ? `A port is already in use (${errorText(err)}): is another \`npm run dev\`, \`npm run api\` or ` +
        '`npm run sandbox` running? Stop it, or choose other ports with PORT=… SANDBOX_PORT=…'
      : `The dev stack failed to start: ${errorText(err)}`,
  );
  process.exit(1);
}

process.stdout.write(
  `${
    renderDevBanner({
      apiUrl: stack.apiUrl,
      sandboxUrl: stack.sandboxUrl,
      sampleMediaUrl: stack.sampleMediaUrl,
      token: await stack.token(),
      userId: stack.userId,
      accounts: stack.accounts,
      redisUrl: usedRedisUrl,
      privateRedis: privateRedis !== null,
      queuePrefix: stack.config.queuePrefix,
      dashboardUrl: stack.dashboardUrl,
      adminToken: await stack.adminToken(),
      queueActions: stack.config.admin.queueActions,
      workerHttpUrl: stack.workerHttpUrl,
    })
  }\n`,
);

let stoppingSince = 0;
async function shutDown(signal: string): Promise<void> {
  if (stoppingSince > 0) {
    // npm and tsx may relay the same Ctrl-C a moment later; only a deliberate second one forces.
    if (Date.now() - stoppingSince < 1000) return;
    say(`second ${signal}: exiting at once`);
    process.exit(130);
  }
  stoppingSince = Date.now();
  say(`${signal}: stopping the dev stack (waiting for active publishes; press Ctrl-C again to force)`);
  const watchdog = setTimeout(() => {
    say(`shutdown did not finish within ${SHUTDOWN_WATCHDOG_MS} ms; exiting`);
    process.exit(1);
  }, SHUTDOWN_WATCHDOG_MS);
  watchdog.unref();
  let code = 0;
  try {
    await stack.close();
  } catch (err) {
    code = 1;
    say(`shutdown failed: ${errorText(err)}`);
  }
  await privateRedis?.stop();
  say('dev stack stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutDown('SIGINT'));
process.on('SIGTERM', () => void shutDown('SIGTERM'));

function errorText(err: unknown): string {
  if (err instanceof AggregateError) return err.errors.map(errorText).join('; ');
  return err instanceof Error ? err.message : String(err);
}
