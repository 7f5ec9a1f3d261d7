/**
 * Connecting a social account with OAuth 2.0 (authorization code; PKCE S256 on every platform — X
 * requires it, the others ignore the challenge). A connection completes only for the creator who
 * started it: the state is bound to the creator's session (RFC 9700 §4.7), not trusted alone.
 *
 * 1. `POST /accounts/:platform/connect` (signed in) makes a random `state` and a PKCE verifier, keeps
 *    them server-side for 10 minutes with the user's id (store.saveOAuthState: only the state's hash,
 *    the verifier encrypted) and answers `{ platform, authorizationUrl, state, expiresAt }`. The app
 *    opens the URL; its redirect URI is the app's own page, `<OAUTH_APP_RETURN_URL>/<platform>`.
 * 2. The creator approves; the platform sends the browser to that page with `code` and `state`.
 * 3. The app, which holds the creator's session, calls `POST /accounts/:platform/callback` with the
 *    creator's JWT and `{ code, state }`. The state is taken exactly once and only when it belongs to
 *    that user; the code is exchanged (with the verifier and the same redirect URI) and the account
 *    stored with encrypted tokens, or its tokens replaced when it was connected before.
 *
 * Why not complete on the platform's redirect: that request carries no session, only the state. An
 * attacker could start a connection, send the authorizationUrl to a victim, and the victim's approval
 * would store the victim's account under the attacker. Now the victim's app completes with the
 * victim's JWT, the state is the attacker's, and nothing is stored.
 *
 * `GET /accounts/:platform/callback` stays, public, for redirects that still land on the API (a
 * connection started when the redirect URI was the API's, `<OAUTH_REDIRECT_BASE_URL>/accounts/…`): it
 * never touches the store, only sends the browser on to the app's return page with the same
 * parameters, where the app completes it like any other (the exchange repeats the stored URI).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { AppError, coerceError } from '../../domain/error-codes.ts';
import { createPkceVerifier, pkceChallenge } from '../../platforms/x/x-oauth.ts';
import type { AppEnv } from '../app-env.ts';
import type { ApiDeps } from '../api-deps.ts';
import { requireJsonBody } from '../middleware/require-json-body.ts';
import { requireUser } from '../middleware/require-user.ts';
import { accountResponseSchema, toAccountResponse } from '../schemas/account-schemas.ts';
import { problemResponses } from '../schemas/common-schemas.ts';
import {
  callbackBodySchema,
  callbackQuerySchema,
  connectResponseSchema,
  platformParamsSchema,
} from '../schemas/oauth-schemas.ts';
import { invalidInput } from '../validation-error.ts';
import {
  appReturnUriFor,
  exchange,
  PLATFORM_NAMES,
  platformOf,
  publisherFor,
  randomState,
  stateInvalid,
} from './oauth-connection.ts';
import { saveConnectedAccount } from './save-connected-account.ts';

/** How long a started connection may wait for its completion. */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;
/** A code and a state are small; nothing bigger is read. */
const CALLBACK_BODY_LIMIT_BYTES = 8 * 1024;
/** The redirect's parameters the GET callback passes on to the app; nothing else is forwarded. */
const FORWARDED_PARAMS = ['code', 'state', 'error', 'error_description'] as const;

/**
 * True for the callback path. create-app.ts lets it through without a token because the GET is the
 * platform's redirect; the POST, which completes, requires the user itself (see below).
 */
export function isOAuthCallbackPath(path: string): boolean {
  return /\/accounts\/[^/]+\/callback\/?$/.test(path);
}

export function registerOAuthRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const { store, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const limitBody = bodyLimit({
    maxSize: CALLBACK_BODY_LIMIT_BYTES,
    onError() {
      throw new AppError(
        'body_too_large',
        `the body is larger than ${CALLBACK_BODY_LIMIT_BYTES} bytes; send only the code and state`,
      );
    },
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/accounts/{platform}/connect',
      summary: 'Start connecting an account: open authorizationUrl in the browser within 10 minutes',
      description: 'The platform returns the browser to <OAUTH_APP_RETURN_URL>/<platform> with code and ' +
        'state; complete there with POST /accounts/{platform}/callback, signed in as the same user.',
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
      const publisher = publisherFor(deps.oauth, platform);
      const redirectUri = appReturnUriFor(deps.oauth, platform);
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
      method: 'post',
      path: '/accounts/{platform}/callback',
      summary: 'Complete a connection: the code and state from the redirect, as the user who started it',
      description: "The app calls this from its return page with the signed-in creator's token. A state " +
        'that is unknown, expired, already used or started by another user connects nothing (400 ' +
        'oauth_state_invalid). With error instead of code (the creator declined) the answer is 400 ' +
        'oauth_denied; a code the platform refuses is 400 oauth_code_rejected. A refused completion ' +
        'leaves the state pending until it expires.',
      security: [{ bearerAuth: [] }],
      middleware: [requireUser(deps.auth), limitBody, requireJsonBody()],
      request: {
        params: platformParamsSchema,
        body: { content: { 'application/json': { schema: callbackBodySchema } }, required: true },
      },
      responses: {
        200: {
          description: 'An account connected before got new tokens and is active again',
          content: { 'application/json': { schema: accountResponseSchema } },
        },
        201: {
          description: 'The account is connected',
          content: { 'application/json': { schema: accountResponseSchema } },
        },
        ...problemResponses(400, 401, 413, 415, 422, 502, 503),
      },
    }),
    async (c) => {
      const platform = platformOf(c.req.valid('param').platform);
      const body = c.req.valid('json');
      const publisher = publisherFor(deps.oauth, platform);
      if (!body.error && !body.code) {
        throw invalidInput([{
          path: 'code',
          message: 'send the code (or the error) parameter of the redirect to your return page',
        }]);
      }
      const userId = c.get('userId');
      // Read first, take after the exchange: a completion that is refused (declined, code refused,
      // platform down) leaves the state for a retry within its 10 minutes and changes nothing.
      const query = { state: body.state, platform, now: now(), userId };
      const pending = await store.findOAuthState(query);
      if (!pending) {
        logger.info({ platform }, 'account connection refused: state not pending for this user');
        throw stateInvalid(
          platform,
          'the state is unknown, expired (10 minutes), already used, or was started by another user ' +
            '(a connection completes only for the creator who started it)',
        );
      }
      if (body.error) {
        logger.info({ platform, error: body.error }, 'account connection declined');
        throw new AppError(
          'oauth_denied',
          `${PLATFORM_NAMES[platform]} answered ${body.error}${
            body.error_description ? ` (${body.error_description})` : ''
          }; nothing was connected — start again with POST /accounts/${platform}/connect`,
          { platform },
        );
      }
      const connected = await exchange(publisher, platform, {
        code: body.code!,
        redirectUri: pending.redirectUri,
        codeVerifier: pending.codeVerifier,
      });
      // Exactly one completion takes the state; a concurrent one that lost stores nothing.
      if (!await store.consumeOAuthState({ ...query, now: now() })) {
        logger.info({ platform }, 'account connection refused: the state was taken meanwhile');
        throw stateInvalid(platform, 'the state was used by another completion of this connection');
      }
      const { account, created } = await saveConnectedAccount(store, pending.userId, platform, connected);
      logger.info({ platform, accountId: account.id, created }, 'account connected');
      // The answer to a spent code is personal and final: no cache may keep it.
      c.header('Cache-Control', 'no-store');
      const response = toAccountResponse(account);
      return created ? c.json(response, 201) : c.json(response, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/accounts/{platform}/callback',
      summary: 'A platform redirect that reached the API: sent on to the app, which completes it',
      description: 'Public (the redirect carries no token) and it never connects anything: it answers ' +
        '303 to <OAUTH_APP_RETURN_URL>/<platform> with the same code, state and error parameters, and ' +
        'the app completes with POST /accounts/{platform}/callback.',
      request: { params: platformParamsSchema, query: callbackQuerySchema },
      responses: {
        303: {
          description: "Go to the app's return page, which completes the connection",
          headers: z.object({ Location: z.string().openapi({ format: 'uri' }) }),
        },
        ...problemResponses(400, 422, 503),
      },
    }),
    (c) => {
      const platform = platformOf(c.req.valid('param').platform);
      const query = c.req.valid('query');
      if (!query.state) throw stateInvalid(platform, 'the callback has no state parameter');
      if (!query.error && !query.code) {
        throw new AppError('validation_failed', 'the callback has neither a code nor an error parameter', {
          path: 'code',
        });
      }
      const target = new URL(appReturnUriFor(deps.oauth, platform));
      for (const name of FORWARDED_PARAMS) {
        const value = query[name];
        if (value !== undefined) target.searchParams.set(name, value);
      }
      // The URL carries a live code: keep it out of caches and Referer headers.
      c.header('Cache-Control', 'no-store');
      c.header('Referrer-Policy', 'no-referrer');
      return c.redirect(target.toString(), 303);
    },
  );
}
