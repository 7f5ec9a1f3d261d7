/**
 * What `npm run dev` prints once the stack is up: where everything is, the demo creator's accounts,
 * and a ready-to-paste `curl` that schedules a post on every platform, due a few seconds after it is
 * run (the shell computes the time with `node`, so the command works whenever it is pasted).
 */
import type { Platform } from '../domain/platform.ts';
import type { SocialAccount } from '../domain/post.ts';
import { DEV_CONNECT_PATH } from './dev-connect-pages.ts';

export interface DevBannerInfo {
  apiUrl: string;
  sandboxUrl: string;
  sampleMediaUrl: string;
  token: string;
  userId: string;
  accounts: Readonly<Record<Platform, SocialAccount>>;
  redisUrl: string;
  /** True when the dev stack started its own redis-server. */
  privateRedis: boolean;
  queuePrefix: string;
  /** The queue dashboard (`<apiUrl>/admin/queues`) and its credential. */
  dashboardUrl: string;
  adminToken: string;
  /** ADMIN_QUEUE_ACTIONS: the dashboard may retry and remove jobs. */
  queueActions: boolean;
  /** The worker's /health, /ready and /metrics. */
  workerHttpUrl: string;
}

/**
 * A POSIX-shell command scheduling a post on all three platforms, due `inSeconds` after it runs.
 * The text carries the time of day, so pasting it twice does not trip the platforms' duplicate checks.
 */
export function schedulePostCurl(
  info: Pick<DevBannerInfo, 'apiUrl' | 'token' | 'sampleMediaUrl'>,
  inSeconds = 10,
): string {
  const due = `$(node -p 'new Date(Date.now() + ${inSeconds * 1000}).toISOString()')`;
  const body = `{\\"text\\":\\"Hello from the SoloSpark dev stack at $(date +%H:%M:%S)\\",` +
    `\\"scheduledAt\\":\\"${due}\\",\\"platforms\\":[\\"x\\",\\"instagram\\",\\"linkedin\\"],` +
    `\\"media\\":[{\\"url\\":\\"${info.sampleMediaUrl}\\",\\"altText\\":\\"A sample picture\\"}]}`;
  return [
    `curl -sS -X POST '${info.apiUrl}/posts' \\`,
    `  -H 'Authorization: Bearer ${info.token}' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d "${body}"`,
  ].join('\n');
}

export function renderDevBanner(info: DevBannerInfo): string {
  const redis = info.privateRedis
    ? `${info.redisUrl}  (a private redis-server started for this session; stopped on exit)`
    : info.redisUrl;
  const accounts = (Object.entries(info.accounts) as [Platform, SocialAccount][]).map(([platform, account]) =>
    `    ${platform.padEnd(10)} ${
      (account.displayName ?? account.externalId).padEnd(28)
    } account ${account.id}`
  );
  return [
    '',
    'SoloSpark dev stack: API + publishing worker + notifications + in-memory store + sandbox platforms, in one process',
    '',
    `  API            ${info.apiUrl}/posts   (also ${info.apiUrl}/functions/v1/posts, like Supabase)`,
    `  API reference  ${info.apiUrl}/reference   (OpenAPI: ${info.apiUrl}/openapi.json)`,
    `  Sandbox page   ${info.sandboxUrl}/   what X, Instagram and LinkedIn received (reloads every 5 s)`,
    `  Notifications  ${info.apiUrl}/notifications   in-app: each post that published, failed or was cancelled`,
    `  Webhooks       ${info.apiUrl}/notification-endpoints   register a URL; deliveries are signed (Standard Webhooks)`,
    `  Queues         ${info.dashboardUrl}?token=${info.adminToken}`,
    `                 bull-board over posts, publish and notify-delivery (${
      info.queueActions
        ? 'retry and remove on: ADMIN_QUEUE_ACTIONS=true'
        : 'read-only; ADMIN_QUEUE_ACTIONS=true to retry and remove'
    })`,
    `  Worker         ${info.workerHttpUrl}/ready   (also /health and /metrics, Prometheus; WORKER_HTTP_PORT)`,
    `  Redis          ${redis}, queue prefix ${info.queuePrefix}`,
    `  Demo creator   ${info.userId}, connected sandbox accounts:`,
    ...accounts,
    `  Connect        ${info.apiUrl}${DEV_CONNECT_PATH}   reconnect them through OAuth, as an app does: sandbox consent page, app return page, POST /accounts/:platform/callback`,
    '',
    'Schedule a post on all three platforms, due in 10 s (paste into a shell):',
    '',
    schedulePostCurl(info),
    '',
    `Then watch ${info.sandboxUrl}/ : the post shows up on every platform within about 15 s.`,
    `Its status, per platform:  curl -sS '${info.apiUrl}/posts' -H "Authorization: Bearer $(npm run -s dev:token)"`,
    `What the creator was told: curl -sS '${info.apiUrl}/notifications' -H "Authorization: Bearer $(npm run -s dev:token)"`,
    'A dev token for other tools: npm run dev:token (valid 7 days).  Stop with Ctrl-C.',
    '',
  ].join('\n');
}
