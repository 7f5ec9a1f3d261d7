/**
 * Uploads one media item to X through the v2 endpoints (docs/platform-apis.md §1.3 b, §1.7):
 * - images (and small GIFs): one-shot `POST /2/media/upload` (multipart: `media`, `media_category`);
 * - video and large GIFs: `initialize` → `append` (chunks, x-append-chunks.ts) → `finalize`; a video
 *   streams from its host into the appends (media-fetch.ts `openMedia`), one chunk in memory at a time,
 *   sized by its Content-Length (see readUnsized for a host that sends none);
 * - when X returns `processing_info`, `GET /2/media/upload?command=STATUS` until `succeeded`, waiting
 *   `check_after_secs` (capped) each time, for at most `processingTimeoutMs` in total.
 * Uploads are idempotent for our purposes (an orphan upload expires unused), so transport failures
 * are `network`, not `outcome_unknown`; a download that breaks off mid-upload fails the attempt as
 * `media_unreachable` (transient), and the next attempt starts a new upload.
 * Media downloads never use the adapter's `fetch`: they connect through src/net/guarded-fetch.ts.
 */
import type { MediaItem } from '../../domain/post.ts';
import type { HttpClient, HttpResponse } from '../http-client.ts';
import type { MediaDownload } from '../media-body.ts';
import { mediaUnreachable } from '../media-errors.ts';
import { openMedia, readAllMedia } from '../media-fetch.ts';
import { PublishError } from '../publish-error.ts';
import { appendChunks, bytesSource, type ChunkSource, streamSource } from './x-append-chunks.ts';
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
/** Largest video read into memory to learn its size when its host sends no Content-Length. */
export const X_UNSIZED_VIDEO_LIMIT = 16 * MB;

export interface XMediaDeps {
  http: HttpClient;
  baseUrl: string;
  now: () => Date;
  allowPrivateMediaHosts: boolean;
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** PEM certificates trusted for media hosts instead of the runtime's roots (tests). */
  trustedCa?: readonly string[];
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
  const media = await openMedia(item.url, {
    platform: 'x',
    allowPrivateHosts: deps.allowPrivateMediaHosts,
    ...(deps.resolveHost ? { resolveHost: deps.resolveHost } : {}),
    ...(deps.trustedCa ? { trustedCa: deps.trustedCa } : {}),
    allowedTypes: [...X_IMAGE_TYPES, ...X_VIDEO_TYPES],
    maxBytes: (type) => LIMIT_BY_TYPE[type] ?? 5 * MB,
    signal,
  });
  const auth = { authorization: `Bearer ${accessToken}` };
  let uploaded: UploadedMedia;
  try {
    uploaded = await upload(deps, media, auth, signal);
  } finally {
    await media.cancel();
  }
  if (uploaded.processing) await waitForProcessing(deps, uploaded.id, uploaded.processing, auth, signal);
  return uploaded.id;
}

/**
 * Images and GIFs are read whole (at most 15 MB); a video is streamed into the APPENDs, so it costs
 * one chunk of memory whatever its size.
 */
async function upload(
  deps: XMediaDeps,
  media: MediaDownload,
  auth: Record<string, string>,
  signal: AbortSignal,
): Promise<UploadedMedia> {
  const isVideo = X_VIDEO_TYPES.includes(media.contentType);
  const isGif = media.contentType === 'image/gif';
  const category = isVideo ? 'tweet_video' : isGif ? 'tweet_gif' : 'tweet_image';
  if (!isVideo) {
    const bytes = await readAllMedia(media);
    if (isGif && bytes.byteLength > ONE_SHOT_GIF_LIMIT) {
      return uploadChunked(deps, media, category, bytes.byteLength, bytesSource(bytes), auth, signal);
    }
    const form = new FormData();
    form.set('media', new Blob([bytes as BlobPart], { type: media.contentType }), 'media');
    form.set('media_category', category);
    const res = await send(deps, {
      method: 'POST',
      path: X_PATHS.mediaUpload,
      headers: auth,
      body: form,
      signal,
    });
    return expectMedia(res, deps);
  }
  if (media.length !== null) {
    return uploadChunked(deps, media, category, media.length, streamSource(media.body), auth, signal);
  }
  const bytes = await readUnsized(media);
  return uploadChunked(deps, media, category, bytes.byteLength, bytesSource(bytes), auth, signal);
}

/**
 * initialize → append (x-append-chunks.ts) → finalize. `total` is what initialize declares; X
 * refuses the finalize if the appended bytes differ, and so do we before it.
 */
async function uploadChunked(
  deps: XMediaDeps,
  media: MediaDownload,
  category: string,
  total: number,
  source: ChunkSource,
  auth: Record<string, string>,
  signal: AbortSignal,
): Promise<UploadedMedia> {
  const init = await send(deps, {
    method: 'POST',
    path: X_PATHS.mediaInitialize,
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ media_type: media.contentType, total_bytes: total, media_category: category }),
    signal,
  });
  const { id } = expectMedia(init, deps);
  const sent = await appendChunks(deps, id, source, auth, signal);
  if (sent !== total) {
    // The body is held to its Content-Length, so this is a host that changed the file mid-way.
    throw mediaUnreachable('x', media.url, `it sent ${sent} bytes after declaring ${total}`, {
      passing: true,
    });
  }
  const fin = await send(deps, { method: 'POST', path: X_PATHS.mediaFinalize(id), headers: auth, signal });
  return expectMedia(fin, deps);
}

/**
 * A video whose host sent no Content-Length: initialize needs the size first, so it is read into
 * memory up to X_UNSIZED_VIDEO_LIMIT, and refused past that (spooling to disk would need write access
 * the workers do not have, and an unbounded buffer is what streaming is for avoiding).
 */
function readUnsized(media: MediaDownload): Promise<Uint8Array> {
  return readAllMedia(media, {
    bytes: X_UNSIZED_VIDEO_LIMIT,
    tooLarge: () =>
      mediaUnreachable(
        'x',
        media.url,
        `its host does not say how large it is (no Content-Length) and it is larger than ${X_UNSIZED_VIDEO_LIMIT} bytes; ` +
          'X needs the size before the upload starts, so serve the file with a Content-Length header',
      ),
  });
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
