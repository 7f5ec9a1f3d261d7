/**
 * The Instagram comment endpoints (Instagram API with Instagram Login, docs/platform-apis.md §2.9),
 * on the same host, version and Bearer token as the publishing calls:
 *
 *   POST /{ig-media-id}/comments  message=…  → {"id":"<IG_COMMENT_ID>"}
 *   GET  /{ig-media-id}/comments?fields=id,text,timestamp,from,username[&after=…]
 *     → {"data":[{id,text,timestamp,from:{id,username},username}],"paging":{cursors,next?}}
 *
 * Both need `instagram_business_manage_comments`. Ids exceed 2^53, so bare numeric ids are quoted
 * before the body is parsed (Graph sends them as strings, but a number would lose digits).
 */
import { type HttpClient, type HttpResponse, isRecord, parseJsonBody } from '../http-client.ts';
import { PublishError } from '../publish-error.ts';
import { rawField } from './instagram-api.ts';
import { classifyInstagramCommentError } from './instagram-comment-errors.ts';
import { parseGraphTime } from './instagram-api.ts';

export interface InstagramCommentApiOptions {
  http: HttpClient;
  /** e.g. https://graph.instagram.com (no version). */
  baseUrl: string;
  /** e.g. v25.0; '' sends unversioned paths. */
  graphVersion: string;
  now: () => Date;
}

export interface ListedIgComment {
  id: string;
  text: string | null;
  timestamp: Date | null;
  /** The commenter's IG id (`from.id`), when Instagram names it. */
  fromId: string | null;
  username: string | null;
}

export interface InstagramCommentApi {
  createComment(mediaId: string, message: string, token: string, signal: AbortSignal): Promise<string>;
  /** One page of the media's comments and the cursor of the next page (null on the last). */
  listComments(
    mediaId: string,
    token: string,
    signal: AbortSignal,
    after?: string,
  ): Promise<{ comments: ListedIgComment[]; next: string | null }>;
}

export function createInstagramCommentApi(options: InstagramCommentApiOptions): InstagramCommentApi {
  const { http, now } = options;
  const commentsUrl = (mediaId: string) =>
    new URL(
      `${options.baseUrl}${options.graphVersion ? `/${options.graphVersion}` : ''}/${
        encodeURIComponent(mediaId)
      }/comments`,
    );

  function fail(res: HttpResponse, action: string, mediaId: string): never {
    throw classifyInstagramCommentError({ ...res, action, now: now(), mediaId });
  }

  return {
    async createComment(mediaId, message, token, signal) {
      const action = 'posting the comment';
      const res = await http.request({
        method: 'POST',
        url: commentsUrl(mediaId),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ message }).toString(),
        signal,
        idempotent: false,
      });
      if (!res.ok) fail(res, action, mediaId);
      const id = rawField(res.text, 'id');
      if (!id) {
        throw new PublishError(
          'outcome_unknown',
          'Instagram accepted the comment but returned no comment id; it may be live',
          { platform: 'instagram', platformStatus: res.status, platformMessage: res.bodyExcerpt },
        );
      }
      return id;
    },

    async listComments(mediaId, token, signal, after) {
      const action = 'listing the media’s comments';
      const url = commentsUrl(mediaId);
      url.searchParams.set('fields', 'id,text,timestamp,from,username');
      url.searchParams.set('limit', '50');
      if (after) url.searchParams.set('after', after);
      const res = await http.request({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${token}` },
        signal,
      });
      if (!res.ok) fail(res, action, mediaId);
      const body = parseJsonBody(quoteBareIds(res.text));
      if (!isRecord(body) || !Array.isArray(body.data)) {
        throw new PublishError(
          'unknown',
          `Instagram answered ${res.status} without a comment list while ${action}; see the attempt log`,
          { platform: 'instagram', platformStatus: res.status, platformMessage: res.bodyExcerpt },
        );
      }
      const comments = body.data.filter(isRecord).flatMap((item): ListedIgComment[] => {
        if (typeof item.id !== 'string') return [];
        const from = isRecord(item.from) ? item.from : {};
        return [{
          id: item.id,
          text: typeof item.text === 'string' ? item.text : null,
          timestamp: typeof item.timestamp === 'string' ? parseGraphTime(item.timestamp) : null,
          fromId: typeof from.id === 'string' ? from.id : null,
          username: typeof item.username === 'string'
            ? item.username
            : typeof from.username === 'string'
            ? from.username
            : null,
        }];
      });
      const paging = isRecord(body.paging) ? body.paging : {};
      const cursors = isRecord(paging.cursors) ? paging.cursors : {};
      const next = typeof paging.next === 'string' && typeof cursors.after === 'string'
        ? cursors.after
        : null;
      return { comments, next };
    },
  };
}

/** `"id": 17870913679156914` → `"id":"17870913679156914"`, so no digit is lost to a double. */
function quoteBareIds(text: string): string {
  return text.replace(/"id"\s*:\s*(-?\d+)/g, '"id":"$1"');
}
