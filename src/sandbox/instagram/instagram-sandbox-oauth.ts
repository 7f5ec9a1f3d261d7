/**
 * Instagram sandbox tokens (docs/platform-apis.md §2.2, Instagram Login): the authorize page (approves as
 * the sandbox account, at once or after the consent page of sandbox-consent-page.ts; a decline comes
 * back as `error=access_denied&error_reason=user_denied`), `POST /oauth/access_token` (code → 1-hour token; `user_id`
 * as a JSON number, as Instagram sends it), `GET /access_token?grant_type=ig_exchange_token` (→ 60-day
 * token), `GET /refresh_access_token?grant_type=ig_refresh_token` (only for a long-lived token that is
 * at least 24 hours old and unexpired; → a new 60-day token) and `GET /me`.
 */
import type { Context, Hono } from 'hono';
import {
  authenticate,
  graphError,
  type InstagramSandboxState,
  LONG_LIVED_TTL_MS,
  SHORT_LIVED_TTL_MS,
} from './instagram-sandbox-state.ts';
import { askConsent } from '../sandbox-consent-page.ts';

const MIN_REFRESH_AGE_MS = 24 * 60 * 60 * 1000;
const CODE_TTL_MS = 10 * 60 * 1000;

export function registerInstagramOAuthRoutes(app: Hono, state: InstagramSandboxState): void {
  const { knobs } = state;

  app.get('/oauth/authorize', (c) => {
    const q = c.req.query();
    if (q.response_type !== 'code' || q.client_id !== knobs.client('instagram').clientId || !q.redirect_uri) {
      return c.text(
        'Invalid request: response_type=code, a known client_id and redirect_uri are required',
        400,
      );
    }
    const userId = knobs.setting('instagram.authorizeAs', '17841400000000001');
    const scopes = (q.scope ?? '').split(/[ ,]+/).filter((s) => s !== '');
    const consent = askConsent(c, knobs, {
      platformName: 'Instagram',
      clientId: q.client_id,
      scopes,
      account: state.accounts.get(userId)?.username ?? 'sandbox_creator',
      redirectUri: q.redirect_uri,
    });
    if (consent instanceof Response) return consent;
    if (consent === 'deny') {
      const back = new URL(q.redirect_uri);
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_reason', 'user_denied');
      back.searchParams.set('error_description', 'Permissions error');
      if (q.state) back.searchParams.set('state', q.state);
      return c.redirect(back.toString(), 302);
    }
    if (!state.accounts.has(userId)) state.accounts.set(userId, { username: 'sandbox_creator' });
    const code = crypto.randomUUID().replace(/-/g, '');
    state.codes.set(code, {
      userId,
      redirectUri: q.redirect_uri,
      scopes,
      expiresAt: new Date(knobs.now().getTime() + CODE_TTL_MS),
    });
    const back = new URL(q.redirect_uri);
    back.searchParams.set('code', code);
    if (q.state) back.searchParams.set('state', q.state);
    return c.redirect(back.toString(), 302);
  });

  app.post('/oauth/access_token', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const client = knobs.client('instagram');
    if (form.get('client_id') !== client.clientId || form.get('client_secret') !== client.clientSecret) {
      return oauthError(c, 'Invalid platform app');
    }
    if (form.get('grant_type') !== 'authorization_code') return oauthError(c, 'Invalid grant_type');
    const code = form.get('code') ?? '';
    const grant = state.codes.get(code);
    state.codes.delete(code);
    if (!grant || grant.expiresAt < knobs.now() || grant.redirectUri !== form.get('redirect_uri')) {
      return oauthError(c, 'Invalid authorization code');
    }
    const record = knobs.tokens.issue({
      platform: 'instagram',
      subject: grant.userId,
      scopes: grant.scopes,
      clientId: client.clientId,
      accessTtlMs: SHORT_LIVED_TTL_MS,
    });
    // user_id is a number beyond 2^53: written by hand so its digits are exact, as Instagram's are.
    const body = `{"access_token":${JSON.stringify(record.accessToken)},"user_id":${grant.userId},` +
      `"permissions":${JSON.stringify(grant.scopes)}}`;
    return c.body(body, 200, { 'content-type': 'application/json' });
  });

  app.get('/access_token', (c) => {
    const q = c.req.query();
    if (q.grant_type !== 'ig_exchange_token') {
      return graphError(c, 400, { message: 'Unsupported grant_type', code: 100 });
    }
    if (q.client_secret !== knobs.client('instagram').clientSecret) {
      return graphError(c, 400, { message: 'Error validating client secret.', code: 1 });
    }
    const auth = authenticate(state, c, q);
    if (auth instanceof Response) return auth;
    const record = knobs.tokens.issue({
      platform: 'instagram',
      subject: auth.subject,
      scopes: auth.scopes,
      clientId: auth.clientId,
      accessTtlMs: LONG_LIVED_TTL_MS,
      family: auth.family,
    });
    return c.json({
      access_token: record.accessToken,
      token_type: 'bearer',
      expires_in: LONG_LIVED_TTL_MS / 1000,
    });
  });

  app.get('/refresh_access_token', (c) => {
    const q = c.req.query();
    if (q.grant_type !== 'ig_refresh_token') {
      return graphError(c, 400, { message: 'Unsupported grant_type', code: 100 });
    }
    const auth = authenticate(state, c, q);
    const prefix = q.access_token ?? '';
    if (auth instanceof Response) {
      knobs.tokens.noteRefreshAttempt({ platform: 'instagram', tokenPrefix: prefix, outcome: 'rejected' });
      return auth;
    }
    const age = knobs.now().getTime() - auth.issuedAt.getTime();
    const longLived = auth.expiresAt.getTime() - auth.issuedAt.getTime() > SHORT_LIVED_TTL_MS;
    if (!longLived || age < MIN_REFRESH_AGE_MS) {
      knobs.tokens.noteRefreshAttempt({ platform: 'instagram', tokenPrefix: prefix, outcome: 'rejected' });
      return graphError(c, 400, {
        message: longLived
          ? 'The access token can be refreshed only once it is at least 24 hours old'
          : 'Only long-lived access tokens can be refreshed',
        code: 100,
      });
    }
    const record = knobs.tokens.issue({
      platform: 'instagram',
      subject: auth.subject,
      scopes: auth.scopes,
      clientId: auth.clientId,
      accessTtlMs: LONG_LIVED_TTL_MS,
      family: auth.family,
    });
    knobs.tokens.noteRefreshAttempt({ platform: 'instagram', tokenPrefix: prefix, outcome: 'refreshed' });
    return c.json({
      access_token: record.accessToken,
      token_type: 'bearer',
      expires_in: LONG_LIVED_TTL_MS / 1000,
    });
  });

  app.get('/me', (c) => {
    const auth = authenticate(state, c, c.req.query());
    if (auth instanceof Response) return auth;
    const fields = (c.req.query('fields') ?? 'id').split(',');
    const all: Record<string, unknown> = {
      id: auth.subject,
      user_id: auth.subject,
      username: state.accounts.get(auth.subject)?.username ?? `creator_${auth.subject.slice(-4)}`,
      account_type: 'BUSINESS',
    };
    const out: Record<string, unknown> = { id: auth.subject };
    for (const field of fields) if (field in all) out[field] = all[field];
    return c.json(out);
  });
}

function oauthError(c: Context, message: string): Response {
  return c.json({ error_type: 'OAuthException', code: 400, error_message: message }, 400);
}
