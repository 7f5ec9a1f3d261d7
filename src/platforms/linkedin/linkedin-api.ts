/**
 * The LinkedIn REST endpoints the adapter calls (docs/platform-apis.md §3), every one with the versioned
 * headers `LinkedIn-Version`, `X-Restli-Protocol-Version: 2.0.0` and a Bearer token, and every failure
 * classified once by classifyLinkedInError.
 */
import { type HttpClient, type HttpResponse, isRecord } from '../http-client.ts';
import { PublishError } from '../publish-error.ts';
import { classifyLinkedInError } from './linkedin-errors.ts';

export interface LinkedInApiOptions {
  http: HttpClient;
  /** https://api.linkedin.com */
  baseUrl: string;
  /** LINKEDIN_VERSION, YYYYMM. */
  version: string;
  now: () => Date;
}

export interface PostBody {
  author: string;
  commentary: string;
  visibility: 'PUBLIC';
  distribution: { feedDistribution: 'MAIN_FEED'; targetEntities: []; thirdPartyDistributionChannels: [] };
  lifecycleState: 'PUBLISHED';
  isReshareDisabledByAuthor: false;
  content?: { media: { id: string; altText?: string } } | {
    multiImage: { images: { id: string; altText?: string }[] };
  };
}

export interface ImageUpload {
  uploadUrl: string;
  image: string;
}

/** How many of the author's newest posts one finder call asks for. */
export const AUTHOR_POSTS_PAGE = 20;

export interface AuthorPost {
  id: string;
  commentary: string;
  createdAt: Date | null;
}

/** The answer to creating a post: the id, or the classified failure (the caller decides on duplicates). */
export type CreatePostResult = { ok: true; id: string } | { ok: false; error: PublishError };

export interface LinkedInApi {
  createPost(body: PostBody, token: string, signal: AbortSignal): Promise<CreatePostResult>;
  initializeImageUpload(owner: string, token: string, signal: AbortSignal): Promise<ImageUpload>;
  /** PUTs the image: `body` may be a stream (sent as it is read); `length` is its Content-Length if known. */
  uploadImage(
    upload: ImageUpload,
    body: Uint8Array | ReadableStream<Uint8Array>,
    contentType: string,
    token: string,
    signal: AbortSignal,
    length?: number | null,
  ): Promise<void>;
  imageStatus(image: string, token: string, signal: AbortSignal): Promise<string | null>;
  /** The author's newest posts, or null when the token may not read them (403). */
  postsByAuthor(author: string, token: string, signal: AbortSignal): Promise<AuthorPost[] | null>;
  /** Classifies a failed answer (used by the OAuth helpers too). */
  fail(res: HttpResponse, action: string): never;
}

export function createLinkedInApi(options: LinkedInApiOptions): LinkedInApi {
  const { http, version, now } = options;
  const headers = (token: string, json = true): Record<string, string> => ({
    authorization: `Bearer ${token}`,
    'linkedin-version': version,
    'x-restli-protocol-version': '2.0.0',
    ...(json ? { 'content-type': 'application/json' } : {}),
  });

  function fail(res: HttpResponse, action: string): never {
    throw classifyLinkedInError({ ...res, action, version, now: now() });
  }

  function unexpected(
    res: HttpResponse,
    action: string,
    code: 'unknown' | 'outcome_unknown' = 'unknown',
  ): never {
    throw new PublishError(
      code,
      `LinkedIn answered ${res.status} without the expected fields while ${action}`,
      {
        platform: 'linkedin',
        platformStatus: res.status,
        platformMessage: res.bodyExcerpt,
      },
    );
  }

  return {
    fail,

    async createPost(body, token, signal) {
      const action = 'creating the post';
      const res = await http.request({
        method: 'POST',
        url: `${options.baseUrl}/rest/posts`,
        headers: headers(token),
        body: JSON.stringify(body),
        signal,
        idempotent: false,
      });
      if (res.status !== 201 && res.status !== 200) {
        return { ok: false, error: classifyLinkedInError({ ...res, action, version, now: now() }) };
      }
      const id = decodeRestliId(res.headers.get('x-restli-id') ?? res.headers.get('x-linkedin-id'));
      // Created, but we cannot name it: it is live, so it must not be sent again blindly.
      if (!id) unexpected(res, action, 'outcome_unknown');
      return { ok: true, id };
    },

    async initializeImageUpload(owner, token, signal) {
      const action = 'starting the image upload';
      const res = await http.request({
        method: 'POST',
        url: `${options.baseUrl}/rest/images?action=initializeUpload`,
        headers: headers(token),
        body: JSON.stringify({ initializeUploadRequest: { owner } }),
        signal,
        idempotent: true, // an unused upload slot publishes nothing
      });
      if (!res.ok) fail(res, action);
      const value = isRecord(res.json) && isRecord(res.json.value) ? res.json.value : null;
      if (!value || typeof value.uploadUrl !== 'string' || typeof value.image !== 'string') {
        unexpected(res, action);
      }
      return { uploadUrl: value.uploadUrl, image: value.image };
    },

    async uploadImage(upload, body, contentType, token, signal, length) {
      const res = await http.request({
        method: 'PUT',
        url: upload.uploadUrl,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': contentType,
          ...(length != null ? { 'content-length': String(length) } : {}),
        },
        body: body as Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>,
        signal,
        idempotent: true,
      });
      if (!res.ok) fail(res, 'uploading the image');
    },

    async imageStatus(image, token, signal) {
      const res = await http.request({
        method: 'GET',
        url: `${options.baseUrl}/rest/images/${encodeURIComponent(image)}`,
        headers: headers(token, false),
        signal,
      });
      if (!res.ok) fail(res, 'checking the uploaded image');
      return isRecord(res.json) && typeof res.json.status === 'string' ? res.json.status : null;
    },

    async postsByAuthor(author, token, signal) {
      const url = new URL(`${options.baseUrl}/rest/posts`);
      url.searchParams.set('q', 'author');
      url.searchParams.set('author', author);
      url.searchParams.set('count', String(AUTHOR_POSTS_PAGE));
      url.searchParams.set('sortBy', 'CREATED');
      const res = await http.request({
        method: 'GET',
        url,
        headers: { ...headers(token, false), 'x-restli-method': 'FINDER' },
        signal,
      });
      if (res.status === 403) return null;
      if (!res.ok) fail(res, 'listing the author’s posts');
      const elements = isRecord(res.json) && Array.isArray(res.json.elements) ? res.json.elements : null;
      if (!elements) unexpected(res, 'listing the author’s posts');
      return elements.filter(isRecord).flatMap((e) =>
        typeof e.id === 'string'
          ? [{
            id: e.id,
            commentary: typeof e.commentary === 'string' ? e.commentary : '',
            createdAt: typeof e.createdAt === 'number' ? new Date(e.createdAt) : null,
          }]
          : []
      );
    },
  };
}

/** `x-restli-id` is Rest.li reduced-encoded (`urn%3Ali%3Ashare%3A1`); null when absent or malformed. */
export function decodeRestliId(header: string | null): string | null {
  if (!header) return null;
  try {
    const id = decodeURIComponent(header.trim());
    return /^urn:li:[A-Za-z]+:\S+$/.test(id) ? id : null;
  } catch {
    return null;
  }
}
