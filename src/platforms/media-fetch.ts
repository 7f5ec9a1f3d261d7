/**
 * Downloads a creator's media so an adapter can upload it (X, LinkedIn). The URL is user input, so:
 * - only https (http too when `allowPrivateHosts`, i.e. MEDIA_ALLOW_PRIVATE_HOSTS=true, for dev/tests);
 * - the host name is resolved first and every address must be public: loopback, private, link-local
 *   (cloud metadata), unique-local and other special ranges are refused unless `allowPrivateHosts`;
 * - redirects are followed by hand (at most MAX_REDIRECTS), each hop checked the same way;
 * - the size is capped (Content-Length first, then while reading) and the content type must be allowed.
 *
 * Errors are PublishError, and whether they last decides their kind:
 * - `media_unreachable`, kind `transient` (the worker retries with backoff): a timeout, an abort (the
 *   worker stopping), a temporary DNS failure (EAI_AGAIN, or a resolver failure other than "no such
 *   name"), a refused or reset connection, a download that broke off, and HTTP 5xx, 429 or 408 from the
 *   media host;
 * - `media_unreachable`, kind `rejected` (fails the target): a refused URL (not https, credentials,
 *   a private host), a host name that does not exist (NXDOMAIN), an invalid certificate, too many
 *   redirects, and every other non-2xx answer (404, 410, 401, 403, …);
 * - `media_invalid` (rejected): too large, wrong type, empty.
 *
 * Known limit: the address check and fetch's own lookup are separate resolutions, so a host that
 * changes its answer between the two (DNS rebinding) is not caught; pinning needs a custom agent,
 * which fetch does not offer portably.
 */
import type { Platform } from '../domain/platform.ts';
import { BAD_CERTIFICATE_OR_URL_CODES, describeUrl, sanitizeError } from './http-client.ts';
import { isBlockedAddress, parseIPv4, parseIPv6 } from '../net/private-address.ts';
import { PublishError } from './publish-error.ts';

export const MAX_REDIRECTS = 3;
/** (Default: 30 s) */
const DEFAULT_MEDIA_TIMEOUT_MS = 30_000;

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
  const signal = AbortSignal.any([
    options.signal,
    AbortSignal.timeout(options.timeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS),
  ]);
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
    const target = await checkMediaUrl(current, options);
    let response: Response;
    try {
      response = await fetchFn(target, { method: 'GET', redirect: 'manual', signal });
    } catch (err) {
      const failure = transportFailure(err, options);
      throw unreachable(options.platform, current, `the download failed (${failure.reason})`, {
        passing: failure.passing,
        cause: err,
      });
    }
    if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
      await response.body?.cancel();
      current = new URL(response.headers.get('location')!, target).toString();
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw unreachable(options.platform, current, `the server answered HTTP ${response.status}`, {
        passing: PASSING_STATUSES.has(response.status) || response.status >= 500,
      });
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
    const code = errorCode(err);
    if (code !== null && NO_SUCH_NAME_CODES.has(code)) {
      throw unreachable(options.platform, url, `its host name does not exist (${code})`, { cause: err });
    }
    throw unreachable(
      options.platform,
      url,
      `its host name could not be resolved just now (${code ?? 'resolver failure'})`,
      { passing: true, cause: err },
    );
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
    const failure = transportFailure(err, options);
    // Whatever broke the body off mid-way (a reset, a timeout, an abort), the host did answer: passing.
    throw unreachable(options.platform, url, `the download broke off (${failure.reason})`, {
      passing: true,
      cause: err,
    });
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Statuses from the media host worth another try later (besides every 5xx). */
const PASSING_STATUSES: ReadonlySet<number> = new Set([408, 429]);

/** Resolver codes for a name that does not exist (NXDOMAIN, no address records): asking again won't help. */
const NO_SUCH_NAME_CODES: ReadonlySet<string> = new Set([
  'ENOTFOUND',
  'EAI_NONAME',
  'EAI_NODATA',
  'ENODATA',
  'NXDOMAIN',
]);

/**
 * Transport codes that will not change by retrying: the name does not exist, the certificate is bad,
 * or the URL cannot be fetched at all (undici's `bad port`, Deno's blocked ports).
 */
const LASTING_TRANSPORT_CODES: ReadonlySet<string> = new Set([
  ...NO_SUCH_NAME_CODES,
  ...BAD_CERTIFICATE_OR_URL_CODES,
]);

/**
 * Why a fetch of the media rejected, and whether that may pass. An abort (the caller's signal: the
 * worker stopping, the job deadline), a timeout and every connection failure without a lasting code
 * (refused, reset, EAI_AGAIN, Deno's uncoded errors) may pass.
 */
function transportFailure(
  err: unknown,
  options: Pick<MediaFetchOptions, 'signal' | 'timeoutMs'>,
): { reason: string; passing: boolean } {
  if (options.signal.aborted) return { reason: 'aborted before it finished', passing: true };
  if (typeof err === 'object' && err !== null && (err as Error).name === 'TimeoutError') {
    return { reason: `no answer within ${options.timeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS} ms`, passing: true };
  }
  const causeCode = errorCode((err as { cause?: unknown } | null)?.cause);
  if (causeCode !== null) return { reason: causeCode, passing: !LASTING_TRANSPORT_CODES.has(causeCode) };
  const cause = (err as { cause?: { message?: unknown } } | null)?.cause;
  if (cause?.message === 'bad port') return { reason: 'the port is not allowed', passing: false };
  if (err instanceof Error && err.message.startsWith('Fetch failed: Requests to port')) {
    return { reason: 'the port is not allowed', passing: false };
  }
  return { reason: 'connection failed', passing: true };
}

function errorCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : null;
}

/**
 * `media_unreachable`; `passing` makes it transient (retried with backoff), else it fails the target.
 */
function unreachable(
  platform: Platform,
  url: string,
  why: string,
  how: { passing?: boolean; cause?: unknown } = {},
): PublishError {
  const passing = how.passing ?? false;
  const next = passing ? '; it will be tried again later' : '; fix or replace the media URL';
  return new PublishError(
    'media_unreachable',
    `The media at ${describeUrl(url)} cannot be used: ${why}${next}`,
    {
      platform,
      kind: passing ? 'transient' : 'rejected',
      cause: how.cause === undefined ? undefined : sanitizeError(how.cause),
    },
  );
}
function invalid(platform: Platform, url: string, why: string): PublishError {
  return new PublishError('media_invalid', `The media at ${describeUrl(url)} cannot be used: ${why}`, {
    platform,
  });
}
