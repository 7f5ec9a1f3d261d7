/**
 * The PublishErrors of a media download (media-fetch.ts), and whether they last, which decides
 * their kind:
 * - `media_unreachable`, kind `transient` (the worker retries with backoff): a timeout, an abort (the
 *   worker stopping), a temporary DNS failure (EAI_AGAIN, or a resolver failure other than "no such
 *   name"), a refused or reset connection, a download that broke off, and HTTP 5xx, 429 or 408 from the
 *   media host;
 * - `media_unreachable`, kind `rejected` (fails the target): a refused URL (not https, credentials,
 *   a private host), a host name that does not exist (NXDOMAIN), an invalid certificate, too many
 *   redirects, a file served in a way the upload cannot use, and every other non-2xx answer (404, 410,
 *   401, 403, …);
 * - `media_invalid` (rejected): too large, wrong type, empty.
 */
import type { Platform } from '../domain/platform.ts';
import { type HostAddressError, isHostAddressError } from '../net/host-addresses.ts';
import { BAD_CERTIFICATE_OR_URL_CODES, describeUrl, sanitizeError } from './http-client.ts';
import { PublishError } from './publish-error.ts';

/** Statuses from the media host worth another try later (besides every 5xx). */
export const PASSING_STATUSES: ReadonlySet<number> = new Set([408, 429]);

/**
 * Transport codes that will not change by retrying: the certificate is bad, or the URL cannot be
 * fetched at all (undici's `bad port`, Deno's blocked ports).
 */
const LASTING_TRANSPORT_CODES: ReadonlySet<string> = new Set(BAD_CERTIFICATE_OR_URL_CODES);

/** The PublishError for a request that got no answer: a refused host, or a failed connection. */
export function downloadFailure(
  err: unknown,
  options: { platform: Platform; signal: AbortSignal },
  url: string,
  timeoutMs: number,
): PublishError {
  const refusal = (err as { cause?: unknown } | null)?.cause;
  if (isHostAddressError(refusal)) return refusedHost(refusal, options.platform, url);
  const failure = transportFailure(err, options, timeoutMs);
  return mediaUnreachable(options.platform, url, `the download failed (${failure.reason})`, {
    passing: failure.passing,
    cause: err,
  });
}

function refusedHost(err: HostAddressError, platform: Platform, url: string): PublishError {
  switch (err.code) {
    case 'blocked_address':
      return mediaUnreachable(
        platform,
        url,
        `its host is or resolves to a private, loopback or link-local address (${err.address}, ${
          err.range?.name ?? 'refused'
        } ${err.range?.cidr ?? ''}), which media URLs may not reach`,
      );
    case 'no_such_host':
      return mediaUnreachable(platform, url, `its host name does not exist (${err.lookupCode})`, {
        cause: err,
      });
    case 'no_address':
      return mediaUnreachable(platform, url, 'its host name has no address');
    case 'lookup_failed':
      return mediaUnreachable(
        platform,
        url,
        `its host name could not be resolved just now (${err.lookupCode ?? 'resolver failure'})`,
        { passing: true, cause: err },
      );
  }
}

/**
 * Why a fetch of the media rejected, and whether that may pass. An abort (the caller's signal: the
 * worker stopping, the job deadline), a timeout and every connection failure without a lasting code
 * (refused, reset, Deno's uncoded errors) may pass.
 */
export function transportFailure(
  err: unknown,
  options: { signal: AbortSignal },
  timeoutMs: number,
): { reason: string; passing: boolean } {
  if (options.signal.aborted) return { reason: 'aborted before it finished', passing: true };
  if (typeof err === 'object' && err !== null && (err as Error).name === 'TimeoutError') {
    return { reason: `no answer within ${timeoutMs} ms`, passing: true };
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
export function mediaUnreachable(
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

export function mediaInvalid(platform: Platform, url: string, why: string): PublishError {
  return new PublishError('media_invalid', `The media at ${describeUrl(url)} cannot be used: ${why}`, {
    platform,
  });
}
