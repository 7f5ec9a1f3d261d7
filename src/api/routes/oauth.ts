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
import { AppError, coerceError } from '../../domain/error-codes.ts';
import { createPkceVerifier, pkceChallenge } from '../../platforms/x/x-oauth.ts';
import type { AppEnv } from '../app-env.ts';
import type { ApiDeps } from '../api-deps.ts';
import { requireUser } from '../middleware/require-user.ts';
import { accountResponseSchema } from '../schemas/account-schemas.ts';
import { problemResponses } from '../schemas/common-schemas.ts';
import {
  callbackQuerySchema,
  connectResponseSchema,
  platformParamsSchema,
} from '../schemas/oauth-schemas.ts';
import { connectedAccountResponse } from './connected-account-response.ts';
import {
  connectionFor,
  exchange,
  PLATFORM_NAMES,
  platformOf,
  randomState,
  stateInvalid,
} from './oauth-connection.ts';
import { saveConnectedAccount } from './save-connected-account.ts';

/** How long a started connection may wait for its callback. */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;

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
      const { account, created } = await saveConnectedAccount(store, pending.userId, platform, connected);
      logger.info({ platform, accountId: account.id, created }, 'account connected');
      return connectedAccountResponse(c, account, created);
    },
  );
}
