/**
 * The Instagram adapter (Instagram API with Instagram Login, graph.instagram.com).
 *
 *   publish: validate → container(s) → wait for FINISHED → check content_publishing_limit →
 *            media_publish → permalink (best effort)
 *
 * The container is the idempotency handle (platform-apis.md §2.8): the adapter remembers, per target
 * and content, the container it made, and before building a new one — and after any publish whose
 * answer was lost — it reads that container's status. A PUBLISHED container is adopted (its media
 * found among recent posts); it is never published a second time. See instagram-reconcile.ts for what
 * can and cannot be found after a restart.
 */
import type { AccountTokens } from '../../domain/post.ts';
import { createHttpClient, DEFAULT_TIMEOUT_MS } from '../http-client.ts';
import { isPublishError, PublishError } from '../publish-error.ts';
import type {
  ContentViolation,
  PublishContent,
  Published,
  Publisher,
  PublishRequest,
  ReconcileResult,
} from '../publisher.ts';
import { createInstagramApi, type InstagramApi } from './instagram-api.ts';
import { type InstagramPublisherOptions, validateInstagramOptions } from './instagram-options.ts';
import {
  awaitFinished,
  type ContainerContext,
  type ContainerWait,
  createPostContainer,
} from './instagram-containers.ts';
import {
  exchangeInstagramCode,
  expiryFrom,
  INSTAGRAM_SCOPES,
  instagramAuthorizationUrl,
  type InstagramOAuthOptions,
} from './instagram-oauth.ts';
import { findPublishedMedia, normalizeCaption, RECONCILE_LOOKBACK_MS } from './instagram-reconcile.ts';
import { captionLength, MAX_CAPTION_LENGTH, mediaKind, validateInstagramContent } from './instagram-text.ts';

/** Long-lived tokens live 60 days; a token can be refreshed once it is 24 hours old. */
const LONG_LIVED_TTL_MS = 60 * 24 * 60 * 60 * 1000;
const MIN_REFRESH_AGE_MS = 24 * 60 * 60 * 1000;
const DEFAULT_REFRESH_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
const MEMO_LIMIT = 1000;

interface ContainerMemo {
  containerId: string;
  createdAt: Date;
  mediaId: string | null;
  url: string | null;
}

export function createInstagramPublisher(options: InstagramPublisherOptions): Publisher {
  validateInstagramOptions(options);
  const now = options.now ?? (() => new Date());
  const http = createHttpClient({
    platform: 'instagram',
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const api = createInstagramApi({ http, baseUrl, graphVersion: options.graphVersion ?? 'v25.0', now });
  const wait: ContainerWait = {
    pollIntervalMs: options.containerWait?.pollIntervalMs ?? 1000,
    maxWaitMs: options.containerWait?.maxWaitMs ?? 5 * 60 * 1000,
  };
  const refreshWindowMs = options.refreshWindowMs ?? DEFAULT_REFRESH_WINDOW_MS;
  const oauth: InstagramOAuthOptions = {
    http,
    api,
    oauthBaseUrl: (options.oauthBaseUrl ?? oauthHostFor(baseUrl, 'https://api.instagram.com')).replace(
      /\/+$/,
      '',
    ),
    authorizeBaseUrl: (options.authorizeBaseUrl ?? oauthHostFor(baseUrl, 'https://www.instagram.com'))
      .replace(
        /\/+$/,
        '',
      ),
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scopes: options.scopes ?? INSTAGRAM_SCOPES,
    now,
  };
  const memo = new Map<string, ContainerMemo>();

  function context(request: PublishRequest): ContainerContext {
    return {
      api,
      userId: request.account.externalId,
      token: request.account.tokens.accessToken,
      signal: request.signal,
      wait,
      now,
    };
  }

  function remember(key: string, entry: ContainerMemo): void {
    memo.delete(key);
    memo.set(key, entry);
    if (memo.size > MEMO_LIMIT) memo.delete(memo.keys().next().value!);
  }

  /** Names the media a PUBLISHED container became; outcome_unknown when it cannot be found. */
  async function adopt(ctx: ContainerContext, request: PublishRequest, since: Date): Promise<Published> {
    const search = await findPublishedMedia({
      ...ctx,
      caption: request.content.text,
      mediaType: listedType(request.content),
      since,
    });
    if (search.found) return { externalId: search.found.id, url: search.found.permalink };
    throw new PublishError(
      'outcome_unknown',
      'The Instagram container is already PUBLISHED but its post was not found among recent media; check the account',
      { platform: 'instagram', platformCode: 'PUBLISHED' },
    );
  }

  /**
   * After a publish whose answer was lost (or that Instagram calls spent): the post if the container
   * went live, else null (the original error stands). A container that is PUBLISHED but whose post
   * cannot be named here is outcome_unknown: live, but not to be sent again.
   */
  async function adoptIfPublished(
    ctx: ContainerContext,
    request: PublishRequest,
    containerId: string,
    since: Date,
  ) {
    let status;
    try {
      status = await priorStatus(api, ctx, containerId);
    } catch (err) {
      if (isPublishError(err)) return null;
      throw err;
    }
    if (status !== 'PUBLISHED') return null;
    try {
      return await adopt(ctx, request, since);
    } catch (err) {
      if (!isPublishError(err) || err.code === 'outcome_unknown') throw err;
      throw new PublishError(
        'outcome_unknown',
        'The Instagram container is PUBLISHED but its post could not be looked up; it will be reconciled',
        { platform: 'instagram', platformCode: 'PUBLISHED', cause: err },
      );
    }
  }

  async function publishWithQuota(ctx: ContainerContext, containerId: string): Promise<string> {
    const limit = await api.publishingLimit(ctx.userId, ctx.token, ctx.signal);
    if (limit && limit.quotaUsage >= limit.quotaTotal) {
      throw new PublishError(
        'quota_exceeded',
        `The Instagram account used its ${limit.quotaTotal} API posts of the last 24 hours; it will be sent when the quota frees up`,
        {
          platform: 'instagram',
          platformCode: 'content_publishing_limit',
          retryAt: await estimateQuotaReset(ctx, limit.quotaDurationSeconds),
        },
      );
    }
    try {
      return await api.publishContainer(ctx.userId, containerId, ctx.token, ctx.signal);
    } catch (err) {
      if (isPublishError(err) && err.code === 'quota_exceeded') {
        throw new PublishError(err.code, err.message, {
          platform: 'instagram',
          platformStatus: err.platformStatus,
          platformCode: err.platformCode,
          platformMessage: err.platformMessage,
          retryAt: await estimateQuotaReset(ctx, limit?.quotaDurationSeconds ?? 86_400),
          cause: err,
        });
      }
      throw err;
    }
  }

  /** When the oldest post of the quota window leaves it (the window is rolling); 1 h when unknown. */
  async function estimateQuotaReset(ctx: ContainerContext, durationSeconds: number): Promise<Date> {
    const at = now().getTime();
    const windowMs = durationSeconds * 1000;
    try {
      const { media } = await api.recentMedia(ctx.userId, ctx.token, ctx.signal);
      const inWindow = media.map((m) => m.timestamp?.getTime() ?? NaN).filter((t) => t > at - windowMs);
      if (inWindow.length > 0) {
        return new Date(Math.max(at + 60_000, Math.min(...inWindow) + windowMs));
      }
    } catch (err) {
      // Best effort: the quota error is what matters; a failed estimate falls back to one hour.
      if (!isPublishError(err)) throw err;
    }
    return new Date(at + 60 * 60 * 1000);
  }

  const publisher: Publisher = {
    platform: 'instagram',
    maxTextLength: MAX_CAPTION_LENGTH,
    textLength: captionLength,

    validate(content: PublishContent): ContentViolation[] {
      return validateInstagramContent(content, { allowHttpMedia: options.allowHttpMedia ?? false });
    },

    async publish(request: PublishRequest): Promise<Published> {
      const violations = validateInstagramContent(request.content, {
        allowHttpMedia: options.allowHttpMedia ?? false,
      });
      if (violations.length > 0) throw violationError(violations);
      const ctx = context(request);
      const key = memoKey(request);
      let containerId: string | null = null;
      const prior = memo.get(key);
      if (prior?.mediaId) return { externalId: prior.mediaId, url: prior.url };
      if (prior) {
        const status = await priorStatus(api, ctx, prior.containerId);
        if (status === 'PUBLISHED') return await adopt(ctx, request, prior.createdAt);
        if (status === 'FINISHED' || status === 'IN_PROGRESS') containerId = prior.containerId;
      }
      if (containerId === null) {
        const createdAt = now();
        containerId = await createPostContainer(ctx, request.content.text, request.content.media);
        remember(key, { containerId, createdAt, mediaId: null, url: null });
      }
      const since = memo.get(key)?.createdAt ?? now();
      const ready = await awaitFinished(ctx, containerId);
      if (ready.statusCode === 'PUBLISHED') return await adopt(ctx, request, since);

      let mediaId: string;
      try {
        mediaId = await publishWithQuota(ctx, containerId);
      } catch (err) {
        // The answer was lost, or Instagram says the container is spent: it may be live. Look first.
        if (isPublishError(err) && mayBeLive(err)) {
          const adopted = await adoptIfPublished(ctx, request, containerId, since);
          if (adopted) return adopted;
        }
        throw err;
      }
      let url: string | null = null;
      try {
        url = await api.permalink(mediaId, ctx.token, ctx.signal);
      } catch (err) {
        // The post is live; a missing link must not turn it into a failure.
        if (!isPublishError(err)) throw err;
      }
      remember(key, { containerId, createdAt: since, mediaId, url });
      return { externalId: mediaId, url };
    },

    async reconcile(request: PublishRequest): Promise<ReconcileResult> {
      const ctx = context(request);
      const prior = memo.get(memoKey(request));
      if (prior?.mediaId) {
        return { status: 'published', published: { externalId: prior.mediaId, url: prior.url } };
      }
      if (prior) {
        const status = await priorStatus(api, ctx, prior.containerId);
        if (status !== 'PUBLISHED') return { status: 'not_published' };
        const search = await findPublishedMedia({
          ...ctx,
          caption: request.content.text,
          mediaType: listedType(request.content),
          since: prior.createdAt,
        });
        return search.found
          ? { status: 'published', published: { externalId: search.found.id, url: search.found.permalink } }
          : {
            status: 'unknown',
            reason: 'the container is PUBLISHED but its post is not among recent media',
          };
      }
      if (normalizeCaption(request.content.text) === '') {
        return { status: 'unknown', reason: 'no container is known and an empty caption cannot be matched' };
      }
      const search = await findPublishedMedia({
        ...ctx,
        caption: request.content.text,
        mediaType: listedType(request.content),
        since: new Date(now().getTime() - RECONCILE_LOOKBACK_MS),
      });
      if (search.found) {
        return {
          status: 'published',
          published: { externalId: search.found.id, url: search.found.permalink },
        };
      }
      return search.complete
        ? { status: 'not_published' }
        : { status: 'unknown', reason: 'too many recent posts to be sure this one is not among them' };
    },

    needsRefresh(tokens: AccountTokens, at: Date): boolean {
      if (!tokens.expiresAt) return false;
      const remaining = tokens.expiresAt.getTime() - at.getTime();
      return remaining <= refreshWindowMs && estimatedAge(tokens.expiresAt, at) >= MIN_REFRESH_AGE_MS;
    },

    async refresh(account, signal): Promise<AccountTokens> {
      const { tokens } = account;
      const at = now();
      if (tokens.expiresAt && tokens.expiresAt.getTime() <= at.getTime()) {
        throw new PublishError(
          'auth_expired',
          `The Instagram token expired at ${tokens.expiresAt.toISOString()} and cannot be refreshed; reconnect the account`,
          { platform: 'instagram' },
        );
      }
      // Instagram refuses to refresh a token younger than 24 hours; it is fresh enough as it is.
      if (tokens.expiresAt && estimatedAge(tokens.expiresAt, at) < MIN_REFRESH_AGE_MS) return tokens;
      const fresh = await api.refreshToken(tokens.accessToken, signal);
      return {
        accessToken: fresh.accessToken,
        refreshToken: null,
        expiresAt: expiryFrom(now(), fresh.expiresInSeconds),
      };
    },

    authorizationUrl: (start) => instagramAuthorizationUrl(oauth, start),
    exchangeCode: (params, signal) => exchangeInstagramCode(oauth, params, signal),
  };
  return publisher;
}

/** The real OAuth host next to the real Graph host; a fake Graph host (sandbox) serves OAuth too. */
function oauthHostFor(baseUrl: string, realHost: string): string {
  return new URL(baseUrl).hostname === 'graph.instagram.com' ? realHost : baseUrl;
}

/** A long-lived token's age, assuming the 60-day lifetime it was issued with. */
function estimatedAge(expiresAt: Date, at: Date): number {
  return LONG_LIVED_TTL_MS - (expiresAt.getTime() - at.getTime());
}

function memoKey(request: PublishRequest): string {
  const { text, media } = request.content;
  return [request.targetId, request.account.externalId, text, ...media.map((m) => m.url)].join('\u0000');
}

/** How the listing names the post's type. */
function listedType(content: PublishContent): string {
  if (content.media.length > 1) return 'CAROUSEL_ALBUM';
  return content.media[0] && mediaKind(content.media[0].url) === 'video' ? 'VIDEO' : 'IMAGE';
}

function mayBeLive(err: PublishError): boolean {
  return err.code === 'outcome_unknown' || err.kind === 'transient' || err.platformCode === '24/2207008';
}

/** The container's status, or null when it cannot be used any more (unknown id, other account). */
async function priorStatus(api: InstagramApi, ctx: ContainerContext, containerId: string) {
  try {
    return (await api.containerStatus(containerId, ctx.token, ctx.signal)).statusCode;
  } catch (err) {
    if (isPublishError(err) && (err.kind === 'rejected' || err.code === 'unknown')) return null;
    throw err;
  }
}

function violationError(violations: ContentViolation[]): PublishError {
  const mediaOnly = violations.every((v) => v.path.startsWith('media') && v.rule !== 'media_required');
  return new PublishError(
    mediaOnly ? 'media_invalid' : 'content_invalid',
    violations.map((v) => v.message).join('; '),
    { platform: 'instagram', platformCode: violations.map((v) => v.rule).join(',') },
  );
}

export type { InstagramPublisherOptions };
