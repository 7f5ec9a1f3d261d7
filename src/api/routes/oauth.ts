/**
 * Connecting a social account with OAuth 2.0 (authorization code; PKCE S256 on every platform — X
 * requires it, the others ignore the challenge):
 *
 * 1. `POST /accounts/:platform/connect` (signed in) makes a random `state` and a PKCE verifier, keeps
 *    them server-side for 10 minutes (store.saveOAuthState: only the state's hash, the verifier
 *    encrypted) and answers `{ platform, authorizationUrl, state, expiresAt }`. The app opens the URL.
 * 2. The platform redirects the browser to `GET /accounts/:platform/callback?code&state`. No token
 *    comes with that redirect, so the route is public: the state, taken exactly once, names the user.
 *    When the request does carry a bearer token (an app that relays the redirect itself), the state
 *    must belong to that user. The code is exchanged through the platform adapter, the account is
 *    stored with encrypted tokens (or its tokens replaced when it was connected before), and a small
 *    HTML page answers (JSON when the client asks for application/json).
 *
 * The redirect URI is `<OAUTH_REDIRECT_BASE_URL>/accounts/<platform>/callback`; register exactly that
 * with each platform (e.g. https://<ref>.supabase.co/functions/v1/accounts/x/callback).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { AppError, coerceError, hasErrorCode } from '../../domain/error-codes.ts';
import type { Platform } from '../../domain/platform.ts';
import { normalizePlatform, PLATFORMS } from '../../domain/platform.ts';
import type { SocialAccount } from '../../domain/post.ts';
import type { ConnectedAccount, Publisher } from '../../platforms/publisher.ts';
import { createPkceVerifier, pkceChallenge } from '../../platforms/x/x-oauth.ts';
import type { PostStore } from '../../store/post-store.ts';
import type { AppEnv } from '../app-env.ts';
import type { ApiDeps, OAuthConnectDeps } from '../api-deps.ts';
import { requireUser } from '../middleware/require-user.ts';
import { accountResponseSchema, toAccountResponse } from '../schemas/account-schemas.ts';
import { problemResponses } from '../schemas/common-schemas.ts';

/** How long a started connection may wait for its callback. */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;
/** Budget for the code exchange and profile lookup (X codes live 30 s). */
const EXCHANGE_TIMEOUT_MS = 20_000;

const PLATFORM_NAMES: Readonly<Record<Platform, string>> = {
  x: 'X',
  instagram: 'Instagram',
  linkedin: 'LinkedIn',
};

const platformParamsSchema = z.object({
  platform: z.string().openapi({
    param: { name: 'platform', in: 'path' },
    description: 'x, instagram or linkedin (twitter is an alias of x)',
    example: 'x',
  }),
});

const connectResponseSchema = z.object({
  platform: z.enum(PLATFORMS),
  authorizationUrl: z.string().openapi({ format: 'uri' }),
  state: z.string(),
  expiresAt: z.string().openapi({ format: 'date-time' }),
}).openapi('AccountConnection');

const callbackQuerySchema = z.object({
  state: z.string().optional(),
  code: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});

/** True for the callback path, which is public (the state, not a token, names the user). */
export function isOAuthCallbackPath(path: string): boolean {
  return /\/accounts\/[^/]+\/callback\/?$/.test(path);
}

export function registerOAuthRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const { store, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const optionalUser = requireUser(deps.auth);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/accounts/{platform}/connect',
      summary: 'Start connecting an account: open authorizationUrl in the browser within 10 minutes',
      security: [{ bearerAuth: [] }],
      request: { params: platformParamsSchema },
      responses: {
        200: {
          description: 'Where to send the creator',
          content: { 'application/json': { schema: connectResponseSchema } },
        },
        ...problemResponses(401, 422, 503),
      },
    }),
    async (c) => {
      const platform = platformOf(c.req.valid('param').platform);
      const { publisher, redirectUri } = connectionFor(deps.oauth, platform);
      const state = randomState();
      const codeVerifier = createPkceVerifier();
      let authorizationUrl: string;
      try {
        authorizationUrl = publisher.authorizationUrl({
          state,
          redirectUri,
          codeChallenge: await pkceChallenge(codeVerifier),
        });
      } catch (err) {
        throw new AppError(
          'oauth_not_configured',
          `${PLATFORM_NAMES[platform]} cannot be connected: ${coerceError(err).message}`,
          { platform },
        );
      }
      const userId = c.get('userId');
      const expiresAt = new Date(now().getTime() + OAUTH_STATE_TTL_MS);
      await store.saveOAuthState({ state, userId, platform, codeVerifier, redirectUri, expiresAt });
      logger.info({ platform }, 'account connection started');
      c.header('Cache-Control', 'no-store');
      return c.json({ platform, authorizationUrl, state, expiresAt: expiresAt.toISOString() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/accounts/{platform}/callback',
      summary: 'Where the platform sends the browser back; public, the state names the user',
      description: 'Answers an HTML page, or the account as JSON when the request accepts application/json ' +
        'and not text/html. An optional bearer token must belong to the user who started the connection.',
      request: { params: platformParamsSchema, query: callbackQuerySchema },
      responses: {
        200: {
          description: 'An account connected before got new tokens',
          content: {
            'application/json': { schema: accountResponseSchema },
            'text/html': { schema: z.string() },
          },
        },
        201: {
          description: 'The account is connected',
          content: {
            'application/json': { schema: accountResponseSchema },
            'text/html': { schema: z.string() },
          },
        },
        ...problemResponses(400, 401, 422, 502, 503),
      },
    }),
    async (c) => {
      const platform = platformOf(c.req.valid('param').platform);
      const query = c.req.valid('query');
      const { publisher } = connectionFor(deps.oauth, platform);
      if (!query.state) throw stateInvalid(platform, 'the callback has no state parameter');
      if (!query.error && !query.code) {
        throw new AppError('validation_failed', 'the callback has neither a code nor an error parameter', {
          path: 'code',
        });
      }
      let userId: string | undefined;
      if (c.req.header('authorization') !== undefined) {
        await optionalUser(c, () => Promise.resolve());
        userId = c.get('userId');
      }
      const pending = await store.consumeOAuthState({ state: query.state, platform, now: now(), userId });
      if (!pending) {
        throw stateInvalid(
          platform,
          'the state is unknown, expired (10 minutes), already used, or not yours',
        );
      }
      if (query.error) {
        logger.info({ platform, error: query.error }, 'account connection declined');
        throw new AppError(
          'oauth_denied',
          `${PLATFORM_NAMES[platform]} answered ${query.error}${
            query.error_description ? ` (${query.error_description})` : ''
          }; nothing was connected — start again with POST /accounts/${platform}/connect`,
          { platform },
        );
      }
      const connected = await exchange(publisher, platform, {
        code: query.code!,
        redirectUri: pending.redirectUri,
        codeVerifier: pending.codeVerifier,
      });
      const { account, created } = await saveAccount(store, pending.userId, platform, connected);
      logger.info({ platform, accountId: account.id, created }, 'account connected');
      return respond(c, account, created);
    },
  );
}

function platformOf(input: string): Platform {
  const platform = normalizePlatform(input);
  if (!platform) {
    throw new AppError(
      'validation_failed',
      `unknown platform ${JSON.stringify(input)}; use one of ${PLATFORMS.join(', ')}`,
      { path: 'platform' },
    );
  }
  return platform;
}

function connectionFor(
  oauth: OAuthConnectDeps | undefined,
  platform: Platform,
): { publisher: Publisher; redirectUri: string } {
  if (!oauth?.redirectBaseUrl) {
    throw new AppError(
      'oauth_not_configured',
      'connecting accounts needs OAUTH_REDIRECT_BASE_URL, the public URL of this API (e.g. ' +
        'https://<ref>.supabase.co/functions/v1, or http://localhost:8787 locally); register ' +
        `<that URL>/accounts/${platform}/callback as the redirect URI with ${PLATFORM_NAMES[platform]}`,
      { platform },
    );
  }
  const base = oauth.redirectBaseUrl.replace(/\/+$/, '');
  return { publisher: oauth.publishers[platform], redirectUri: `${base}/accounts/${platform}/callback` };
}

/** 32 random bytes, base64url: 43 characters, within X's 500-character limit. */
function randomState(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function stateInvalid(platform: Platform, why: string): AppError {
  return new AppError(
    'oauth_state_invalid',
    `${why}; start again with POST /accounts/${platform}/connect`,
    { platform, path: 'state' },
  );
}

async function exchange(
  publisher: Publisher,
  platform: Platform,
  params: { code: string; redirectUri: string; codeVerifier: string },
): Promise<ConnectedAccount> {
  try {
    return await publisher.exchangeCode(params, AbortSignal.timeout(EXCHANGE_TIMEOUT_MS));
  } catch (err) {
    // Adapter messages name the platform's answer and never carry tokens.
    throw new AppError(
      'oauth_exchange_failed',
      `${PLATFORM_NAMES[platform]} did not accept the authorization: ${coerceError(err).message}. ` +
        `Start again with POST /accounts/${platform}/connect`,
      { platform },
      { cause: err },
    );
  }
}

/** Creates the account, or gives an account connected before its new tokens and `active` again. */
async function saveAccount(
  store: PostStore,
  userId: string,
  platform: Platform,
  connected: ConnectedAccount,
): Promise<{ account: SocialAccount; created: boolean }> {
  for (let attempt = 0;; attempt++) {
    const existing = (await store.listAccounts(userId)).find((a) =>
      a.platform === platform && a.externalId === connected.externalId
    );
    if (existing) {
      await store.updateAccountTokens(existing.id, connected.tokens);
      if (existing.status !== 'active') await store.setAccountStatus(existing.id, 'active');
      return { account: (await store.getAccount(existing.id, userId)) ?? existing, created: false };
    }
    try {
      const account = await store.createAccount({
        userId,
        platform,
        externalId: connected.externalId,
        displayName: connected.displayName,
        scopes: connected.scopes,
        tokens: connected.tokens,
      });
      return { account, created: true };
    } catch (err) {
      // A concurrent callback for the same account won the insert: update that one instead.
      if (!hasErrorCode(err, 'account_conflict') || attempt > 0) throw err;
    }
  }
}

function respond(c: Context<AppEnv>, account: SocialAccount, created: boolean): Response {
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
