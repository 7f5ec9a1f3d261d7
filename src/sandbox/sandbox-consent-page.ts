/**
 * The consent step of the sandbox's authorize pages (X, Instagram, LinkedIn). By default the sandbox
 * approves at once, so tests can follow the redirect; with the setting `oauth.consentPage: true` (the
 * dev stack turns it on) it shows a page with Approve and Decline, like a real platform, so a person
 * trying the connect flow sees where the creator would consent. Either way the authorize URL with
 * `sandbox_consent=approve|deny` decides without the page, and `deny` sends the browser back with
 * the platform's own error.
 */
import type { Context } from 'hono';
import type { SandboxKnobs } from './sandbox-knobs.ts';
import { escapeHtml } from './sandbox-page.ts';

/** The query parameter the page's buttons add to the authorize URL. */
export const CONSENT_DECISION_PARAM = 'sandbox_consent';
/** Setting: true shows the consent page instead of approving at once. (Default: false) */
export const CONSENT_PAGE_SETTING = 'oauth.consentPage';

export interface ConsentRequest {
  /** As the page names it: 'X', 'Instagram', 'LinkedIn'. */
  platformName: string;
  clientId: string;
  scopes: readonly string[];
  /** Who approves: the sandbox account the code will be for. */
  account: string;
  redirectUri: string;
}

/** 'approve' or 'deny' when decided, else the consent page to answer with. */
export function askConsent(
  c: Context,
  knobs: SandboxKnobs,
  request: ConsentRequest,
): 'approve' | 'deny' | Response {
  const decision = c.req.query(CONSENT_DECISION_PARAM);
  if (decision === 'approve' || decision === 'deny') return decision;
  if (!knobs.setting(CONSENT_PAGE_SETTING, false)) return 'approve';
  const here = new URL(c.req.url);
  const choose = (value: 'approve' | 'deny') => {
    const url = new URL(here);
    url.searchParams.set(CONSENT_DECISION_PARAM, value);
    return escapeHtml(url.pathname + url.search);
  };
  const scopes = request.scopes.length === 0
    ? '<li>(no scopes)</li>'
    : request.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('');
  c.header('Cache-Control', 'no-store');
  c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
  return c.html(
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${
      escapeHtml(request.platformName)
    } sandbox: authorize</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}
a.button{display:inline-block;padding:.5rem 1rem;margin-right:.5rem;border:1px solid #333;border-radius:4px;
text-decoration:none;color:#000}a.approve{background:#1d9bf0;color:#fff;border-color:#1d9bf0}</style></head>
<body><p>${escapeHtml(request.platformName)} sandbox — the consent page a creator sees</p>
<h1>Authorize <code>${escapeHtml(request.clientId)}</code>?</h1>
<p>It asks, as <strong>${escapeHtml(request.account)}</strong>, for:</p><ul>${scopes}</ul>
<p>You will be sent back to <code>${escapeHtml(request.redirectUri)}</code>.</p>
<p><a class="button approve" href="${choose('approve')}" data-decision="approve">Approve</a>
<a class="button" href="${choose('deny')}" data-decision="deny">Decline</a></p></body></html>`,
    200,
  );
}
