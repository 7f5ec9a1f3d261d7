/**
 * Downloads a creator's media so an adapter can upload it (X, LinkedIn), as a stream: `openMedia`
 * checks the answer (status, type, declared size) and hands over a body that is read as the upload
 * goes, so a send holds a chunk at a time, never the file. `fetchMedia` reads a whole (small) file.
 *
 * The URL is user input, so:
 * - only https (http too when `allowPrivateHosts`, i.e. MEDIA_ALLOW_PRIVATE_HOSTS=true, for dev/tests);
 * - the connection goes through src/net/guarded-fetch.ts: the host is resolved once, every address
 *   must be public (loopback, private, link-local/cloud metadata, CGNAT, NAT64, IPv4-mapped… are
 *   refused unless `allowPrivateHosts`), and the socket is opened to that checked address (TLS still
 *   validates the host name), so a host that changes its answer (DNS rebinding) gains nothing;
 * - redirects are followed by hand (at most MAX_REDIRECTS), each hop checked and connected the same way;
 * - the size is capped (Content-Length first, then while reading) and the content type must be allowed;
 * - `timeoutMs` bounds each wait on the media host (the answer, then every read of the body), not the
 *   whole download: a large video streams for as long as the upload takes. The caller's `signal` (the
 *   publish deadline, PUBLISH_TIMEOUT_MS) bounds the whole send.
 *
 * Errors are PublishErrors, `media_unreachable` or `media_invalid`, transient or lasting as
 * media-errors.ts lists; the body's errors too (media-body.ts): they reject its reads, and `failure()`
 * keeps the first, for a caller whose upload failed because the body it streamed did.
 */
import type { Platform } from '../domain/platform.ts';
import { guardedFetch } from '../net/guarded-fetch.ts';
import type { ResolveHost } from '../net/host-addresses.ts';
import { createWaitTimer, type MediaDownload, meteredDownload } from './media-body.ts';
import { downloadFailure, mediaInvalid, mediaUnreachable, PASSING_STATUSES } from './media-errors.ts';
import type { PublishError } from './publish-error.ts';

export const MAX_REDIRECTS = 3;
/** (Default: 30 s) */
const DEFAULT_MEDIA_TIMEOUT_MS = 30_000;

export interface MediaFetchOptions {
  platform: Platform;
  /** MEDIA_ALLOW_PRIVATE_HOSTS: allow private addresses and http:. (Default: false) */
  allowPrivateHosts?: boolean;
  /** Resolves a host name to its addresses. (Default: node:dns/promises lookup, all addresses) */
  resolveHost?: ResolveHost;
  /** PEM certificates trusted instead of the runtime's roots (tests serving https). (Default: none) */
  trustedCa?: readonly string[];
  /** Loopback addresses a test's "public" server listens on (see AddressPolicy). (Default: none) */
  treatAsPublic?: readonly string[];
  /** Largest accepted body in bytes, or a limit per content type (X: 5 MB images, 512 MB video). */
  maxBytes: number | ((contentType: string) => number);
  /** Accepted content types (`image/jpeg`, …); parameters such as `; charset` are ignored. */
  allowedTypes: readonly string[];
  signal: AbortSignal;
  /** Longest wait for the answer and for each read of the body. (Default: 30 s) */
  timeoutMs?: number;
}

export interface FetchedMedia {
  bytes: Uint8Array;
  /** Lower-case type without parameters, e.g. `image/png`. */
  contentType: string;
  /** The URL the bytes came from (after redirects). */
  url: string;
}

/** Downloads the whole file (bounded by `maxBytes`): for images, which are small. */
export async function fetchMedia(url: string, options: MediaFetchOptions): Promise<FetchedMedia> {
  const download = await openMedia(url, options);
  const bytes = await readAllMedia(download);
  return { bytes, contentType: download.contentType, url: download.url };
}

/**
 * Every byte of `download` in one array, at most its `maxBytes`; with `limit`, the error of
 * `tooLarge()` as soon as more than `limit.bytes` arrived. The download is closed either way.
 */
export async function readAllMedia(
  download: MediaDownload,
  limit?: { bytes: number; tooLarge: () => Error },
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = download.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (limit && total > limit.bytes) throw limit.tooLarge();
      chunks.push(value);
    }
  } finally {
    await download.cancel();
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Requests `url` (following redirects) and checks the answer; the body is left to the caller. */
export async function openMedia(url: string, options: MediaFetchOptions): Promise<MediaDownload> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS;
  const waiting = createWaitTimer(timeoutMs);
  const signal = AbortSignal.any([options.signal, waiting.signal]);
  const guard = {
    allowPrivateHosts: options.allowPrivateHosts ?? false,
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
    ...(options.trustedCa ? { trustedCa: options.trustedCa } : {}),
    ...(options.treatAsPublic ? { treatAsPublic: options.treatAsPublic } : {}),
  };
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
    const target = checkMediaUrl(current, options);
    let response: Response;
    waiting.start();
    try {
      // identity: the bytes are the file, and a Content-Length counts them, so it can size an upload.
      response = await guardedFetch(target, {
        method: 'GET',
        headers: { 'accept-encoding': 'identity' },
        signal,
      }, guard);
    } catch (err) {
      waiting.dispose();
      throw downloadFailure(err, options, current, timeoutMs);
    }
    waiting.stop();
    if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
      await response.body?.cancel();
      current = new URL(response.headers.get('location')!, target).toString();
      continue;
    }
    const refused = answerProblem(response, options, current);
    if (refused) {
      waiting.dispose();
      await response.body?.cancel();
      throw refused;
    }
    const contentType = typeOf(response);
    const maxBytes = typeof options.maxBytes === 'number' ? options.maxBytes : options.maxBytes(contentType);
    return meteredDownload(response, {
      ...options,
      url: current,
      contentType,
      maxBytes,
      length: declaredLength(response),
      waiting,
      timeoutMs,
    });
  }
  waiting.dispose();
  throw mediaUnreachable(options.platform, url, `it redirects more than ${MAX_REDIRECTS} times`);
}

/** Checks scheme and credentials; returns the URL to fetch. Throws media_unreachable. */
export function checkMediaUrl(
  url: string,
  options: Pick<MediaFetchOptions, 'platform' | 'allowPrivateHosts'>,
): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw mediaUnreachable(options.platform, url, 'it is not a valid absolute URL');
  }
  const allowPrivate = options.allowPrivateHosts ?? false;
  if (parsed.protocol !== 'https:' && !(allowPrivate && parsed.protocol === 'http:')) {
    throw mediaUnreachable(options.platform, url, `media URLs must use https (got ${parsed.protocol})`);
  }
  if (parsed.username || parsed.password) {
    throw mediaUnreachable(options.platform, url, 'media URLs must not carry credentials');
  }
  return parsed;
}

/** Why an answer cannot be used (status, type, declared size), or null. */
function answerProblem(response: Response, options: MediaFetchOptions, url: string): PublishError | null {
  if (!response.ok) {
    return mediaUnreachable(options.platform, url, `the server answered HTTP ${response.status}`, {
      passing: PASSING_STATUSES.has(response.status) || response.status >= 500,
    });
  }
  const contentType = typeOf(response);
  if (!options.allowedTypes.includes(contentType)) {
    return mediaInvalid(
      options.platform,
      url,
      `its type is ${contentType || 'not given'}; allowed: ${options.allowedTypes.join(', ')}`,
    );
  }
  const coding = (response.headers.get('content-encoding') ?? '').trim().toLowerCase();
  if (coding !== '' && coding !== 'identity') {
    // Asked for identity; decoding here would leave the declared size meaningless for the upload.
    return mediaUnreachable(
      options.platform,
      url,
      `its host sent it with Content-Encoding ${coding} although asked not to; serve the file as it is`,
    );
  }
  const maxBytes = typeof options.maxBytes === 'number' ? options.maxBytes : options.maxBytes(contentType);
  const declared = Number(response.headers.get('content-length'));
  if (response.headers.has('content-length') && declared > maxBytes) {
    return mediaInvalid(
      options.platform,
      url,
      `it is ${declared} bytes; the limit for ${contentType} is ${maxBytes}`,
    );
  }
  return null;
}

function typeOf(response: Response): string {
  return (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The Content-Length, which counts the bytes we will read (no content coding is accepted), or null. */
function declaredLength(response: Response): number | null {
  const text = response.headers.get('content-length');
  if (text === null || !/^\d+$/.test(text.trim())) return null;
  return Number(text);
}
