/**
 * The X API v2 sandbox: the endpoints the X adapter calls, answering and refusing as X does
 * (docs/platform-apis.md §1 and §4). Mount it with `app.route('/x', createXSandbox(knobs).app)`; the
 * adapter's base URL is then `http://host:port/x`.
 *
 * Settings (knobs.setSettings): see X_SETTINGS in x-sandbox-state.ts. Quotas (knobs.setQuota):
 * see X_QUOTAS (e.g. `x.tweets.user15m`).
 */
import { Hono } from 'hono';
import type { SandboxKnobs } from '../sandbox-knobs.ts';
import { previewPath } from '../sandbox-media-previews.ts';
import type { PlatformPageView } from '../sandbox-page.ts';
import type { TokenRecord } from '../sandbox-tokens.ts';
import { registerXLookupRoutes } from './x-sandbox-lookup.ts';
import { registerXMediaRoutes } from './x-sandbox-media.ts';
import { uploadedSha256 } from './x-sandbox-media-records.ts';
import { registerXOAuthRoutes } from './x-sandbox-oauth.ts';
import { registerXPostRoutes } from './x-sandbox-posts.ts';
import type { XSandboxState, XSandboxUser } from './x-sandbox-state.ts';
import {
  createXSandboxState,
  ensureUser,
  nextXId,
  serverError,
  tooManyRequests,
  withHeaders,
  xSetting,
} from './x-sandbox-state.ts';

/** What a connected account gets unless told otherwise: enough to post, upload and read. */
export const X_SANDBOX_SCOPES = ['tweet.read', 'tweet.write', 'users.read', 'media.write', 'offline.access'];

export interface XConnectInput {
  /** (Default: a new 19-digit id) */
  userId?: string;
  username?: string;
  /** The display name. (Default: the username) */
  name?: string;
  scopes?: string[];
  /** (Default: x.accessTtlSeconds, 7200) */
  accessTtlSeconds?: number;
  /** Issue a refresh token. (Default: when scopes include offline.access) */
  withRefresh?: boolean;
  accessToken?: string;
  refreshToken?: string;
  /** An app-only bearer token (X refuses it on user endpoints with 403). */
  appOnly?: boolean;
}

export interface XSandbox {
  app: Hono;
  state: XSandboxState;
  /** Creates (or reuses) a user and issues tokens as if they had connected through OAuth. */
  connectAccount(input?: XConnectInput): { user: XSandboxUser; token: TokenRecord };
  /** The sandbox page's view: `name @username`, and the uploaded pictures the sandbox has seen. */
  pageView: PlatformPageView;
}

export function createXSandbox(knobs: SandboxKnobs): XSandbox {
  const state = createXSandboxState(knobs);
  const app = new Hono();
  app.use(
    '*',
    knobs.middleware('x', {
      serverError: (_c, status) => serverError(status),
      rateLimited: (_c, resetAt) => {
        const headers = new Headers({
          'x-rate-limit-limit': '100',
          'x-rate-limit-remaining': '0',
          'x-rate-limit-reset': String(Math.floor(resetAt.getTime() / 1000)),
        });
        return withHeaders(tooManyRequests(), headers);
      },
    }),
  );
  registerXOAuthRoutes(app, state);
  registerXMediaRoutes(app, state);
  registerXPostRoutes(app, state);
  registerXLookupRoutes(app, state);
  app.notFound(() =>
    new Response(
      JSON.stringify({ title: 'Not Found Error', type: 'about:blank', status: 404, detail: 'Not Found' }),
      {
        status: 404,
        headers: { 'content-type': 'application/problem+json' },
      },
    )
  );

  const pageView: PlatformPageView = {
    account(id) {
      const user = state.users.get(id);
      return user ? { name: user.name, handle: `@${user.username}` } : null;
    },
    mediaUrls: (record) =>
      record.media.map((mediaId) => {
        const media = state.media.get(mediaId);
        const sha256 = media ? uploadedSha256(media) : null;
        return sha256 && knobs.previews.get(sha256) ? previewPath(sha256) : null;
      }),
  };

  return {
    app,
    state,
    pageView,
    connectAccount(input = {}) {
      const user = input.appOnly
        ? { id: '', username: '', name: '' }
        : ensureUser(state, input.userId ?? nextXId(state, 'user'), input.username, input.name);
      const scopes = input.scopes ?? X_SANDBOX_SCOPES;
      const token = knobs.tokens.issue({
        platform: 'x',
        subject: user.id,
        scopes,
        clientId: knobs.client('x').clientId,
        accessTtlMs: (input.accessTtlSeconds ?? xSetting(state, 'accessTtlSeconds')) * 1000,
        withRefresh: input.withRefresh ?? scopes.includes('offline.access'),
        refreshTtlMs: null,
        accessToken: input.accessToken,
        refreshToken: input.refreshToken,
      });
      return { user, token };
    },
  };
}
