/**
 * LinkedIn sandbox OAuth (docs/platform-apis.md §3.2): the authorize page (approves as the sandbox
 * member, at once or after the consent page of sandbox-consent-page.ts; a decline comes back as
 * `error=user_cancelled_authorize`), `POST /oauth/v2/accessToken` (form-encoded; authorization_code and
 * refresh_token grants; client id and secret checked), and `GET /v2/userinfo`.
 *
 * Access tokens live 60 days. With the setting `linkedin.grantRefreshTokens` (default true: an approved
 * partner app) a refresh token comes too; it lives 365 days from the first authorization, is reusable
 * (LinkedIn does not rotate it) and refreshing never extends it. With false, no refresh token is issued.
 */
import type { Context, Hono } from 'hono';
import {
  ACCESS_TTL_MS,
  authenticate,
  type LinkedInSandboxState,
  REFRESH_TTL_MS,
  restError,
} from './linkedin-sandbox-state.ts';
import { askConsent } from '../sandbox-consent-page.ts';

const CODE_TTL_MS = 30 * 60 * 1000;

export function registerLinkedInOAuthRoutes(app: Hono, state: LinkedInSandboxState): void {
  const { knobs } = state;

  app.get('/oauth/v2/authorization', (c) => {
    const q = c.req.query();
    if (q.response_type !== 'code' || q.client_id !== knobs.client('linkedin').clientId || !q.redirect_uri) {
      return c.text(
        'invalid_request: response_type=code, a known client_id and redirect_uri are required',
        400,
      );
    }
    const subject = knobs.setting('linkedin.authorizeAs', 'urn:li:person:sandboxMember');
    const scopes = (q.scope ?? '').split(/[ ,]+/).filter((s) => s !== '');
    const consent = askConsent(c, knobs, {
      platformName: 'LinkedIn',
      clientId: q.client_id,
      scopes,
      account: state.members.get(subject)?.name ?? subject,
      redirectUri: q.redirect_uri,
    });
    if (consent instanceof Response) return consent;
    if (consent === 'deny') {
      const back = new URL(q.redirect_uri);
      back.searchParams.set('error', 'user_cancelled_authorize');
      back.searchParams.set('error_description', 'The user cancelled the authorization');
      if (q.state) back.searchParams.set('state', q.state);
      return c.redirect(back.toString(), 302);
    }
    if (!state.members.has(subject)) state.members.set(subject, { name: 'Sandbox Member' });
    const code = crypto.randomUUID();
    state.codes.set(code, {
      subject,
      clientId: q.client_id,
      redirectUri: q.redirect_uri,
      scopes,
      expiresAt: new Date(knobs.now().getTime() + CODE_TTL_MS),
    });
    const back = new URL(q.redirect_uri);
    back.searchParams.set('code', code);
    if (q.state) back.searchParams.set('state', q.state);
    return c.redirect(back.toString(), 302);
  });

  app.post('/oauth/v2/accessToken', async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
      return oauthError(c, 400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(await c.req.text());
    const client = knobs.client('linkedin');
    if (form.get('client_id') !== client.clientId || form.get('client_secret') !== client.clientSecret) {
      return oauthError(c, 401, 'invalid_client', 'Client authentication failed');
    }
    const grant = form.get('grant_type');
    if (grant === 'authorization_code') return exchangeCode(c, state, form);
    if (grant === 'refresh_token') return refresh(c, state, form.get('refresh_token') ?? '');
    return oauthError(c, 400, 'unsupported_grant_type', `grant_type ${grant ?? '(none)'} is not supported`);
  });

  app.get('/v2/userinfo', (c) => {
    const auth = authenticate(state, c);
    if (auth instanceof Response) return auth;
    if (!auth.scopes.includes('openid')) {
      return restError(c, 403, {
        serviceErrorCode: 100,
        code: 'ACCESS_DENIED',
        message: 'Not enough permissions to access: GET /userinfo',
      });
    }
    const sub = auth.subject.replace(/^urn:li:person:/, '');
    const name = state.members.get(auth.subject)?.name ?? sub;
    const [given, ...family] = name.split(' ');
    return c.json({
      sub,
      name,
      given_name: given,
      family_name: family.join(' '),
      locale: { country: 'US', language: 'en' },
    });
  });
}

function exchangeCode(c: Context, state: LinkedInSandboxState, form: URLSearchParams): Response {
  const { knobs } = state;
  const code = form.get('code') ?? '';
  const grant = state.codes.get(code);
  state.codes.delete(code);
  if (!grant || grant.expiresAt < knobs.now() || grant.redirectUri !== form.get('redirect_uri')) {
    return oauthError(
      c,
      400,
      'invalid_request',
      'Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists',
    );
  }
  const withRefresh = knobs.setting('linkedin.grantRefreshTokens', true);
  const record = knobs.tokens.issue({
    platform: 'linkedin',
    subject: grant.subject,
    scopes: grant.scopes,
    clientId: grant.clientId,
    accessTtlMs: ACCESS_TTL_MS,
    refreshTtlMs: withRefresh ? REFRESH_TTL_MS : null,
  });
  return c.json(
    tokenBody(record.accessToken, record.refreshToken, record.refreshExpiresAt, record.scopes, knobs.now()),
  );
}

function refresh(c: Context, state: LinkedInSandboxState, refreshToken: string): Response {
  const { knobs } = state;
  const record = knobs.tokens.list('linkedin').findLast((r) => r.refreshToken === refreshToken);
  const usable = record && !record.revoked &&
    (!record.refreshExpiresAt || record.refreshExpiresAt > knobs.now());
  knobs.tokens.noteRefreshAttempt({
    platform: 'linkedin',
    tokenPrefix: refreshToken,
    outcome: usable ? 'refreshed' : 'rejected',
  });
  if (!record || !usable) {
    return oauthError(
      c,
      400,
      'invalid_request',
      'The provided authorization grant or refresh token is invalid, expired or revoked.',
    );
  }
  const next = knobs.tokens.issue({
    platform: 'linkedin',
    subject: record.subject,
    scopes: record.scopes,
    clientId: record.clientId,
    accessTtlMs: ACCESS_TTL_MS,
    refreshToken,
    refreshExpiresAt: record.refreshExpiresAt,
    family: record.family,
  });
  return c.json(tokenBody(next.accessToken, refreshToken, next.refreshExpiresAt, next.scopes, knobs.now()));
}

function tokenBody(
  accessToken: string,
  refreshToken: string | null,
  refreshExpiresAt: Date | null,
  scopes: string[],
  now: Date,
) {
  return {
    access_token: accessToken,
    expires_in: ACCESS_TTL_MS / 1000,
    ...(refreshToken && refreshExpiresAt
      ? {
        refresh_token: refreshToken,
        refresh_token_expires_in: Math.floor((refreshExpiresAt.getTime() - now.getTime()) / 1000),
      }
      : {}),
    scope: scopes.join(','),
  };
}

function oauthError(c: Context, status: 400 | 401, error: string, description: string): Response {
  return c.json({ error, error_description: description }, status);
}
