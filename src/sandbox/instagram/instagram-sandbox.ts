/**
 * The Instagram part of the sandbox: a Hono app mounted at `/instagram`, serving the Instagram API with
 * Instagram Login (graph.instagram.com paths, with or without a `/vXX.X` prefix) and the OAuth host
 * (api.instagram.com `/oauth/access_token`, www.instagram.com `/oauth/authorize`) as Instagram does —
 * Graph error envelopes, usage headers, container lifecycle, publish quota, comments
 * (instagram-sandbox-comments.ts), token rules — and refusing
 * what Instagram refuses. Latency and injected faults come from the shared knobs; every post made live
 * is recorded with `knobs.recordPublished`.
 *
 * Settings (knobs.setSettings): `instagram.requireHttps`, `instagram.fetchMedia`,
 * `instagram.videoProcessingPolls`, `instagram.authErrorStatus` (400; the real status is [U]),
 * `instagram.permalinkBase`, `instagram.authorizeAs`.
 * Quotas (knobs.setQuota): `instagram.publish` (50 a day — the documented 25/50/100 conflict),
 * `instagram.containers` (400 a day), `instagram.accountCalls` (4800 an hour), `instagram.appCalls`.
 */
import { Hono } from 'hono';
import type { SandboxKnobs } from '../sandbox-knobs.ts';
import type { PlatformPageView } from '../sandbox-page.ts';
import type { TokenRecord } from '../sandbox-tokens.ts';
import { registerInstagramCommentRoutes } from './instagram-sandbox-comments.ts';
import { registerInstagramMediaRoutes } from './instagram-sandbox-media.ts';
import { registerInstagramOAuthRoutes } from './instagram-sandbox-oauth.ts';
import {
  graphError,
  graphId,
  type InstagramSandboxState,
  LONG_LIVED_TTL_MS,
  type MediaBehavior,
  type SandboxComment,
  type SandboxContainer,
  type SandboxMedia,
  setUsageHeaders,
} from './instagram-sandbox-state.ts';

export interface InstagramAccountInput {
  /** (Default: a random 17-digit id starting 1784) */
  userId?: string;
  username?: string;
  /** (Default: instagram_business_basic, instagram_business_content_publish, instagram_business_manage_comments) */
  scopes?: string[];
  /** (Default: 60 days, a long-lived token) */
  accessTtlMs?: number;
  /** A fixed token value (demo accounts). */
  accessToken?: string;
}

export interface InstagramSandbox {
  app: Hono;
  /** Creates a professional account and a long-lived token for it (issued now, by the sandbox clock). */
  createAccount(input?: InstagramAccountInput): { userId: string; token: TokenRecord };
  /** The same, under the name the sandbox control API calls (`POST /_sandbox/accounts/instagram`). */
  connectAccount(input?: InstagramAccountInput): { userId: string; token: TokenRecord };
  /** What happens when Instagram fetches `url`: unreachable, container ERROR, or slow processing. */
  setMediaBehavior(url: string, behavior: MediaBehavior | null): void;
  containers(): readonly SandboxContainer[];
  media(): readonly SandboxMedia[];
  /** Every comment made, oldest first, text exactly as received. */
  comments(): readonly SandboxComment[];
  /** The sandbox page's view: the username, and the pictures by the URLs Instagram was given. */
  pageView: PlatformPageView;
  reset(): void;
}

const VERSION = '/:graphVersion{v[0-9]+\\.[0-9]+}';

export function createInstagramSandbox(knobs: SandboxKnobs): InstagramSandbox {
  const state: InstagramSandboxState = {
    knobs,
    accounts: new Map(),
    containers: new Map(),
    media: [],
    comments: [],
    behaviors: new Map(),
    codes: new Map(),
  };
  const graph = new Hono();
  registerInstagramOAuthRoutes(graph, state);
  registerInstagramCommentRoutes(graph, state);
  registerInstagramMediaRoutes(graph, state);

  const app = new Hono();
  app.use(
    '*',
    knobs.middleware('instagram', {
      serverError: (c, status) =>
        graphError(c, status, {
          message: 'An unexpected error has occurred. Please retry your request later.',
          code: 2,
          is_transient: true,
        }),
      rateLimited: (c, resetAt) => {
        const minutes = Math.max(1, Math.round((resetAt.getTime() - knobs.now().getTime()) / 60_000));
        setUsageHeaders(c, 'app', { appPercent: 100, accountPercent: 100, regainMinutes: minutes });
        return graphError(c, 400, {
          message: 'Application request limit reached',
          code: 4,
          is_transient: true,
        });
      },
    }),
  );
  app.route(VERSION, graph);
  app.route('/', graph);
  app.notFound((c) =>
    graphError(c, 400, {
      message: `Unsupported ${c.req.method.toLowerCase()} request.`,
      code: 100,
      type: 'GraphMethodException',
    })
  );

  function createAccount(input: InstagramAccountInput = {}) {
    const userId = input.userId ?? graphId('1784');
    state.accounts.set(userId, { username: input.username ?? `creator_${userId.slice(-4)}` });
    const token = knobs.tokens.issue({
      platform: 'instagram',
      subject: userId,
      scopes: input.scopes ??
        [
          'instagram_business_basic',
          'instagram_business_content_publish',
          'instagram_business_manage_comments',
        ],
      clientId: knobs.client('instagram').clientId,
      accessTtlMs: input.accessTtlMs ?? LONG_LIVED_TTL_MS,
      accessToken: input.accessToken,
    });
    return { userId, token };
  }

  const pageView: PlatformPageView = {
    account(userId) {
      const account = state.accounts.get(userId);
      // Instagram shows a post's account by its username alone.
      return account ? { name: account.username, handle: null } : null;
    },
    mediaUrls: (record) => record.media.map((url) => (/^https?:\/\//.test(url) ? url : null)),
    comments: (record) =>
      state.comments.filter((c) => c.postId === record.id).map((c) => ({
        id: c.id,
        subject: c.author,
        text: c.text,
        createdAt: c.createdAt,
      })),
  };

  return {
    app,
    createAccount,
    connectAccount: createAccount,
    pageView,
    setMediaBehavior(url, behavior) {
      if (behavior) state.behaviors.set(url, behavior);
      else state.behaviors.delete(url);
    },
    containers: () => [...state.containers.values()],
    media: () => state.media,
    comments: () => state.comments,
    reset() {
      state.accounts.clear();
      state.containers.clear();
      state.media = [];
      state.comments = [];
      state.behaviors.clear();
      state.codes.clear();
    },
  };
}
