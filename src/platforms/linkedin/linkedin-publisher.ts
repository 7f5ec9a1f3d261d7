/**
 * The LinkedIn adapter (versioned REST Posts API, docs/platform-apis.md §3).
 *
 *   publish: validate → for each image: download (media-fetch: https, public hosts) →
 *            initializeUpload → PUT the bytes → POST /rest/posts → id from `x-restli-id` (decoded)
 *   comment: validate → POST /rest/socialActions/{post}/comments → the comment URN
 *            (linkedin-comments.ts; reconcileComment lists the post's comments)
 *
 * The commentary is the creator's text with every little-text reserved character escaped, so it
 * arrives intact (an unescaped `(` silently truncates a real post).
 *
 * Duplicates: LinkedIn refuses the same author + commentary with 422 DUPLICATE_POST naming the live
 * post, whatever media the posts carry (docs/platform-apis.md §3.5). On a first attempt that is the
 * creator's earlier post: `duplicate_content` with `existingExternalId`. On a later attempt it is, as
 * far as anyone can tell, this target's own earlier send whose answer was lost, and it is adopted.
 * `reconcile` builds on the same rule (see linkedin-reconcile.ts).
 */
import type { AccountTokens } from '../../domain/post.ts';
import { createHttpClient, DEFAULT_TIMEOUT_MS } from '../http-client.ts';
import { PublishError } from '../publish-error.ts';
import type { CommentRequest, ContentViolation, Published, Publisher, PublishRequest } from '../publisher.ts';
import { createLinkedInApi } from './linkedin-api.ts';
import { commentaryLength, MAX_COMMENTARY_LENGTH, validateLinkedInContent } from './linkedin-content.ts';
import {
  exchangeLinkedInCode,
  LINKEDIN_SCOPES,
  linkedInAuthorizationUrl,
  type LinkedInOAuthOptions,
  refreshLinkedInTokens,
} from './linkedin-oauth.ts';
import { type LinkedInPublisherOptions, validateLinkedInOptions } from './linkedin-options.ts';
import { linkedInPublished, sendLinkedInPost } from './linkedin-post-send.ts';
import { reconcileLinkedInPost } from './linkedin-reconcile.ts';
import { createLinkedInCommentApi } from './linkedin-comment-api.ts';
import {
  MAX_COMMENT_LENGTH,
  reconcileLinkedInComment,
  sendLinkedInComment,
  validateLinkedInComment,
} from './linkedin-comments.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export function createLinkedInPublisher(options: LinkedInPublisherOptions): Publisher {
  validateLinkedInOptions(options);
  const now = options.now ?? (() => new Date());
  const http = createHttpClient({
    platform: 'linkedin',
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const version = options.version ?? '202601';
  const api = createLinkedInApi({ http, baseUrl, version, now });
  const commentApi = createLinkedInCommentApi({ http, baseUrl, version, now });
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
  const send = (request: PublishRequest) => sendLinkedInPost(api, options, request);

  const publisher: Publisher = {
    platform: 'linkedin',
    maxTextLength: MAX_COMMENTARY_LENGTH,
    maxCommentLength: MAX_COMMENT_LENGTH,
    commentLength: (text) => [...text].length,
    textLength: commentaryLength,
    validate: validateLinkedInContent,

    async publish(request: PublishRequest): Promise<Published> {
      const violations = validateLinkedInContent(request.content);
      if (violations.length > 0) throw violationError(violations);
      const result = await send(request);
      if (result.ok) return linkedInPublished(result.id);
      const existing = result.error.existingExternalId;
      if (result.error.code === 'duplicate_content' && existing && request.attempt > 1) {
        return linkedInPublished(existing);
      }
      throw result.error;
    },

    reconcile: (request) => reconcileLinkedInPost({ api, now, send }, request),

    validateComment: validateLinkedInComment,

    async comment(request: CommentRequest): Promise<Published> {
      const violations = validateLinkedInComment(request.text);
      if (violations.length > 0) throw violationError(violations);
      return await sendLinkedInComment(commentApi, request);
    },

    reconcileComment: (request) => reconcileLinkedInComment({ api: commentApi, now }, request),

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

export type { LinkedInPublisherOptions };
