/**
 * The X adapter (API v2): `POST /2/tweets` with an OAuth 2.0 user token, media through the v2
 * upload, OAuth 2.0 PKCE connect and rotating refresh tokens. See docs/platform-apis.md §1.
 *
 * Reconcile: X has no idempotency key and its duplicate 403 does not name the existing post, so after
 * an ambiguous send we read the account's own posts since the send began (`GET /2/users/:id/tweets`,
 * needs `tweet.read`) and adopt the one post that survives X's rewriting as ours: same text once links
 * are removed, same media count, created in the window, not held by another target (x-reconcile.ts).
 * When none matches we answer `not_published`: a re-send of identical text that did go live is refused
 * by X as a duplicate rather than posted twice. Media-only posts have no such guard, which is why a
 * match needs the window and must be the only one.
 *
 * Threads and first comments: a thread's next part is a post with `reply.in_reply_to_tweet_id` set to
 * the part before it, and a first comment is a reply to the post (`comment`, no media). Both go
 * through the same send and the same reconcile, which then also requires the match to answer that id.
 */
import type { AccountTokens } from '../../domain/post.ts';
import { createHttpClient } from '../http-client.ts';
import type { PublishError } from '../publish-error.ts';
import { mayAnswerLater, PublishError as PublishErrorClass } from '../publish-error.ts';
import type {
  CommentReconcileRequest,
  CommentRequest,
  ConnectedAccount,
  ContentViolation,
  PublishAccount,
  PublishContent,
  Published,
  Publisher,
  PublishRequest,
  ReconcileRequest,
  ReconcileResult,
} from '../publisher.ts';
import { readCreatedPost, readUser, readUserPosts, X_PATHS } from './x-api.ts';
import type { XCreatePostBody } from './x-api.ts';
import { classifyXError } from './x-errors.ts';
import { uploadXMedia } from './x-media.ts';
import { findSentXPost, xPostUrl } from './x-reconcile.ts';
import {
  buildXAuthorizationUrl,
  requestXToken,
  toAccountTokens,
  X_AUTHORIZE_URL,
  X_DEFAULT_SCOPES,
} from './x-oauth.ts';
import {
  validateXComment,
  validateXCommentTarget,
  validateXContent,
  X_MAX_WEIGHTED_LENGTH,
  xTextLength,
} from './x-text.ts';

export const X_DEFAULT_BASE_URL = 'https://api.x.com';

export interface XPublisherOptions {
  /** X_API_BASE_URL, e.g. https://api.x.com or http://127.0.0.1:4010/x. */
  baseUrl: string;
  clientId: string | null;
  /** With a secret the token endpoint uses HTTP Basic (confidential client). */
  clientSecret: string | null;
  /** The user-facing authorize page. (Default: https://x.com/i/oauth2/authorize for api.x.com, else `<baseUrl>/i/oauth2/authorize`) */
  authorizeUrl?: string;
  scopes?: readonly string[];
  fetch?: typeof fetch;
  now?: () => Date;
  /** MEDIA_ALLOW_PRIVATE_HOSTS: media downloads may reach private addresses and use http (dev/tests). */
  allowPrivateMediaHosts: boolean;
  /** Resolves media host names (tests). (Default: DNS) */
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** Per request. (Default: 30 s) */
  timeoutMs?: number;
  /** Refresh this long before the access token expires. (Default: 5 min) */
  refreshSkewMs?: number;
  /** Longest wait for X to process a video. (Default: 120 s) */
  mediaProcessingTimeoutMs?: number;
  /**
   * How far X's clock may differ from the database's: reconcile looks from `sentAfter` minus this, and
   * accepts posts created up to this long after now. (Default: 60 s)
   */
  reconcileClockSkewMs?: number;
}

export function createXPublisher(options: XPublisherOptions): Publisher {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  if (!/^https?:\/\//.test(baseUrl)) {
    throw new TypeError(`X baseUrl must be an http(s) URL, got "${options.baseUrl}"`);
  }
  const fetchFn = options.fetch ?? globalThis.fetch;
  const now = options.now ?? (() => new Date());
  const http = createHttpClient({ platform: 'x', fetch: fetchFn, timeoutMs: options.timeoutMs });
  const authorizeUrl = options.authorizeUrl ??
    (baseUrl === X_DEFAULT_BASE_URL ? X_AUTHORIZE_URL : `${baseUrl}/i/oauth2/authorize`);
  const scopes = options.scopes ?? X_DEFAULT_SCOPES;
  const refreshSkewMs = options.refreshSkewMs ?? 5 * 60_000;
  const reconcileClockSkewMs = options.reconcileClockSkewMs ?? 60_000;
  const mediaDeps = {
    http,
    baseUrl,
    fetch: fetchFn,
    now,
    allowPrivateMediaHosts: options.allowPrivateMediaHosts,
    resolveHost: options.resolveHost,
    processingTimeoutMs: options.mediaProcessingTimeoutMs ?? 120_000,
    maxPollIntervalMs: 10_000,
  };

  function client() {
    if (!options.clientId) {
      throw new PublishErrorClass(
        'permission_denied',
        "X_CLIENT_ID is not configured; set it to the X app's client id",
        {
          platform: 'x',
        },
      );
    }
    return { clientId: options.clientId, clientSecret: options.clientSecret };
  }

  /** Sends one post (a reply when `content.replyTo` is set); content is already validated. */
  async function send(
    content: PublishContent,
    account: PublishAccount,
    signal: AbortSignal,
  ): Promise<Published> {
    const accessToken = account.tokens.accessToken;
    const mediaIds: string[] = [];
    for (const item of content.media) {
      mediaIds.push(await uploadXMedia(mediaDeps, item, accessToken, signal));
    }
    const body: XCreatePostBody = {};
    if (content.text.trim() !== '') body.text = content.text.normalize('NFC');
    if (mediaIds.length > 0) body.media = { media_ids: mediaIds };
    if (content.replyTo !== undefined) body.reply = { in_reply_to_tweet_id: content.replyTo };
    const res = await http.request({
      method: 'POST',
      url: `${baseUrl}${X_PATHS.tweets}`,
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
      idempotent: false,
    });
    if (res.status !== 201 && res.status !== 200) {
      throw classifyXError(res, { operation: 'publish', now: now(), replyTo: content.replyTo });
    }
    const created = readCreatedPost(res.json);
    if (!created) {
      // It answered success, so the post is probably live; without an id we cannot know which.
      throw new PublishErrorClass(
        'outcome_unknown',
        `X answered ${res.status} without a post id; the post may be live: ${
          res.bodyExcerpt || '(empty body)'
        }`,
        { platform: 'x', platformStatus: res.status, platformMessage: res.bodyExcerpt },
      );
    }
    return { externalId: created.id, url: xPostUrl(created.id) };
  }

  /** Reads the account's posts since the ambiguous send began and picks the one it made, if any. */
  async function findSent(
    request: ReconcileRequest | CommentReconcileRequest,
    sent: { text: string; mediaCount: number; replyTo: string | null },
  ): Promise<ReconcileResult> {
    const url = new URL(`${baseUrl}${X_PATHS.userTweets(request.account.externalId)}`);
    url.searchParams.set('max_results', '100');
    // referenced_tweets tells a reply (and what it answers) from a post that starts a conversation.
    url.searchParams.set('tweet.fields', 'created_at,attachments,referenced_tweets');
    url.searchParams.set('expansions', 'attachments.media_keys');
    url.searchParams.set('start_time', xTime(new Date(request.sentAfter.getTime() - reconcileClockSkewMs)));
    let res;
    try {
      res = await http.request({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${request.account.tokens.accessToken}` },
        signal: request.signal,
      });
    } catch (err) {
      return {
        status: 'unknown',
        reason: `X could not be asked: ${(err as PublishError).message}`,
        retryable: mayAnswerLater(err),
      };
    }
    if (res.status !== 200) {
      const err = classifyXError(res, { operation: 'lookup', now: now() });
      return {
        status: 'unknown',
        reason: `X refused the timeline lookup: ${err.message}`,
        retryable: mayAnswerLater(err),
      };
    }
    const page = readUserPosts(res.json);
    if (page === null) {
      return { status: 'unknown', reason: `X's timeline answer was not understood: ${res.bodyExcerpt}` };
    }
    return findSentXPost(page, {
      ...sent,
      sentAfter: request.sentAfter,
      now: now(),
      clockSkewMs: reconcileClockSkewMs,
      takenExternalIds: request.takenExternalIds,
    });
  }

  const publisher: Publisher = {
    platform: 'x',
    maxTextLength: X_MAX_WEIGHTED_LENGTH,
    textLength: xTextLength,

    validate(content: PublishContent) {
      return validateXContent(content, { allowPrivateMediaHosts: options.allowPrivateMediaHosts });
    },

    async publish(request: PublishRequest): Promise<Published> {
      rejectViolations(publisher.validate(request.content));
      return await send(request.content, request.account, request.signal);
    },

    validateComment(text: string) {
      return validateXComment(text);
    },

    async comment(request: CommentRequest): Promise<Published> {
      // A first comment on X is a reply to the post: the same send, without media.
      rejectViolations([...validateXComment(request.text), ...validateXCommentTarget(request.on)]);
      return await send(
        { text: request.text, media: [], replyTo: request.on },
        request.account,
        request.signal,
      );
    },

    async reconcile(request: ReconcileRequest): Promise<ReconcileResult> {
      return await findSent(request, {
        text: request.content.text,
        mediaCount: request.content.media.length,
        replyTo: request.content.replyTo ?? null,
      });
    },

    async reconcileComment(request: CommentReconcileRequest): Promise<ReconcileResult> {
      return await findSent(request, { text: request.text, mediaCount: 0, replyTo: request.on });
    },

    needsRefresh(tokens: AccountTokens, at: Date): boolean {
      if (!tokens.refreshToken || !tokens.expiresAt) return false;
      return tokens.expiresAt.getTime() - at.getTime() <= refreshSkewMs;
    },

    async refresh(account: PublishAccount, signal: AbortSignal): Promise<AccountTokens> {
      const refreshToken = account.tokens.refreshToken;
      if (!refreshToken) {
        throw new PublishErrorClass(
          'auth_expired',
          'the X account has no refresh token; reconnect the X account',
          {
            platform: 'x',
          },
        );
      }
      const token = await requestXToken(
        http,
        `${baseUrl}${X_PATHS.token}`,
        client(),
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        { operation: 'refresh', now: now(), signal },
      );
      return toAccountTokens(token, now(), null);
    },

    authorizationUrl(start) {
      return buildXAuthorizationUrl(authorizeUrl, client(), { ...start, scopes });
    },

    async exchangeCode(params, signal): Promise<ConnectedAccount> {
      if (!params.codeVerifier) throw new TypeError('X needs the PKCE code verifier to exchange a code');
      const issuedAt = now();
      const token = await requestXToken(
        http,
        `${baseUrl}${X_PATHS.token}`,
        client(),
        {
          grant_type: 'authorization_code',
          code: params.code,
          redirect_uri: params.redirectUri,
          code_verifier: params.codeVerifier,
        },
        { operation: 'token', now: issuedAt, signal },
      );
      const res = await http.request({
        method: 'GET',
        url: `${baseUrl}${X_PATHS.usersMe}`,
        headers: { authorization: `Bearer ${token.accessToken}` },
        signal,
      });
      if (res.status !== 200) throw classifyXError(res, { operation: 'lookup', now: now() });
      const user = readUser(res.json);
      if (!user) {
        throw new PublishErrorClass('unknown', `X's /2/users/me answer has no user id: ${res.bodyExcerpt}`, {
          platform: 'x',
          platformStatus: res.status,
        });
      }
      return {
        externalId: user.id,
        displayName: user.username ? `@${user.username}` : user.name,
        scopes: token.scopes,
        tokens: toAccountTokens(token, issuedAt, null),
      };
    },
  };
  return publisher;
}

/** Throws content_invalid naming every broken rule, so nothing is sent that X would refuse. */
function rejectViolations(violations: readonly ContentViolation[]): void {
  if (violations.length === 0) return;
  throw new PublishErrorClass(
    'content_invalid',
    violations.map((v) => `${v.path}: ${v.message}`).join('; '),
    { platform: 'x', platformCode: violations[0]!.rule },
  );
}

/** X's timestamp format: whole seconds (`2024-05-01T10:00:00Z`). */
function xTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
