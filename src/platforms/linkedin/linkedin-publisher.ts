/**
 * The LinkedIn adapter (versioned REST Posts API, platform-apis.md §3).
 *
 *   publish: validate → for each image: download (media-fetch: https, public hosts) →
 *            initializeUpload → PUT the bytes → POST /rest/posts → id from `x-restli-id` (decoded)
 *
 * The commentary is the creator's text with every little-text reserved character escaped, so it
 * arrives intact (an unescaped `(` silently truncates a real post).
 *
 * Duplicates: LinkedIn refuses the same author + commentary with 422 DUPLICATE_POST naming the live
 * post, whatever media the posts carry (platform-apis.md §3.5). On a first attempt that is the
 * creator's earlier post: `duplicate_content` with `existingExternalId`. On a later attempt it is, as
 * far as anyone can tell, this target's own earlier send whose answer was lost, and it is adopted.
 * `reconcile` builds on the same rule (see there).
 */
import type { AccountTokens } from '../../domain/post.ts';
import { createHttpClient, DEFAULT_TIMEOUT_MS } from '../http-client.ts';
import { fetchMedia } from '../media-fetch.ts';
import { isPublishError, mayAnswerLater, PublishError } from '../publish-error.ts';
import type {
  ContentViolation,
  Published,
  Publisher,
  PublishRequest,
  ReconcileRequest,
  ReconcileResult,
} from '../publisher.ts';
import {
  AUTHOR_POSTS_PAGE,
  type AuthorPost,
  createLinkedInApi,
  type LinkedInApi,
  type PostBody,
} from './linkedin-api.ts';
import {
  commentaryLength,
  IMAGE_TYPES,
  MAX_COMMENTARY_LENGTH,
  validateLinkedInContent,
} from './linkedin-content.ts';
import { escapeLittleText } from './linkedin-little-text.ts';
import {
  exchangeLinkedInCode,
  LINKEDIN_SCOPES,
  linkedInAuthorizationUrl,
  type LinkedInOAuthOptions,
  refreshLinkedInTokens,
} from './linkedin-oauth.ts';
import { checkCommonPublisherOptions, isHttpUrl, throwOptionProblems } from '../publisher-options.ts';

export interface LinkedInPublisherOptions {
  /** LINKEDIN_API_BASE_URL, e.g. https://api.linkedin.com */
  baseUrl: string;
  /** LINKEDIN_OAUTH_BASE_URL. (Default: https://www.linkedin.com) */
  oauthBaseUrl?: string;
  /** LINKEDIN_VERSION, YYYYMM. (Default: 202601) */
  version?: string;
  clientId: string | null;
  clientSecret: string | null;
  redirectBaseUrl?: string | null;
  fetch?: typeof fetch;
  now?: () => Date;
  /** MEDIA_ALLOW_PRIVATE_HOSTS: let the image download reach private addresses (dev and tests only). */
  allowPrivateMediaHosts: boolean;
  /** Resolves media host names (tests). (Default: DNS) */
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** Per-request timeout. (Default: 30 s) */
  timeoutMs?: number;
  /** Largest image downloaded. (Default: 20 MB) */
  maxImageBytes?: number;
  /** With a refresh token: refresh once the token expires within this window. (Default: 7 days) */
  refreshWindowMs?: number;
  /** Without a refresh token: report the account for reconnection this long before expiry. (Default: 1 hour) */
  reconnectMarginMs?: number;
  scopes?: readonly string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
const AUTHOR_URN = /^urn:li:(person|organization):[A-Za-z0-9_-]+$/;
const IMAGE_READY_POLLS = 5;
/** Clock skew allowed between the database (sentAfter), this process and LinkedIn's createdAt. */
const SKEW_MS = 60_000;

export function createLinkedInPublisher(options: LinkedInPublisherOptions): Publisher {
  validateOptions(options);
  const now = options.now ?? (() => new Date());
  const http = createHttpClient({
    platform: 'linkedin',
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const api = createLinkedInApi({ http, baseUrl, version: options.version ?? '202601', now });
  const refreshWindowMs = options.refreshWindowMs ?? 7 * DAY_MS;
  const reconnectMarginMs = options.reconnectMarginMs ?? 60 * 60 * 1000;
  const oauth: LinkedInOAuthOptions = {
    http,
    api,
    baseUrl,
    oauthBaseUrl: (options.oauthBaseUrl ?? 'https://www.linkedin.com').replace(/\/+$/, ''),
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scopes: options.scopes ?? LINKEDIN_SCOPES,
    now,
  };

  async function uploadImages(request: PublishRequest, author: string) {
    const images: { id: string; altText?: string }[] = [];
    for (const item of request.content.media) {
      const media = await fetchMedia(item.url, {
        platform: 'linkedin',
        fetch: options.fetch,
        allowPrivateHosts: options.allowPrivateMediaHosts,
        resolveHost: options.resolveHost,
        maxBytes: options.maxImageBytes ?? 20 * 1024 * 1024,
        allowedTypes: IMAGE_TYPES,
        signal: request.signal,
        timeoutMs: options.timeoutMs,
      });
      const token = request.account.tokens.accessToken;
      const upload = await api.initializeImageUpload(author, token, request.signal);
      await api.uploadImage(upload, media.bytes, media.contentType, token, request.signal);
      await awaitImage(api, upload.image, token, request.signal);
      images.push(item.altText ? { id: upload.image, altText: item.altText } : { id: upload.image });
    }
    return images;
  }

  async function send(request: PublishRequest) {
    const author = authorOf(request);
    const images = await uploadImages(request, author);
    const body: PostBody = {
      author,
      commentary: escapeLittleText(request.content.text),
      visibility: 'PUBLIC',
      distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
      lifecycleState: 'PUBLISHED',
      isReshareDisabledByAuthor: false,
    };
    if (images.length === 1) body.content = { media: images[0]! };
    if (images.length > 1) body.content = { multiImage: { images } };
    return await api.createPost(body, request.account.tokens.accessToken, request.signal);
  }

  const publisher: Publisher = {
    platform: 'linkedin',
    maxTextLength: MAX_COMMENTARY_LENGTH,
    textLength: commentaryLength,
    validate: validateLinkedInContent,

    async publish(request: PublishRequest): Promise<Published> {
      const violations = validateLinkedInContent(request.content);
      if (violations.length > 0) throw violationError(violations);
      const result = await send(request);
      if (result.ok) return published(result.id);
      const existing = result.error.existingExternalId;
      if (result.error.code === 'duplicate_content' && existing && request.attempt > 1) {
        return published(existing);
      }
      throw result.error;
    },

    /**
     * What LinkedIn allows: the author's recent posts can be listed only with r_member_social /
     * r_organization_social (often not granted: 403), and a repeat of the same author + commentary is
     * refused with 422 naming the live post, with or without images. So:
     * 1. When the listing is allowed: a post with the same (escaped) commentary, created in the send
     *    window [sentAfter − skew, now + skew] (or of unknown age), not another target's, is adopted.
     *    A listing that reaches past the window without one means nothing went out — unless a post
     *    with the same commentary blocks a re-send (another target's, or older): then `unknown`.
     * 2. Otherwise the same commentary is sent again, images and all; that re-send IS the look-up.
     *    422 naming a URN → that post is live: adopted, unless it is another target's (`unknown`) or
     *    the listing shows it older than the window. 201 → the first send never went out and this
     *    one is the post. Anything else (5xx, timeout, a media failure) → `unknown`.
     * 3. An empty commentary (media only) escapes the duplicate check, so a re-send could publish
     *    twice: `unknown` unless the listing found the post.
     */
    async reconcile(request: ReconcileRequest): Promise<ReconcileResult> {
      const author = authorOf(request);
      const commentary = escapeLittleText(request.content.text);
      const taken = new Set(request.takenExternalIds);
      const sendWindow = { from: request.sentAfter.getTime() - SKEW_MS, until: now().getTime() + SKEW_MS };
      const mediaOnly = commentary.trim() === '';
      const posts = await api.postsByAuthor(author, request.account.tokens.accessToken, request.signal);
      if (posts) {
        const same = posts.filter((p) => p.commentary === commentary);
        const match = same.find((p) =>
          !taken.has(p.id) && inWindow(p, sendWindow) && !(mediaOnly && p.createdAt === null)
        );
        if (match) return { status: 'published', published: published(match.id) };
        if (coversWindow(posts, sendWindow.from)) {
          const blocking = mediaOnly ? undefined : same[0];
          if (!blocking) return { status: 'not_published' };
          return {
            status: 'unknown',
            reason: taken.has(blocking.id)
              ? `the only LinkedIn post with this text, ${blocking.id}, belongs to another target of this account`
              : `LinkedIn already shows this text as ${blocking.id}, posted before this send, so a re-send would be refused as its duplicate`,
          };
        }
      }
      if (mediaOnly) {
        return {
          status: 'unknown',
          reason:
            'the post has no text, so LinkedIn’s duplicate check cannot tell whether it went out, and ' +
            (posts
              ? 'it is not among the author’s recent posts'
              : 'this app may not list the author’s posts'),
        };
      }
      let result;
      try {
        result = await send(request);
      } catch (err) {
        if (!isPublishError(err)) throw err;
        return {
          status: 'unknown',
          reason: `re-sending to let LinkedIn find a duplicate failed: ${err.message}`,
          retryable: mayAnswerLater(err),
        };
      }
      if (result.ok) return { status: 'published', published: published(result.id) };
      const existing = result.error.existingExternalId;
      if (result.error.code !== 'duplicate_content' || !existing) {
        return {
          status: 'unknown',
          reason: `re-sending to let LinkedIn find a duplicate failed: ${result.error.message}`,
          retryable: mayAnswerLater(result.error),
        };
      }
      if (taken.has(existing)) {
        return {
          status: 'unknown',
          reason:
            `LinkedIn names ${existing} as the live post with this text, but it belongs to another target of this account`,
        };
      }
      const listed = posts?.find((p) => p.id === existing);
      if (listed?.createdAt && listed.createdAt.getTime() < sendWindow.from) {
        return {
          status: 'unknown',
          reason:
            `LinkedIn names ${existing} as the live post with this text, but it was posted before this send`,
        };
      }
      return { status: 'published', published: published(existing) };
    },

    needsRefresh(tokens: AccountTokens, at: Date): boolean {
      if (!tokens.expiresAt) return false;
      const margin = tokens.refreshToken ? refreshWindowMs : reconnectMarginMs;
      return tokens.expiresAt.getTime() - at.getTime() <= margin;
    },

    refresh: (account, signal) => refreshLinkedInTokens(oauth, account.tokens, signal),
    authorizationUrl: (start) => linkedInAuthorizationUrl(oauth, start),
    exchangeCode: (params, signal) => exchangeLinkedInCode(oauth, params, signal),
  };
  return publisher;
}

function published(urn: string): Published {
  return { externalId: urn, url: `https://www.linkedin.com/feed/update/${urn}/` };
}

function authorOf(request: PublishRequest): string {
  const author = request.account.externalId;
  if (AUTHOR_URN.test(author)) return author;
  throw new PublishError(
    'permission_denied',
    'The LinkedIn account id must be an author URN (urn:li:person:… or urn:li:organization:…); reconnect the account',
    { platform: 'linkedin' },
  );
}

/** Created in the send window; a post whose creation time is unknown cannot be ruled out. */
function inWindow(post: AuthorPost, sendWindow: { from: number; until: number }): boolean {
  if (post.createdAt === null) return true;
  const at = post.createdAt.getTime();
  return at >= sendWindow.from && at <= sendWindow.until;
}

/** The listing (newest first) is complete back to `from` when it is short, or reaches past it. */
function coversWindow(posts: readonly AuthorPost[], from: number): boolean {
  if (posts.length < AUTHOR_POSTS_PAGE) return true;
  const oldest = posts[posts.length - 1]!.createdAt;
  return oldest !== null && oldest.getTime() < from;
}

/** Waits until an uploaded image is AVAILABLE (it usually is at once); a bounded number of looks. */
async function awaitImage(
  api: LinkedInApi,
  image: string,
  token: string,
  signal: AbortSignal,
): Promise<void> {
  for (let look = 0; look < IMAGE_READY_POLLS; look++) {
    const status = await api.imageStatus(image, token, signal);
    if (status === 'AVAILABLE' || status === null) return;
    if (status === 'PROCESSING_FAILED' || status === 'FAILED') {
      throw new PublishError('media_invalid', 'LinkedIn could not process the image', {
        platform: 'linkedin',
        platformCode: status,
      });
    }
    await pause(200 * (look + 1), signal);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      reject(
        new PublishError('network', 'Stopped waiting for the LinkedIn image: the caller aborted', {
          platform: 'linkedin',
        }),
      );
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

function violationError(violations: ContentViolation[]): PublishError {
  const mediaOnly = violations.every((v) => v.path.startsWith('media'));
  return new PublishError(
    mediaOnly ? 'media_invalid' : 'content_invalid',
    violations.map((v) => v.message).join('; '),
    {
      platform: 'linkedin',
      platformCode: violations.map((v) => v.rule).join(','),
    },
  );
}

function validateOptions(options: LinkedInPublisherOptions): void {
  const problems: string[] = [];
  if (!isHttpUrl(options.baseUrl)) {
    problems.push('baseUrl must be an http(s) URL (e.g. https://api.linkedin.com)');
  }
  if (options.oauthBaseUrl !== undefined && !isHttpUrl(options.oauthBaseUrl)) {
    problems.push('oauthBaseUrl must be an http(s) URL (e.g. https://www.linkedin.com)');
  }
  if (options.version !== undefined && !/^\d{6}(\.\d{2})?$/.test(options.version)) {
    problems.push(
      `version must be a LINKEDIN_VERSION such as 202601, got ${JSON.stringify(options.version)}`,
    );
  }
  checkCommonPublisherOptions(options, problems);
  throwOptionProblems('createLinkedInPublisher', problems);
}
