/**
 * Uploads one media item to X through the v2 endpoints (docs/platform-apis.md §1.3 b, §1.7):
 * - images (and small GIFs): one-shot `POST /2/media/upload` (multipart: `media`, `media_category`);
 * - video and large GIFs: `initialize` → `append` (chunks) → `finalize`;
 * - when X returns `processing_info`, `GET /2/media/upload?command=STATUS` until `succeeded`, waiting
 *   `check_after_secs` (capped) each time, for at most `processingTimeoutMs` in total.
 * Uploads are idempotent for our purposes (an orphan upload expires unused), so transport failures
 * are `network`, not `outcome_unknown`.
 */
import type { MediaItem } from '../../domain/post.ts';
import type { HttpClient, HttpResponse } from '../http-client.ts';
import { fetchMedia } from '../media-fetch.ts';
import { PublishError } from '../publish-error.ts';
import { readMedia, X_PATHS } from './x-api.ts';
import { classifyXError } from './x-errors.ts';

const MB = 1024 * 1024;
export const X_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'];
export const X_VIDEO_TYPES = ['video/mp4', 'video/quicktime'];
const LIMIT_BY_TYPE: Readonly<Record<string, number>> = {
  'image/jpeg': 5 * MB,
  'image/png': 5 * MB,
  'image/webp': 5 * MB,
  'image/gif': 15 * MB,
  'video/mp4': 512 * MB,
  'video/quicktime': 512 * MB,
};
type UploadedMedia = NonNullable<ReturnType<typeof readMedia>>;

/** GIFs above this go through the chunked upload. */
const ONE_SHOT_GIF_LIMIT = 5 * MB;
/** Bytes per APPEND. */
export const X_CHUNK_BYTES = 4 * MB;

export interface XMediaDeps {
  http: HttpClient;
  baseUrl: string;
  fetch: typeof fetch;
  now: () => Date;
  allowPrivateMediaHosts: boolean;
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** Upper bound on waiting for X to process a video. (Default: 120 s) */
  processingTimeoutMs: number;
  /** Upper bound on one wait between STATUS checks. (Default: 10 s) */
  maxPollIntervalMs: number;
}

/** Downloads `item` and uploads it; returns the numeric media id for POST /2/tweets. */
export async function uploadXMedia(
  deps: XMediaDeps,
  item: MediaItem,
  accessToken: string,
  signal: AbortSignal,
): Promise<string> {
  const media = await fetchMedia(item.url, {
    platform: 'x',
    fetch: deps.fetch,
    allowPrivateHosts: deps.allowPrivateMediaHosts,
    resolveHost: deps.resolveHost,
    allowedTypes: [...X_IMAGE_TYPES, ...X_VIDEO_TYPES],
    maxBytes: (type) => LIMIT_BY_TYPE[type] ?? 5 * MB,
    signal,
  });
  const auth = { authorization: `Bearer ${accessToken}` };
  const isVideo = X_VIDEO_TYPES.includes(media.contentType);
  const isGif = media.contentType === 'image/gif';
  const category = isVideo ? 'tweet_video' : isGif ? 'tweet_gif' : 'tweet_image';

  let uploaded: UploadedMedia;
  if (!isVideo && !(isGif && media.bytes.byteLength > ONE_SHOT_GIF_LIMIT)) {
    const form = new FormData();
    form.set('media', new Blob([media.bytes as BlobPart], { type: media.contentType }), 'media');
    form.set('media_category', category);
    const res = await send(deps, {
      method: 'POST',
      path: X_PATHS.mediaUpload,
      headers: auth,
      body: form,
      signal,
    });
    uploaded = expectMedia(res, deps);
  } else {
    const init = await send(deps, {
      method: 'POST',
      path: X_PATHS.mediaInitialize,
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        media_type: media.contentType,
        total_bytes: media.bytes.byteLength,
        media_category: category,
      }),
      signal,
    });
    const { id } = expectMedia(init, deps);
    for (let index = 0, offset = 0; offset < media.bytes.byteLength; index += 1, offset += X_CHUNK_BYTES) {
      const form = new FormData();
      const chunk = media.bytes.subarray(offset, offset + X_CHUNK_BYTES);
      form.set('media', new Blob([chunk as BlobPart], { type: 'application/octet-stream' }), 'chunk');
      form.set('segment_index', String(index));
      const res = await send(deps, {
        method: 'POST',
        path: X_PATHS.mediaAppend(id),
        headers: auth,
        body: form,
        signal,
      });
      if (res.status < 200 || res.status > 299) {
        throw classifyXError(res, { operation: 'media_upload', now: deps.now() });
      }
    }
    const fin = await send(deps, { method: 'POST', path: X_PATHS.mediaFinalize(id), headers: auth, signal });
    uploaded = expectMedia(fin, deps);
  }
  if (uploaded.processing) await waitForProcessing(deps, uploaded.id, uploaded.processing, auth, signal);
  return uploaded.id;
}

async function waitForProcessing(
  deps: XMediaDeps,
  id: string,
  first: UploadedMedia['processing'],
  auth: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + deps.processingTimeoutMs;
  let info = first;
  while (info && info.state !== 'succeeded') {
    if (info.state === 'failed') {
      throw new PublishError(
        'media_invalid',
        `X could not process the media: ${info.errorMessage ?? 'no reason given'}`,
        {
          platform: 'x',
          platformMessage: info.errorMessage,
        },
      );
    }
    const waitMs = Math.min((info.checkAfterSecs ?? 1) * 1000, deps.maxPollIntervalMs);
    if (Date.now() + waitMs > deadline) {
      throw new PublishError(
        'platform_unavailable',
        `X did not finish processing the media within ${deps.processingTimeoutMs} ms; it will be retried`,
        { platform: 'x' },
      );
    }
    await abortableSleep(waitMs, signal);
    const url = new URL(`${deps.baseUrl}${X_PATHS.mediaUpload}`);
    url.searchParams.set('media_id', id);
    url.searchParams.set('command', 'STATUS');
    const res = await deps.http.request({ method: 'GET', url, headers: auth, signal });
    const status = expectMedia(res, deps);
    // A STATUS answer without processing_info means there is nothing left to wait for.
    info = status.processing;
  }
}

function expectMedia(res: HttpResponse, deps: XMediaDeps): UploadedMedia {
  if (res.status < 200 || res.status > 299) {
    throw classifyXError(res, { operation: 'media_upload', now: deps.now() });
  }
  const media = readMedia(res.json);
  if (!media) {
    throw new PublishError(
      'unknown',
      `X answered a media upload with HTTP ${res.status} and no media id: ${res.bodyExcerpt}`,
      {
        platform: 'x',
        platformStatus: res.status,
        platformMessage: res.bodyExcerpt,
      },
    );
  }
  return media;
}

function send(
  deps: XMediaDeps,
  req: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body?: BodyInit;
    signal: AbortSignal;
  },
): Promise<HttpResponse> {
  return deps.http.request({
    method: req.method,
    url: `${deps.baseUrl}${req.path}`,
    headers: req.headers,
    body: req.body ?? null,
    signal: req.signal,
    idempotent: true,
  });
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(signal: AbortSignal): PublishError {
  return new PublishError('network', 'waiting for X to process the media was aborted; nothing was posted', {
    platform: 'x',
    cause: signal.reason,
  });
}
