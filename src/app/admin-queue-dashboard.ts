/**
 * The queue dashboard at /admin/queues: bull-board (its Hono adapter) over the project's queues,
 * behind admin-access.ts. Served by the Node API server and the dev stack (build-api-server.ts),
 * never by the Edge Functions, which do not build it.
 *
 * Read-only by default (bull-board's `readOnlyMode`). With ADMIN_QUEUE_ACTIONS=true a person may
 * retry and remove jobs — one job, or every completed or failed job of a queue — and nothing else:
 * the guard below refuses bull-board's other changes (adding or editing jobs, emptying, pausing,
 * promoting…) whatever the UI offers. A retried job is an ordinary run: a target job publishes only
 * under the target's claim in the database (src/worker/publish-job.ts), so retrying a job whose
 * target is already published sends nothing; removing a job loses nothing either, since the
 * reconciler re-adds the jobs the database still needs (docs/operations.md, invariant 1).
 *
 * The page is served with a Content-Security-Policy that allows this origin only, and without
 * bull-board's web-font link, so it renders on a machine without internet.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../observability/logger.ts';
import type { AdminAccess } from './admin-access.ts';
import { ADMIN_LOGIN_PATH, ADMIN_LOGOUT_PATH } from './admin-access.ts';
import type { DashboardQueue } from './admin-queues.ts';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

export interface QueueDashboardOptions {
  queues: readonly DashboardQueue[];
  access: AdminAccess;
  /** ADMIN_QUEUE_ACTIONS: retry and remove jobs. (Default: false — read-only) */
  actions?: boolean;
  logger: Logger;
}

export interface QueueDashboard {
  /** True for the paths the dashboard answers: /admin/queues…, /admin/login, /admin/logout. */
  handles(pathname: string): boolean;
  fetch(request: Request): Response | Promise<Response>;
}

/** The changes a person may make with ADMIN_QUEUE_ACTIONS=true, as paths under `<dashboard>/api`. */
const ALLOWED_ACTIONS: readonly RegExp[] = [
  /^\/queues\/[^/]+\/[^/]+\/retry$/, // retry one job
  /^\/queues\/[^/]+\/retry\/(?:failed|completed)$/, // retry every failed (or completed) job
  /^\/queues\/[^/]+\/[^/]+\/clean$/, // remove one job
  /^\/queues\/[^/]+\/clean\/(?:failed|completed)$/, // remove every failed (or completed) job
];

const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

export function createQueueDashboard(options: QueueDashboardOptions): QueueDashboard {
  const actions = options.actions ?? false;
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: options.queues.map(({ queue, description }) =>
      new BullMQAdapter(queue, {
        readOnlyMode: !actions,
        allowRetries: actions,
        description,
      })
    ),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'SoloSpark queues',
        hideDocsLink: true,
        miscLinks: [{ text: 'Sign out', url: ADMIN_LOGOUT_PATH }],
      },
    },
  });

  // Not strict: /admin/queues and /admin/queues/ are the same page.
  const app = new Hono({ strict: false });
  options.access.register(app);
  app.use(QUEUE_DASHBOARD_PATH, options.access.require);
  app.use(`${QUEUE_DASHBOARD_PATH}/*`, options.access.require);
  app.use(`${QUEUE_DASHBOARD_PATH}/api/*`, guardActions(actions, options.logger));
  app.use(`${QUEUE_DASHBOARD_PATH}/*`, securePage);
  app.use(QUEUE_DASHBOARD_PATH, securePage);
  app.route(QUEUE_DASHBOARD_PATH, serverAdapter.registerPlugin());

  return {
    handles: (pathname) =>
      pathname === QUEUE_DASHBOARD_PATH || pathname.startsWith(`${QUEUE_DASHBOARD_PATH}/`) ||
      pathname === ADMIN_LOGIN_PATH || pathname === ADMIN_LOGOUT_PATH,
    fetch: (request) => app.fetch(request),
  };
}

/** Lets reads through; changes only with actions on, and only retry and remove. */
function guardActions(actions: boolean, logger: Logger): MiddlewareHandler {
  return async function guardQueueActions(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return await next();
    const action = c.req.path.slice(`${QUEUE_DASHBOARD_PATH}/api`.length);
    const allowed = actions && ALLOWED_ACTIONS.some((pattern) => pattern.test(action));
    if (!allowed) {
      return c.json({
        error: 'action_not_allowed',
        message: actions
          ? 'the dashboard only retries and removes jobs; other queue changes go through the API or the worker'
          : 'the queue dashboard is read-only; set ADMIN_QUEUE_ACTIONS=true to retry and remove jobs',
      }, 405);
    }
    await next();
    logger.info({ method: c.req.method, action, status: c.res.status }, 'queue dashboard action');
  };
}

/** Adds the page's security headers and drops bull-board's web-font link (the page must work offline). */
const securePage: MiddlewareHandler = async function secureDashboardPage(c, next) {
  await next();
  if (!(c.res.headers.get('content-type') ?? '').startsWith('text/html')) return;
  const html = (await c.res.text()).replace(/<link[^>]+href="https:\/\/fonts\.googleapis\.com[^>]*>\s*/g, '');
  const headers = new Headers(c.res.headers);
  for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) headers.set(name, value);
  headers.delete('content-length');
  c.res = new Response(html, { status: c.res.status, headers });
};
