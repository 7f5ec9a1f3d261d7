/**
 * The pages the dev stack serves in place of the creator app's, so the OAuth connect flow runs end to
 * end locally, the way an app wires it:
 *
 * - `GET /dev/connect` lists the platforms; its buttons `POST /dev/connect/:platform`, which starts a
 *   connection as the demo creator (the typed client's `startConnection`) and sends the browser to the
 *   sandbox's consent page.
 * - The sandbox sends the browser back to `GET /dev/oauth-return/:platform?code&state` — the dev
 *   stack's OAUTH_APP_RETURN_URL — which completes as the demo creator with the typed client's
 *   `completeConnection` (POST /accounts/:platform/callback with a dev token, as an app does with the
 *   signed-in user's) and shows what the API answered.
 *
 * The requests go straight into the in-process API (`apiFetch`), through the whole app: auth, the
 * state check, the code exchange with the sandbox, the store.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { createPublisherClient, PublisherApiError } from '../client/index.ts';
import type { Account, PublisherClient } from '../client/index.ts';
import { coerceError } from '../domain/error-codes.ts';
import type { Platform } from '../domain/platform.ts';
import { normalizePlatform, PLATFORMS } from '../domain/platform.ts';
import { createDevSupabaseClient } from './dev-supabase-client.ts';

/** The start page, relative to the API URL. */
export const DEV_CONNECT_PATH = '/dev/connect';
/** The app return page's base, relative to the API URL: the platforms return to `<it>/<platform>`. */
export const DEV_OAUTH_RETURN_PATH = '/dev/oauth-return';

const PLATFORM_NAMES: Readonly<Record<Platform, string>> = {
  x: 'X',
  instagram: 'Instagram',
  linkedin: 'LinkedIn',
};

export interface DevConnectPagesOptions {
  apiUrl: string;
  /** Serves a request with the dev API, in process. */
  apiFetch: (request: Request) => Response | Promise<Response>;
  /** A dev token for the demo creator, fresh for each request. */
  token: () => Promise<string>;
}

export interface DevConnectPages {
  /** True for the paths these pages serve (everything under /dev/). */
  handles(path: string): boolean;
  fetch(request: Request): Promise<Response>;
}

export function createDevConnectPages(options: DevConnectPagesOptions): DevConnectPages {
  const app = new Hono();
  const client = async (): Promise<PublisherClient> =>
    createPublisherClient(
      createDevSupabaseClient(
        options.apiUrl,
        await options.token(),
        (input, init) => Promise.resolve(options.apiFetch(new Request(input, init))),
      ),
    );

  app.get(DEV_CONNECT_PATH, (c) => page(c, 200, 'Connect a sandbox account', startPage()));

  app.post(`${DEV_CONNECT_PATH}/:platform`, async (c) => {
    const platform = normalizePlatform(c.req.param('platform'));
    if (!platform) return page(c, 404, 'Unknown platform', `<p>Use one of ${PLATFORMS.join(', ')}.</p>`);
    try {
      const started = await (await client()).startConnection(platform);
      return c.redirect(started.authorizationUrl, 303);
    } catch (err) {
      return failure(c, platform, err);
    }
  });

  app.get(`${DEV_OAUTH_RETURN_PATH}/:platform`, async (c) => {
    const platform = normalizePlatform(c.req.param('platform'));
    if (!platform) return page(c, 404, 'Unknown platform', `<p>Use one of ${PLATFORMS.join(', ')}.</p>`);
    try {
      const account = await (await client()).completeConnection(platform, new URL(c.req.url));
      return page(c, 200, `${PLATFORM_NAMES[platform]} account connected`, connectedPage(account));
    } catch (err) {
      return failure(c, platform, err);
    }
  });

  return {
    handles: (path) => path.startsWith('/dev/'),
    fetch: async (request) => await app.fetch(request),
  };
}

function startPage(): string {
  const buttons = PLATFORMS.map((platform) =>
    `<form method="post" action="${DEV_CONNECT_PATH}/${platform}"><button>Connect ${
      PLATFORM_NAMES[platform]
    }</button></form>`
  ).join('\n');
  return `<p>This page stands in for the creator app. Each button starts a connection as the demo
creator (<code>POST /accounts/:platform/connect</code>), the sandbox shows its consent page, and the
platform returns to this stack's app return page, which completes with
<code>POST /accounts/:platform/callback</code> and the demo creator's token.</p>
${buttons}
<p>The sandbox approves as the demo creator's own sandbox accounts, so connecting again refreshes their
tokens instead of adding accounts.</p>`;
}

function connectedPage(account: Account): string {
  return `<p><strong>${escapeHtml(account.displayName ?? account.externalId)}</strong> is connected to the
demo creator (status <code>${escapeHtml(account.status)}</code>).</p>
<p data-account-id="${escapeHtml(account.id)}">Account <code>${escapeHtml(account.id)}</code>.</p>
<p><a href="${DEV_CONNECT_PATH}">Connect another</a></p>`;
}

function failure(c: Context, platform: Platform, err: unknown): Response {
  const error = err instanceof PublisherApiError
    ? err
    : new PublisherApiError('unexpected_response', coerceError(err).message);
  return page(
    c,
    (error.status ?? 502) as ContentfulStatusCode,
    `${PLATFORM_NAMES[platform]}: not connected`,
    `<p>The API answered <code data-code="${escapeHtml(error.code)}">${escapeHtml(error.code)}</code>${
      error.status ? ` (HTTP ${error.status})` : ''
    }:</p>
<p>${escapeHtml(error.message)}</p>
<p><a href="${DEV_CONNECT_PATH}">Start again</a></p>`,
  );
}

function page(c: Context, status: ContentfulStatusCode, title: string, body: string): Response {
  // The return page's URL carries a code: keep it out of caches and Referer headers.
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
  return c.html(
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}
form{display:inline-block;margin:0 .5rem .5rem 0}</style></head>
<body><p>SoloSpark dev stack — the creator app's connect pages</p><h1>${escapeHtml(title)}</h1>
${body}</body></html>`,
    status,
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
