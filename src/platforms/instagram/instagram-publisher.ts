/**
 * The Instagram adapter (Instagram API with Instagram Login, graph.instagram.com).
 *
 *   publish: validate → container(s) → wait for FINISHED → check content_publishing_limit →
 *            media_publish → permalink (best effort)
 *   comment: validate → POST /{ig-media-id}/comments → the comment id, linked by the media's
 *            permalink (instagram-comments.ts; reconcileComment lists the media's comments)
 *
 * The container is the idempotency handle (docs/platform-apis.md §2.8): the adapter remembers, per target
 * and content, the container it made and whether its media_publish may have gone out; before building
 * a new one — and after any publish whose answer was lost — it reads that container's status:
 * - PUBLISHED: adopted (its media found among recent posts); never published a second time;
 * - FINISHED or IN_PROGRESS: reused; ERROR or EXPIRED: a new container is built;
 * - no clear answer (5xx, timeout, an unreadable body, an unknown error) about a container whose
 *   publish may have gone out: its post is looked for among recent media and adopted, else
 *   `outcome_unknown` (the worker reconciles, then marks the target unconfirmed) — never a second
 *   container without evidence that the first is not live. A container whose publish was never sent
 *   cannot be live, so an unclear answer about it changes nothing.
 * See instagram-reconcile.ts for what can and cannot be found after a restart.
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
  ReconcileRequest,
  ReconcileResult,
} from '../publisher.ts';
import { createInstagramApi } from './instagram-api.ts';
import { createInstagramCommentApi } from './instagram-comment-api.ts';
import {
  type InstagramCommentDeps,
  MAX_COMMENT_LENGTH,
  reconcileInstagramComment,
  sendInstagramComment,
  validateInstagramComment,
} from './instagram-comments.ts';
import {
  type ContainerMemo,
  createContainerMemo,
  memoKey,
  readContainerStatus,
} from './instagram-container-memo.ts';
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
import { checkPublishingQuota, withQuotaReset } from './instagram-quota.ts';
import { normalizeCaption } from './instagram-reconcile.ts';
import { adopt, adopted, adoptIfPublished, adoptWithoutStatus, searchMedia } from './instagram-adopt.ts';
import { captionLength, MAX_CAPTION_LENGTH, validateInstagramContent } from './instagram-text.ts';

/** Long-lived tokens live 60 days; a token can be refreshed once it is 24 hours old. */
const LONG_LIVED_TTL_MS = 60 * 24 * 60 * 60 * 1000;
const MIN_REFRESH_AGE_MS = 24 * 60 * 60 * 1000;
const DEFAULT_REFRESH_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

export function createInstagramPublisher(options: InstagramPublisherOptions): Publisher {
  validateInstagramOptions(options);
  const now = options.now ?? (() => new Date());
  const http = createHttpClient({
    platform: 'instagram',
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const graphVersion = options.graphVersion ?? 'v25.0';
  const api = createInstagramApi({ http, baseUrl, graphVersion, now });
  const commentDeps: InstagramCommentDeps = {
    api,
    comments: createInstagramCommentApi({ http, baseUrl, graphVersion, now }),
    now,
  };
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
  const memo = createContainerMemo();

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

  /**
   * Sends media_publish, marking the container as possibly live first: the new media id, or — when the
   * answer was lost but the container turns out live — the adopted post.
   */
  async function publishContainer(
    ctx: ContainerContext,
    request: PublishRequest,
    entry: ContainerMemo,
  ): Promise<{ mediaId: string } | { adopted: Published }> {
    const quotaDurationSeconds = await checkPublishingQuota(ctx);
    entry.mayBePublished = true;
    try {
      return { mediaId: await api.publishContainer(ctx.userId, entry.containerId, ctx.token, ctx.signal) };
    } catch (err) {
      if (!isPublishError(err)) throw err;
      if (err.code === 'quota_exceeded') {
        entry.mayBePublished = false;
        throw await withQuotaReset(ctx, err, quotaDurationSeconds);
      }
      if (!mayBeLive(err)) {
        entry.mayBePublished = false; // a clear refusal: nothing went live
        throw err;
      }
      // The answer was lost, or Instagram says the container is spent: it may be live. Look first.
      const found = await adoptIfPublished(ctx, request, entry);
      if (found) return { adopted: found };
      throw err;
    }
  }

  const publisher: Publisher = {
    platform: 'instagram',
    maxTextLength: MAX_CAPTION_LENGTH,
    maxCommentLength: MAX_COMMENT_LENGTH,
    commentLength: (text) => [...text].length,
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
      let entry = memo.get(key) ?? null;
      if (entry?.mediaId) return { externalId: entry.mediaId, url: entry.url };
      if (entry) {
        const check = await readContainerStatus(ctx, entry.containerId);
        if ('unclear' in check) {
          // A throttle says nothing about the container: wait and look again.
          if (check.unclear.kind === 'rate_limited') throw check.unclear;
          if (entry.mayBePublished) return await adoptWithoutStatus(ctx, request, entry, check.unclear);
          // Its publish was never sent, so it cannot be live: retry a passing problem; a container
          // Instagram no longer knows (or an answer we cannot read) is replaced, harmlessly.
          if (check.unclear.kind !== 'rejected') throw check.unclear;
          entry = null;
        } else if (check.status === 'PUBLISHED') {
          return await adopt(ctx, request, entry);
        } else {
          entry.mayBePublished = false;
          if (check.status !== 'FINISHED' && check.status !== 'IN_PROGRESS') entry = null;
        }
      }
      if (entry === null) {
        const createdAt = now();
        const containerId = await createPostContainer(ctx, request.content.text, request.content.media);
        entry = { containerId, createdAt, mayBePublished: false, mediaId: null, url: null };
        memo.remember(key, entry);
      }
      const ready = await awaitFinished(ctx, entry.containerId);
      if (ready.statusCode === 'PUBLISHED') return await adopt(ctx, request, entry);

      const sent = await publishContainer(ctx, request, entry);
      if ('adopted' in sent) return sent.adopted;
      let url: string | null = null;
      try {
        url = await api.permalink(sent.mediaId, ctx.token, ctx.signal);
      } catch (err) {
        // The post is live; a missing link must not turn it into a failure.
        if (!isPublishError(err)) throw err;
      }
      memo.remember(key, entry);
      return adopted(entry, sent.mediaId, url);
    },

    /**
     * The window is [sentAfter − skew, now + skew] (and never before the remembered container); media
     * another target already holds are never adopted.
     */
    async reconcile(request: ReconcileRequest): Promise<ReconcileResult> {
      const ctx = context(request);
      const taken = new Set(request.takenExternalIds);
      const entry = memo.get(memoKey(request));
      const found = (media: { id: string; permalink: string | null }): ReconcileResult => ({
        status: 'published',
        published: { externalId: media.id, url: media.permalink },
      });
      if (entry?.mediaId) {
        return taken.has(entry.mediaId)
          ? { status: 'unknown', reason: `its post ${entry.mediaId} is already stored for another target` }
          : found({ id: entry.mediaId, permalink: entry.url });
      }
      if (entry) {
        const since = new Date(Math.max(entry.createdAt.getTime(), request.sentAfter.getTime()));
        const check = await readContainerStatus(ctx, entry.containerId);
        const clearlyNotLive = 'unclear' in check ? !entry.mayBePublished : check.status !== 'PUBLISHED';
        if (clearlyNotLive) {
          entry.mayBePublished = false;
          return { status: 'not_published' };
        }
        const search = await searchMedia(ctx, request, since, taken);
        if (search.found) {
          adopted(entry, search.found.id, search.found.permalink);
          return found(search.found);
        }
        return {
          status: 'unknown',
          retryable: 'unclear' in check,
          reason: 'unclear' in check
            ? `Instagram gave no clear status for the container (${check.unclear.message}) and its post is not among recent media`
            : 'the container is PUBLISHED but its post is not among recent media',
        };
      }
      if (normalizeCaption(request.content.text) === '') {
        return { status: 'unknown', reason: 'no container is known and an empty caption cannot be matched' };
      }
      const search = await searchMedia(ctx, request, request.sentAfter, taken);
      if (search.found) return found(search.found);
      return search.complete
        ? { status: 'not_published' }
        : { status: 'unknown', reason: 'too many recent posts to be sure this one is not among them' };
    },

    validateComment: validateInstagramComment,
    comment: (request) => sendInstagramComment(commentDeps, request),
    reconcileComment: (request) => reconcileInstagramComment(commentDeps, request),

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

function mayBeLive(err: PublishError): boolean {
  return err.code === 'outcome_unknown' || err.kind === 'transient' || err.platformCode === '24/2207008';
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
