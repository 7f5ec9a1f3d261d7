/**
 * The LinkedIn Comments API endpoints the adapter calls (docs/platform-apis.md §3.9), with the same
 * versioned headers as the Posts API:
 *
 *   POST /rest/socialActions/{url-encoded post URN}/comments  {actor, object, message: {text}}
 *     → 201, the created comment in the body (`commentUrn`, `id`, …) and its id in `x-restli-id`
 *   GET  /rest/socialActions/{url-encoded post URN}/comments?start&count
 *     → {paging: {start, count, total}, elements: [comment…]}; 403 without r_member_social /
 *       r_organization_social (often not granted)
 *
 * Every answer is checked: a 2xx that names no comment is `outcome_unknown` (it may be live), a list
 * without `elements` is `unknown`. Failures are classified by classifyLinkedInCommentError.
 */
import { type HttpClient, type HttpResponse, isRecord } from '../http-client.ts';
import { PublishError } from '../publish-error.ts';
import { classifyLinkedInCommentError } from './linkedin-comment-errors.ts';
import { decodeRestliId } from './linkedin-api.ts';

export interface LinkedInCommentApiOptions {
  http: HttpClient;
  baseUrl: string;
  version: string;
  now: () => Date;
}

export interface CommentBody {
  actor: string;
  object: string;
  message: { text: string };
}

/** One comment as listed: enough to tell ours from others'. */
export interface ListedComment {
  /** urn:li:comment:(…,…) when LinkedIn names it, else the bare id. */
  id: string;
  actor: string | null;
  text: string | null;
  createdAt: Date | null;
}

export interface CommentPage {
  comments: ListedComment[];
  /** `paging.total` when LinkedIn sends it. */
  total: number | null;
  /** How many elements LinkedIn was asked for. */
  count: number;
}

/** How many comments one list call asks for (LinkedIn's maximum count is 100 [U]). */
export const COMMENTS_PAGE = 50;

export interface LinkedInCommentApi {
  createComment(body: CommentBody, token: string, signal: AbortSignal): Promise<string>;
  /** One page of the post's comments, or null when the token may not read them (403). */
  listComments(post: string, start: number, token: string, signal: AbortSignal): Promise<CommentPage | null>;
}

export function createLinkedInCommentApi(options: LinkedInCommentApiOptions): LinkedInCommentApi {
  const { http, version, now } = options;
  const headers = (token: string, json: boolean): Record<string, string> => ({
    authorization: `Bearer ${token}`,
    'linkedin-version': version,
    'x-restli-protocol-version': '2.0.0',
    ...(json ? { 'content-type': 'application/json' } : {}),
  });
  const commentsUrl = (post: string) =>
    new URL(`${options.baseUrl}/rest/socialActions/${encodeURIComponent(post)}/comments`);

  function fail(res: HttpResponse, action: string, post: string): never {
    throw classifyLinkedInCommentError({ ...res, action, version, now: now(), post });
  }

  return {
    async createComment(body, token, signal) {
      const action = 'creating the comment';
      const res = await http.request({
        method: 'POST',
        url: commentsUrl(body.object),
        headers: headers(token, true),
        body: JSON.stringify(body),
        signal,
        idempotent: false,
      });
      if (res.status !== 201 && res.status !== 200) fail(res, action, body.object);
      const id = createdCommentId(res);
      if (!id) {
        // Created, but we cannot name it: it is live, so it must not be sent again blindly.
        throw new PublishError(
          'outcome_unknown',
          `LinkedIn answered ${res.status} to the comment but named no comment id; it may be live`,
          { platform: 'linkedin', platformStatus: res.status, platformMessage: res.bodyExcerpt },
        );
      }
      return id;
    },

    async listComments(post, start, token, signal) {
      const action = 'listing the post’s comments';
      const url = commentsUrl(post);
      url.searchParams.set('start', String(start));
      url.searchParams.set('count', String(COMMENTS_PAGE));
      const res = await http.request({ method: 'GET', url, headers: headers(token, false), signal });
      if (res.status === 403) return null;
      if (!res.ok) fail(res, action, post);
      const body = isRecord(res.json) ? res.json : null;
      if (!body || !Array.isArray(body.elements)) {
        throw new PublishError(
          'unknown',
          `LinkedIn answered ${res.status} without a comment list while ${action}`,
          { platform: 'linkedin', platformStatus: res.status, platformMessage: res.bodyExcerpt },
        );
      }
      const paging = isRecord(body.paging) ? body.paging : {};
      return {
        comments: body.elements.filter(isRecord).flatMap((e) => {
          const comment = readComment(e);
          return comment ? [comment] : [];
        }),
        total: typeof paging.total === 'number' ? paging.total : null,
        count: COMMENTS_PAGE,
      };
    },
  };
}

/** The comment URN from the body (`commentUrn`, `$URN`), else the decoded `x-restli-id`. */
function createdCommentId(res: HttpResponse): string | null {
  const body = isRecord(res.json) ? res.json : {};
  for (const field of ['commentUrn', '$URN']) {
    const value = body[field];
    if (typeof value === 'string' && value.startsWith('urn:li:comment:')) return value;
  }
  const header = decodeRestliId(res.headers.get('x-restli-id'));
  if (header) return header;
  return typeof body.id === 'string' && body.id !== '' ? body.id : null;
}

function readComment(e: Record<string, unknown>): ListedComment | null {
  const urn = typeof e.commentUrn === 'string'
    ? e.commentUrn
    : typeof e.$URN === 'string'
    ? e.$URN
    : typeof e.id === 'string'
    ? e.id
    : null;
  if (!urn) return null;
  const message = isRecord(e.message) ? e.message : {};
  const created = isRecord(e.created) ? e.created : {};
  return {
    id: urn,
    actor: typeof e.actor === 'string' ? e.actor : null,
    text: typeof message.text === 'string' ? message.text : null,
    createdAt: typeof created.time === 'number' ? new Date(created.time) : null,
  };
}
