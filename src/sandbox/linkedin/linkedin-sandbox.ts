/**
 * The LinkedIn part of the sandbox: a Hono app mounted at `/linkedin`, serving the REST API
 * (`/rest/posts`, `/rest/images`, the image upload URL, `/rest/socialActions/{post}/comments`),
 * `/v2/userinfo` and the OAuth endpoints
 * (`/oauth/v2/*`) as LinkedIn does — headers, status codes, error envelopes — and refusing what
 * LinkedIn refuses. Latency and injected faults come from the shared knobs; every post made live is
 * recorded with `knobs.recordPublished` (the text as LinkedIn would show it, the body as received).
 *
 * Settings (knobs.setSettings): `linkedin.unescapedText` (truncate | reject | accept),
 * `linkedin.activeVersions`, `linkedin.versionLifetimeMonths`, `linkedin.requireRestliHeader`,
 * `linkedin.duplicateWindowMs`, `linkedin.encodeRestliId`, `linkedin.retryAfterHeader`,
 * `linkedin.grantRefreshTokens`, `linkedin.requireImageOwnerMatch`, `linkedin.authorizeAs`.
 * Quotas (knobs.setQuota): `linkedin.memberPosts` (150 a day), `linkedin.appPosts` (100 000 a day),
 * `linkedin.memberComments` (1000 a day), `linkedin.appComments` (100 000 a day).
 */
import { Hono } from 'hono';
import type { SandboxKnobs } from '../sandbox-knobs.ts';
import { previewPath } from '../sandbox-media-previews.ts';
import type { PlatformPageView } from '../sandbox-page.ts';
import type { TokenRecord } from '../sandbox-tokens.ts';
import { registerLinkedInCommentRoutes } from './linkedin-sandbox-comments.ts';
import { registerLinkedInOAuthRoutes } from './linkedin-sandbox-oauth.ts';
import { linkedInThrottled, registerLinkedInPostRoutes } from './linkedin-sandbox-posts.ts';
import {
  ACCESS_TTL_MS,
  checkRestHeaders,
  type LinkedInSandboxState,
  REFRESH_TTL_MS,
  restError,
  type SandboxLinkedInComment,
  type SandboxLinkedInPost,
} from './linkedin-sandbox-state.ts';

export interface LinkedInMemberInput {
  /** The member id (`sub`); the URN is urn:li:person:{sub}. (Default: random) */
  sub?: string;
  name?: string;
  /** (Default: openid, profile, w_member_social) */
  scopes?: string[];
  /** Issue a refresh token with the access token. (Default: true) */
  refreshToken?: boolean;
  /** (Default: 60 days) */
  accessTtlMs?: number;
  /** Fixed token values (demo accounts). */
  accessToken?: string;
}

export interface LinkedInSandbox {
  app: Hono;
  /** Creates a member and an access token for it (tests and the dev stack's demo account). */
  createMember(input?: LinkedInMemberInput): { urn: string; token: TokenRecord };
  /** The same, under the name the sandbox control API calls (`POST /_sandbox/accounts/linkedin`). */
  connectAccount(input?: LinkedInMemberInput): { urn: string; token: TokenRecord };
  /** Lets `member` post for `organization` (with the w_organization_social scope). */
  addOrganizationAdmin(organization: string, member: string): void;
  /** Every post made live, commentary exactly as received. */
  posts(): readonly SandboxLinkedInPost[];
  /** Every comment made, oldest first, text exactly as received. */
  comments(): readonly SandboxLinkedInComment[];
  /** The sandbox page's view: the member's name, and the uploaded pictures. */
  pageView: PlatformPageView;
  reset(): void;
}

export function createLinkedInSandbox(knobs: SandboxKnobs): LinkedInSandbox {
  const state: LinkedInSandboxState = {
    knobs,
    members: new Map(),
    organizationAdmins: new Map(),
    posts: [],
    comments: [],
    images: new Map(),
    codes: new Map(),
  };
  const app = new Hono();
  app.use(
    '*',
    knobs.middleware('linkedin', {
      serverError: (c, status) => restError(c, status, { message: 'Internal Server Error' }),
      rateLimited: (c, resetAt) =>
        linkedInThrottled(
          c,
          knobs.setting('linkedin.retryAfterHeader', false)
            ? Math.max(0, Math.ceil((resetAt.getTime() - knobs.now().getTime()) / 1000))
            : null,
        ),
    }),
  );
  app.use('/rest/*', async (c, next) => {
    const refused = checkRestHeaders(state, c);
    if (refused) return refused;
    await next();
  });
  registerLinkedInPostRoutes(app, state);
  registerLinkedInCommentRoutes(app, state);
  registerLinkedInOAuthRoutes(app, state);
  app.notFound((c) => restError(c, 404, { message: `No resource found at ${c.req.method} ${c.req.path}` }));

  function createMember(input: LinkedInMemberInput = {}) {
    const sub = input.sub ?? `m${crypto.randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const urn = `urn:li:person:${sub}`;
    state.members.set(urn, { name: input.name ?? `Member ${sub}` });
    const token = knobs.tokens.issue({
      platform: 'linkedin',
      subject: urn,
      scopes: input.scopes ?? ['openid', 'profile', 'w_member_social'],
      clientId: knobs.client('linkedin').clientId,
      accessTtlMs: input.accessTtlMs ?? ACCESS_TTL_MS,
      refreshTtlMs: input.refreshToken === false ? null : REFRESH_TTL_MS,
      accessToken: input.accessToken,
    });
    return { urn, token };
  }

  const pageView: PlatformPageView = {
    account(urn) {
      const member = state.members.get(urn);
      return member ? { name: member.name, handle: null } : null;
    },
    mediaUrls: (record) =>
      record.media.map((urn) => {
        const sha256 = state.images.get(urn)?.previewSha256;
        return sha256 && knobs.previews.get(sha256) ? previewPath(sha256) : null;
      }),
    comments: (record) =>
      state.comments.filter((c) => c.postId === record.id).map((c) => ({
        id: c.id,
        subject: c.actor,
        text: c.text,
        createdAt: c.createdAt,
      })),
  };

  return {
    app,
    createMember,
    connectAccount: createMember,
    pageView,
    addOrganizationAdmin(organization, member) {
      const admins = state.organizationAdmins.get(organization) ?? new Set();
      admins.add(member);
      state.organizationAdmins.set(organization, admins);
    },
    posts: () => state.posts,
    comments: () => state.comments,
    reset() {
      state.members.clear();
      state.organizationAdmins.clear();
      state.posts = [];
      state.comments = [];
      state.images.clear();
      state.codes.clear();
    },
  };
}
