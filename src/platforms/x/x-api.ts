/**
 * The X API v2 shapes we send and read (docs/platform-apis.md §1.2–§1.5), and tolerant readers that
 * return null for anything that does not match — the caller turns null into an `unknown` error.
 */
import { isRecord } from '../http-client.ts';

export const X_PATHS = {
  tweets: '/2/tweets',
  usersMe: '/2/users/me',
  userTweets: (userId: string) => `/2/users/${encodeURIComponent(userId)}/tweets`,
  mediaUpload: '/2/media/upload',
  mediaInitialize: '/2/media/upload/initialize',
  mediaAppend: (id: string) => `/2/media/upload/${encodeURIComponent(id)}/append`,
  mediaFinalize: (id: string) => `/2/media/upload/${encodeURIComponent(id)}/finalize`,
  token: '/2/oauth2/token',
  revoke: '/2/oauth2/revoke',
} as const;

/** POST /2/tweets body (CreatePostsRequest; additionalProperties:false, so nothing else). */
export interface XCreatePostBody {
  text?: string;
  media?: { media_ids: string[] };
  /** A reply (a thread's next part, a first comment): the post it answers. */
  reply?: { in_reply_to_tweet_id: string };
}

/** application/problem+json, plus the `errors` array X adds for invalid requests. */
export interface XProblem {
  type: string | null;
  title: string | null;
  detail: string | null;
  status: number | null;
  /** `errors[].message`, in order. */
  messages: string[];
  /** `reason` (e.g. client-not-enrolled). */
  reason: string | null;
}

export interface XTokenResponse {
  accessToken: string;
  refreshToken: string | null;
  expiresInSeconds: number | null;
  scopes: string[];
}

export interface XProcessingInfo {
  state: 'pending' | 'in_progress' | 'succeeded' | 'failed';
  checkAfterSecs: number | null;
  errorMessage: string | null;
}

/** X post ids (TweetId in the OpenAPI): digits, at most 19. */
export const X_POST_ID = /^[0-9]{1,19}$/;

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function readProblem(body: unknown): XProblem | null {
  if (!isRecord(body)) return null;
  const errors = Array.isArray(body.errors) ? body.errors : [];
  const messages = errors.map((e) => (isRecord(e) ? str(e.message) : null)).filter((m): m is string =>
    m !== null
  );
  const problem: XProblem = {
    type: str(body.type),
    title: str(body.title),
    detail: str(body.detail),
    status: typeof body.status === 'number' ? body.status : null,
    messages,
    reason: str(body.reason),
  };
  const any = problem.type ?? problem.title ?? problem.detail ?? problem.reason ?? messages[0];
  return any === undefined || any === null ? null : problem;
}

/** `{data:{id,text}}` of a 201 from POST /2/tweets; null when the id is missing or malformed. */
export function readCreatedPost(body: unknown): { id: string; text: string | null } | null {
  if (!isRecord(body) || !isRecord(body.data)) return null;
  const id = str(body.data.id);
  return id !== null && X_POST_ID.test(id) ? { id, text: str(body.data.text) } : null;
}

export function readUser(body: unknown): { id: string; name: string | null; username: string | null } | null {
  if (!isRecord(body) || !isRecord(body.data)) return null;
  const id = str(body.data.id);
  return id ? { id, name: str(body.data.name), username: str(body.data.username) } : null;
}

/** A post as X serves it: URLs are t.co links, and a post with media ends with one more. */
export interface XServedPost {
  id: string;
  text: string;
  createdAt: string | null;
  /** `attachments.media_keys` (asked for with `tweet.fields=attachments`); empty without media. */
  mediaKeys: string[];
  /**
   * `referenced_tweets` (asked for with `tweet.fields=referenced_tweets`); X leaves the field out when
   * the post references nothing, so empty means "not a reply, quote or repost".
   */
  referencedTweets: XReferencedTweet[];
}

/** One `referenced_tweets[]` item: `replied_to` for a reply, `quoted`, `retweeted`. */
export interface XReferencedTweet {
  type: string;
  id: string;
}

/** The id of the post `post` replies to, or null when it is not a reply. */
export function repliedToId(post: XServedPost): string | null {
  return post.referencedTweets.find((r) => r.type === 'replied_to')?.id ?? null;
}

export interface XTimelinePage {
  posts: XServedPost[];
  /** `meta.next_token`: more posts match than this page holds. */
  nextToken: string | null;
}

/**
 * A page of GET /2/users/:id/tweets (`{data:[{id,text,created_at,attachments,referenced_tweets}],
 * meta}`; no `data` when empty); null when any post is malformed.
 */
export function readUserPosts(body: unknown): XTimelinePage | null {
  if (!isRecord(body)) return null;
  const nextToken = isRecord(body.meta) ? str(body.meta.next_token) : null;
  if (body.data === undefined) return isRecord(body.meta) ? { posts: [], nextToken } : null;
  if (!Array.isArray(body.data)) return null;
  const posts: XServedPost[] = [];
  for (const item of body.data) {
    if (!isRecord(item)) return null;
    const id = str(item.id);
    const text = str(item.text);
    if (id === null || text === null) return null;
    let mediaKeys: string[] = [];
    if (item.attachments !== undefined) {
      const keys = isRecord(item.attachments) ? item.attachments.media_keys ?? [] : null;
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) return null;
      mediaKeys = keys;
    }
    const referencedTweets = readReferencedTweets(item.referenced_tweets);
    if (referencedTweets === null) return null;
    posts.push({ id, text, createdAt: str(item.created_at), mediaKeys, referencedTweets });
  }
  return { posts, nextToken };
}

/** `[{type, id}]`, absent meaning none; null when the shape is anything else. */
function readReferencedTweets(value: unknown): XReferencedTweet[] | null {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return null;
  const refs: XReferencedTweet[] = [];
  for (const item of value) {
    if (!isRecord(item)) return null;
    const type = str(item.type);
    const id = str(item.id);
    if (type === null || id === null || !X_POST_ID.test(id)) return null;
    refs.push({ type, id });
  }
  return refs;
}

/** `{data:{id, processing_info?}}` of the media endpoints. */
export function readMedia(body: unknown): { id: string; processing: XProcessingInfo | null } | null {
  if (!isRecord(body) || !isRecord(body.data)) return null;
  const id = str(body.data.id) ?? str(body.data.media_id_string);
  if (id === null || !X_POST_ID.test(id)) return null;
  return { id, processing: readProcessingInfo(body.data.processing_info) };
}

function readProcessingInfo(value: unknown): XProcessingInfo | null {
  if (!isRecord(value)) return null;
  const state = str(value.state);
  if (state !== 'pending' && state !== 'in_progress' && state !== 'succeeded' && state !== 'failed') {
    return null;
  }
  const error = isRecord(value.error) ? str(value.error.message) : null;
  return {
    state,
    checkAfterSecs: typeof value.check_after_secs === 'number' ? value.check_after_secs : null,
    errorMessage: error,
  };
}

export function readTokenResponse(body: unknown): XTokenResponse | null {
  if (!isRecord(body)) return null;
  const accessToken = str(body.access_token);
  if (!accessToken) return null;
  return {
    accessToken,
    refreshToken: str(body.refresh_token),
    expiresInSeconds: typeof body.expires_in === 'number' ? body.expires_in : null,
    scopes: (str(body.scope) ?? '').split(' ').filter((s) => s !== ''),
  };
}

/** `{error, error_description}` of the OAuth token endpoint. */
export function readOAuthError(body: unknown): { error: string; description: string | null } | null {
  if (!isRecord(body)) return null;
  const error = str(body.error);
  return error ? { error, description: str(body.error_description) } : null;
}
