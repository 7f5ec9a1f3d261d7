/**
 * What the Node API server (src/entry/node-api.ts) and the dev stack serve: the HTTP API
 * (build-api.ts), Scalar's bundle for its /reference page (reference-script.ts), and the queue
 * dashboard at /admin/queues when a credential for it is configured. The Edge Functions build only
 * the API, so neither the dashboard nor the bundle is ever part of them.
 *
 * The dashboard is on when ADMIN_TOKEN is set, or SUPABASE_JWT_SECRET is (then the project's
 * service-role key gets in); otherwise /admin/queues answers 404 saying how to turn it on.
 */
import { PROBLEM_CONTENT_TYPE, problemOf } from '../api/error-response.ts';
import { createAdminAccess } from './admin-access.ts';
import { createAdminCredentialCheck } from './admin-credential.ts';
import { openDashboardQueues } from './admin-queues.ts';
import { createQueueDashboard, QUEUE_DASHBOARD_PATH } from './admin-queue-dashboard.ts';
import type { QueueDashboard } from './admin-queue-dashboard.ts';
import { createAdminSessions } from './admin-session.ts';
import { buildApi } from './build-api.ts';
import type { BuiltApi } from './build-api.ts';
import type { Services } from './create-services.ts';
import { createReferenceScript } from './reference-script.ts';

export interface ApiServer {
  fetch(request: Request): Response | Promise<Response>;
  /** Whether the queue dashboard is on (a credential for it is configured). */
  readonly dashboard: boolean;
  /** Closes the dashboard's queue handles; the services are the caller's to close, after this. */
  close(): Promise<void>;
}

/** Throws ConfigError like buildApi. */
export async function buildApiServer(services: Services): Promise<ApiServer> {
  const api: BuiltApi = await buildApi(services);
  const script = createReferenceScript();
  const { config, logger } = services;
  const credentials = createAdminCredentialCheck({
    adminToken: config.admin.token,
    jwtSecret: config.supabase.jwtSecret,
  });

  let dashboard: QueueDashboard | null = null;
  let closeQueues = async () => {};
  if (credentials.accepts.length > 0) {
    const queues = openDashboardQueues(await services.redis('producer'), config.queuePrefix);
    closeQueues = () => queues.close();
    const log = logger.child({ component: 'queue-dashboard' });
    dashboard = createQueueDashboard({
      queues: queues.queues,
      access: createAdminAccess({
        credentials,
        sessions: createAdminSessions({ adminToken: config.admin.token }),
        home: QUEUE_DASHBOARD_PATH,
        logger: log,
      }),
      actions: config.admin.queueActions,
      logger: log,
    });
    log.info(
      { path: QUEUE_DASHBOARD_PATH, credentials: credentials.accepts, actions: config.admin.queueActions },
      'queue dashboard on',
    );
  }

  return {
    dashboard: dashboard !== null,
    fetch(request) {
      const { pathname } = new URL(request.url);
      if (script.handles(pathname)) return script.fetch(request);
      if (dashboard?.handles(pathname)) return dashboard.fetch(request);
      if (!dashboard && isAdminPath(pathname)) return dashboardOff(pathname);
      return api.fetch(request);
    },
    close: () => closeQueues(),
  };
}

function isAdminPath(pathname: string): boolean {
  return pathname === '/admin' || pathname.startsWith('/admin/');
}

function dashboardOff(pathname: string): Response {
  const problem = problemOf(
    'route_not_found',
    `${pathname}: the queue dashboard is off because no credential for it is configured; set ADMIN_TOKEN ` +
      '(openssl rand -base64 32) or SUPABASE_JWT_SECRET, then open /admin/queues (docs/operations.md, "Queue dashboard")',
    null,
  );
  return new Response(JSON.stringify(problem), {
    status: 404,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE },
  });
}
