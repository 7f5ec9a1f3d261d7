/**
 * X OAuth 2.0 in the sandbox (docs/platform-apis.md §1.2): an authorize page that approves as the demo
 * user (at once, or after the consent page of sandbox-consent-page.ts; a decline comes back as
 * `error=access_denied`), the form-encoded token endpoint (confidential client: HTTP Basic required; codes live
 * 30 s and are single-use; PKCE checked; refresh tokens rotate and a spent one is refused, revoking
 * the family), and revoke.
 */
import type { Hono } from 'hono';
import { askConsent } from '../sandbox-consent-page.ts';
import type { XSandboxState } from './x-sandbox-state.ts';
import { ensureUser, nextXId, oauthError, xSetting } from './x-sandbox-state.ts';

const CODE_TTL_MS = 30_000;
const INVALID_TOKEN = 'Value passed for the token was invalid.';

export function registerXOAuthRoutes(app: Hono, state: XSandboxState): void {
  const { knobs } = state;

  app.get('/i/oauth2/authorize', (c) => {
    const q = c.req.query();
    const problems: string[] = [];
    if (q.response_type !== 'code') problems.push('response_type must be "code"');
    if (q.client_id !== knobs.client('x').clientId) problems.push('unknown client_id');
    if (!q.redirect_uri) problems.push('redirect_uri is required');
    if (!q.scope) problems.push('scope is required');
    if (!q.state || q.state.length > 500) problems.push('state is required (at most 500 characters)');
    if (!q.code_challenge) problems.push('code_challenge is required');
    if (q.code_challenge_method !== 'S256' && q.code_challenge_method !== 'plain') {
      problems.push('code_challenge_method must be S256 or plain');
    }
    if (problems.length > 0) {
      return c.html(
        `<h1>Something went wrong</h1><ul>${problems.map((p) => `<li>${p}</li>`).join('')}</ul>`,
        400,
      );
    }
    const username = xSetting(state, 'demoUsername');
    const consent = askConsent(c, knobs, {
      platformName: 'X',
      clientId: q.client_id!,
      scopes: q.scope!.split(' ').filter(Boolean),
      account: `@${username}`,
      redirectUri: q.redirect_uri!,
    });
    if (consent instanceof Response) return consent;
    if (consent === 'deny') {
      const back = new URL(q.redirect_uri!);
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('state', q.state!);
      return c.redirect(back.toString(), 302);
    }
    let userId = [...state.users.values()].find((u) => u.username === username)?.id;
    if (!userId) userId = ensureUser(state, nextXId(state, 'user'), username).id;
    const code = crypto.randomUUID().replace(/-/g, '');
    state.codes.set(code, {
      code,
      clientId: q.client_id!,
      redirectUri: q.redirect_uri!,
      challenge: q.code_challenge!,
      method: q.code_challenge_method as 'S256' | 'plain',
      scopes: q.scope!.split(' ').filter(Boolean),
      userId,
      expiresAt: new Date(knobs.now().getTime() + CODE_TTL_MS),
      used: false,
    });
    const target = new URL(q.redirect_uri!);
    target.searchParams.set('state', q.state!);
    target.searchParams.set('code', code);
    return c.redirect(target.toString(), 302);
  });

  app.post('/2/oauth2/token', async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
      return oauthError(400, 'invalid_request', 'Missing required parameter [grant_type].');
    }
    const form = new URLSearchParams(await c.req.text());
    if (!clientAuthenticated(c.req.header('authorization'), knobs.client('x'))) {
      return oauthError(401, 'unauthorized_client', 'Missing valid authorization header');
    }
    const grant = form.get('grant_type');
    const accessTtlMs = xSetting(state, 'accessTtlSeconds') * 1000;
    const refreshTtlSeconds = xSetting(state, 'refreshTtlSeconds');
    const refreshTtlMs = refreshTtlSeconds === null ? null : refreshTtlSeconds * 1000;

    if (grant === 'authorization_code') {
      const code = state.codes.get(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      if (
        !code || code.used || knobs.now() >= code.expiresAt ||
        code.redirectUri !== form.get('redirect_uri') ||
        !(await challengeMatches(code.challenge, code.method, verifier))
      ) {
        return oauthError(400, 'invalid_request', 'Value passed for the authorization code was invalid.');
      }
      code.used = true;
      const offline = code.scopes.includes('offline.access');
      const record = knobs.tokens.issue({
        platform: 'x',
        subject: code.userId,
        scopes: code.scopes,
        clientId: code.clientId,
        accessTtlMs,
        withRefresh: offline,
        refreshTtlMs,
      });
      return c.json(tokenBody(record, accessTtlMs));
    }
    if (grant === 'refresh_token') {
      const result = knobs.tokens.rotate('x', form.get('refresh_token') ?? '', {
        accessTtlMs,
        refreshTtlMs,
        revokeFamilyOnReuse: xSetting(state, 'revokeFamilyOnReuse'),
      });
      if (result.status !== 'rotated') return oauthError(400, 'invalid_request', INVALID_TOKEN);
      return c.json(tokenBody(result.record, accessTtlMs));
    }
    return oauthError(400, 'invalid_request', 'Value passed for the grant_type was invalid.');
  });

  app.post('/2/oauth2/revoke', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const token = form.get('token') ?? '';
    const basic = clientAuthenticated(c.req.header('authorization'), knobs.client('x'));
    if (!basic && form.get('client_id') !== knobs.client('x').clientId) {
      return oauthError(401, 'unauthorized_client', 'Missing valid authorization header');
    }
    knobs.tokens.revoke('x', token);
    return c.json({ revoked: true });
  });
}

function tokenBody(
  record: { accessToken: string; refreshToken: string | null; scopes: string[] },
  ttlMs: number,
) {
  return {
    token_type: 'bearer',
    expires_in: Math.round(ttlMs / 1000),
    access_token: record.accessToken,
    scope: record.scopes.join(' '),
    ...(record.refreshToken ? { refresh_token: record.refreshToken } : {}),
  };
}

function clientAuthenticated(
  header: string | undefined,
  client: { clientId: string; clientSecret: string },
): boolean {
  const match = /^Basic (\S+)$/.exec(header ?? '');
  if (!match) return false;
  try {
    return atob(match[1]!) === `${client.clientId}:${client.clientSecret}`;
  } catch {
    return false;
  }
}

async function challengeMatches(
  challenge: string,
  method: 'S256' | 'plain',
  verifier: string,
): Promise<boolean> {
  if (verifier.length < 43 || verifier.length > 128) return false;
  if (method === 'plain') return verifier === challenge;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const encoded = btoa(String.fromCharCode(...digest)).replace(/\+/g, '-').replace(/\//g, '_').replace(
    /=+$/,
    '',
  );
  return encoded === challenge;
}
