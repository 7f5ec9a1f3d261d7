/**
 * The answer to a successful OAuth callback: 201 for a new account, 200 for one connected again; a
 * small HTML page for the browser the platform redirected, JSON for a client that asks only for it.
 */
import type { Context } from 'hono';
import type { SocialAccount } from '../../domain/post.ts';
import type { AppEnv } from '../app-env.ts';
import { toAccountResponse } from '../schemas/account-schemas.ts';
import { PLATFORM_NAMES } from './oauth-connection.ts';

export function connectedAccountResponse(
  c: Context<AppEnv>,
  account: SocialAccount,
  created: boolean,
): Response {
  const status = created ? 201 : 200;
  // The URL carries the (spent) code: keep it out of caches and Referer headers.
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  const accept = c.req.header('accept') ?? '';
  if (accept.includes('application/json') && !accept.includes('text/html')) {
    return c.json(toAccountResponse(account), status);
  }
  c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
  const name = account.displayName ?? account.externalId;
  return c.html(
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Account connected</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style></head>
<body><h1>${PLATFORM_NAMES[account.platform]} account connected</h1>
<p><strong>${escapeHtml(name)}</strong> is ${
      created ? 'now connected' : 'connected again with fresh access'
    } to SoloSpark. You can close this window.</p>
<p data-account-id="${escapeHtml(account.id)}" hidden></p></body></html>`,
    status,
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
