/**
 * Downloads a creator's media so an adapter can upload it (X, LinkedIn). The URL is user input, so:
 * - only https (http too when `allowPrivateHosts`, i.e. MEDIA_ALLOW_PRIVATE_HOSTS=true, for dev/tests);
 * - the host name is resolved first and every address must be public: loopback, private, link-local
 *   (cloud metadata), unique-local and other special ranges are refused unless `allowPrivateHosts`;
 * - redirects are followed by hand (at most MAX_REDIRECTS), each hop checked the same way;
 * - the size is capped (Content-Length first, then while reading) and the content type must be allowed.
 *
 * Errors are PublishError: `media_unreachable` (refused URL, DNS failure, connection failure, non-2xx,
 * timeout) or `media_invalid` (too large, wrong type, empty).
 *
 * Known limit: the address check and fetch's own lookup are separate resolutions, so a host that
 * changes its answer between the two (DNS rebinding) is not caught; pinning needs a custom agent,
 * which fetch does not offer portably.
 */
import type { Platform } from '../domain/platform.ts';
import { describeUrl, sanitizeError } from './http-client.ts';
import { isBlockedAddress, parseIPv4, parseIPv6 } from './private-address.ts';
import { PublishError } from './publish-error.ts';

export const MAX_REDIRECTS = 3;

export interface MediaFetchOptions {
  platform: Platform;
  /** The adapter's fetch (injected in tests). (Default: global fetch) */
  fetch?: typeof fetch;
  /** MEDIA_ALLOW_PRIVATE_HOSTS: allow private addresses and http:. (Default: false) */
  allowPrivateHosts?: boolean;
  /** Largest accepted body in bytes, or a limit per content type (X: 5 MB images, 512 MB video). */
  maxBytes: number | ((contentType: string) => number);
  /** Accepted content types (`image/jpeg`, …); parameters such as `; charset` are ignored. */
  allowedTypes: readonly string[];
  signal: AbortSignal;
  /** (Default: 30 s) */
  timeoutMs?: number;
  /** Resolves a host name to its addresses. (Default: node:dns/promises lookup, all addresses) */
  resolveHost?: (hostname: string) => Promise<string[]>;
}

export interface FetchedMedia {
  bytes: Uint8Array;
  /** Lower-case type without parameters, e.g. `image/png`. */
  contentType: string;
  /** The URL the bytes came from (after redirects). */
  url: string;
}

export async function fetchMedia(url: string, options: MediaFetchOptions): Promise<FetchedMedia> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? 30_000)]);
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
    const target = await checkMediaUrl(current, options);
    let response: Response;
    try {
      response = await fetchFn(target, { method: 'GET', redirect: 'manual', signal });
    } catch (err) {
      throw unreachable(
        options.platform,
        current,
        `the download failed (${transportReason(err, options.signal)})`,
        err,
      );
    }
    if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
      await response.body?.cancel();
      current = new URL(response.headers.get('location')!, target).toString();
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw unreachable(options.platform, current, `the server answered HTTP ${response.status}`);
    }
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!options.allowedTypes.includes(contentType)) {
      await response.body?.cancel();
      throw invalid(
        options.platform,
        current,
        `its type is ${contentType || 'not given'}; allowed: ${options.allowedTypes.join(', ')}`,
      );
    }
    const maxBytes = typeof options.maxBytes === 'number' ? options.maxBytes : options.maxBytes(contentType);
    const declared = Number(response.headers.get('content-length'));
    if (response.headers.has('content-length') && declared > maxBytes) {
      await response.body?.cancel();
      throw invalid(
        options.platform,
        current,
        `it is ${declared} bytes; the limit for ${contentType} is ${maxBytes}`,
      );
    }
    const bytes = await readCapped(response, { ...options, maxBytes }, current);
    if (bytes.byteLength === 0) throw invalid(options.platform, current, 'it is empty');
    return { bytes, contentType, url: current };
  }
  throw unreachable(options.platform, url, `it redirects more than ${MAX_REDIRECTS} times`);
}

/** Checks scheme and host addresses; returns the URL to fetch. Throws media_unreachable. */
export async function checkMediaUrl(
  url: string,
  options: Pick<MediaFetchOptions, 'platform' | 'allowPrivateHosts' | 'resolveHost'>,
): Promise<URL> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw unreachable(options.platform, url, 'it is not a valid absolute URL');
  }
  const allowPrivate = options.allowPrivateHosts ?? false;
  if (parsed.protocol !== 'https:' && !(allowPrivate && parsed.protocol === 'http:')) {
    throw unreachable(options.platform, url, `media URLs must use https (got ${parsed.protocol})`);
  }
  if (parsed.username || parsed.password) {
    throw unreachable(options.platform, url, 'media URLs must not carry credentials');
  }
  if (allowPrivate) return parsed;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const literal = parseIPv4(host) !== null || parseIPv6(host) !== null;
  let addresses: string[];
  try {
    addresses = literal ? [host] : await (options.resolveHost ?? resolveWithDns)(host);
  } catch (err) {
    throw unreachable(options.platform, url, `its host name does not resolve`, err);
  }
  if (addresses.length === 0) throw unreachable(options.platform, url, 'its host name has no address');
  const blocked = addresses.find(isBlockedAddress);
  if (blocked !== undefined) {
    throw unreachable(
      options.platform,
      url,
      `its host resolves to a private, loopback or link-local address (${blocked}), which media URLs may not reach`,
    );
  }
  return parsed;
}

async function resolveWithDns(hostname: string): Promise<string[]> {
  const dns = await import('node:dns/promises');
  const results = await dns.lookup(hostname, { all: true, verbatim: true });
  return results.map((r) => r.address);
}

async function readCapped(
  response: Response,
  options: MediaFetchOptions & { maxBytes: number },
  url: string,
): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        await reader.cancel();
        throw invalid(options.platform, url, `it is larger than the limit of ${options.maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof PublishError) throw err;
    throw unreachable(
      options.platform,
      url,
      `the download broke off (${transportReason(err, options.signal)})`,
      err,
    );
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function transportReason(err: unknown, callerSignal: AbortSignal): string {
  if (callerSignal.aborted) return 'aborted';
  if (typeof err === 'object' && err !== null && (err as Error).name === 'TimeoutError') return 'timed out';
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : 'connection failed';
}

function unreachable(platform: Platform, url: string, why: string, cause?: unknown): PublishError {
  return new PublishError('media_unreachable', `The media at ${describeUrl(url)} cannot be used: ${why}`, {
    platform,
    cause: cause === undefined ? undefined : sanitizeError(cause),
  });
}

function invalid(platform: Platform, url: string, why: string): PublishError {
  return new PublishError('media_invalid', `The media at ${describeUrl(url)} cannot be used: ${why}`, {
    platform,
  });
}
