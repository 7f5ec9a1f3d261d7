/**
 * Who may open the admin pages under /admin (the queue dashboard), and how the credential reaches
 * them. Browsers send no Authorization header when they navigate, so there are three ways in, all
 * checked by admin-credential.ts:
 *
 * - `Authorization: Bearer <ADMIN_TOKEN or service-role JWT>` on any request (curl, scripts);
 * - the sign-in form (`POST /admin/login`, what the 401 page shows), or `?token=<credential>` on any
 *   dashboard URL: both answer 303 with the session cookie (admin-session.ts) and send the browser to
 *   the page without the token in its address;
 * - that cookie, on the page and on every API call the page makes.
 *
 * Anything else is 401: an HTML sign-in page for a browser, problem+json for everything else. The
 * credential is never logged, echoed or put in a redirect.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { PROBLEM_CONTENT_TYPE, problemOf } from '../api/error-response.ts';
import type { Logger } from '../observability/logger.ts';
import type { AdminCredentialCheck } from './admin-credential.ts';
import type { AdminSessions } from './admin-session.ts';
import { clearedSessionCookie, sessionCookie, sessionFromCookies } from './admin-session.ts';

export interface AdminAccessOptions {
  credentials: AdminCredentialCheck;
  sessions: AdminSessions;
  /** Where a signed-in browser goes by default, e.g. /admin/queues. */
  home: string;
  logger: Logger;
}

export interface AdminAccess {
  /** Lets a request through with a valid credential or session; answers 401 (or 303 after ?token=) otherwise. */
  require: MiddlewareHandler;
  /** POST /admin/login (the form) and GET /admin/logout. */
  register(app: Hono): void;
}

export const ADMIN_LOGIN_PATH = '/admin/login';
export const ADMIN_LOGOUT_PATH = '/admin/logout';

export function createAdminAccess(options: AdminAccessOptions): AdminAccess {
  const { credentials, sessions, home, logger } = options;

  function refused(c: Context, via: string, reason: 'missing' | 'refused' | 'expired'): Response {
    if (reason !== 'missing') logger.info({ path: c.req.path, via, reason }, 'admin access refused');
    return unauthorized(c.req.raw, home, reason);
  }

  async function signedIn(c: Context, next: string): Promise<Response> {
    const cookie = sessionCookie(await sessions.issue(), isHttps(c.req.raw));
    return new Response(null, { status: 303, headers: { location: next, 'set-cookie': cookie } });
  }

  return {
    async require(c, next) {
      const header = c.req.header('authorization');
      if (header !== undefined) {
        const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
        if (match && await credentials.verify(match[1]!)) return await next();
        return refused(c, 'authorization header', 'refused');
      }
      const url = new URL(c.req.url);
      const token = url.searchParams.get('token');
      if (token !== null) {
        if (c.req.method !== 'GET' || !await credentials.verify(token)) return refused(c, 'query', 'refused');
        url.searchParams.delete('token');
        return await signedIn(c, `${url.pathname}${url.search}`);
      }
      const session = sessionFromCookies(c.req.header('cookie') ?? null);
      if (session === null) return refused(c, 'none', 'missing');
      if (!await sessions.isValid(session)) return refused(c, 'cookie', 'expired');
      await next();
    },

    register(app) {
      app.post(ADMIN_LOGIN_PATH, async (c) => {
        const form = await c.req.parseBody().catch(() => ({} as Record<string, unknown>));
        const token = typeof form.token === 'string' ? form.token.trim() : '';
        if (!await credentials.verify(token)) return refused(c, 'form', token === '' ? 'missing' : 'refused');
        const wanted = typeof form.next === 'string' ? form.next : home;
        // Only back into the admin pages: never an open redirect to another site.
        return await signedIn(c, wanted.startsWith(home) ? wanted : home);
      });
      app.get(ADMIN_LOGOUT_PATH, (c) =>
        new Response(signInPage(home, 'You are signed out.'), {
          status: 200,
          headers: {
            'content-type': 'text/html; charset=utf-8',
            'set-cookie': clearedSessionCookie(isHttps(c.req.raw)),
            ...PAGE_HEADERS,
          },
        }));
    },
  };
}

/** Security headers of the admin pages this module renders. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const REASONS = {
  missing: 'The queue dashboard needs the admin credential.',
  refused:
    'That credential was refused: it is neither ADMIN_TOKEN nor a valid service-role JWT of this project.',
  expired: 'Your dashboard session has ended; sign in again.',
} as const;

function unauthorized(request: Request, home: string, reason: keyof typeof REASONS): Response {
  const headers = { 'www-authenticate': 'Bearer realm="solospark-admin"', 'cache-control': 'no-store' };
  if (wantsHtml(request)) {
    return new Response(signInPage(home, REASONS[reason], nextPath(request, home)), {
      status: 401,
      headers: { ...headers, ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8' },
    });
  }
  const problem = problemOf(
    reason === 'missing' ? 'auth_required' : 'invalid_token',
    `${
      REASONS[reason]
    } Send Authorization: Bearer <ADMIN_TOKEN or the service-role key>, or sign in at ${home}.`,
    null,
  );
  return new Response(JSON.stringify(problem), {
    status: 401,
    headers: { ...headers, 'content-type': PROBLEM_CONTENT_TYPE },
  });
}

function signInPage(home: string, message: string, next: string = home): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>SoloSpark queue dashboard: sign in</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2328}
input{width:100%;padding:.5rem;margin:.5rem 0;box-sizing:border-box}button{padding:.5rem 1rem}
.hint{color:#57606a;font-size:.9rem}</style></head>
<body><h1>SoloSpark queue dashboard</h1>
<p>${escapeHtml(message)}</p>
<form method="post" action="${ADMIN_LOGIN_PATH}">
<label for="token">ADMIN_TOKEN, or the project's service-role key</label>
<input id="token" name="token" type="password" autocomplete="off" required autofocus>
<input type="hidden" name="next" value="${escapeHtml(next)}">
<button type="submit">Sign in</button>
</form>
<p class="hint">The session lasts 8 hours in this browser (an HttpOnly cookie for /admin). Scripts can send
<code>Authorization: Bearer &lt;credential&gt;</code> instead.</p>
</body></html>`;
}

/** Where the sign-in form returns to: the page that was asked for, when it is a dashboard page. */
function nextPath(request: Request, home: string): string {
  const url = new URL(request.url);
  url.searchParams.delete('token'); // a refused token is not written into the page
  return request.method === 'GET' && url.pathname.startsWith(home) ? `${url.pathname}${url.search}` : home;
}

function wantsHtml(request: Request): boolean {
  return request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
}

/** True when the browser reached us over https (directly, or through a proxy that says so). */
function isHttps(request: Request): boolean {
  return new URL(request.url).protocol === 'https:' ||
    request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
