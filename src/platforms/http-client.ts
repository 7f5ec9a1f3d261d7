/**
 * The one way adapters talk HTTP: `fetch` with a timeout combined with the caller's AbortSignal, a
 * body that is read once and parsed without ever throwing, and transport failures turned into a
 * PublishError that says whether the request may have reached the platform.
 *
 *   const http = createHttpClient({ platform: 'x', fetch, timeoutMs: 30_000 });
 *   const res = await http.request({ method: 'POST', url, headers, body, signal, idempotent: false });
 *   if (res.status === 201 && isRecord(res.json)) …   // res.json is undefined for a non-JSON body
 *   else throw classifyMyPlatform(res);               // res.bodyExcerpt is bounded, for the attempt log
 *
 * Transport failures (the promise rejects with PublishError; an HTTP error status never rejects):
 * - `network`: the request never left (connection refused, DNS failure, TLS failure, bad port), or the
 *   request is idempotent. Safe to retry.
 * - `outcome_unknown`: a non-idempotent request (a publish) was sent, or may have been, and no answer
 *   came: timeout, connection reset or closed after the request was written, or the caller aborted
 *   mid-flight. The post may be live; the worker reconciles instead of re-sending.
 * A request whose caller signal is already aborted is not sent at all (`network`).
 *
 * Nothing here puts a URL's query string (Instagram sends `access_token` there) or a header into an
 * error message or cause.
 */
import type { Platform } from '../domain/platform.ts';
import { excerpt, PublishError } from './publish-error.ts';

/** Used when neither the client nor the request names a timeout. (Default: 30 s) */
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface HttpClientOptions {
  platform: Platform;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per-request timeout when the request names none. (Default: DEFAULT_TIMEOUT_MS) */
  timeoutMs?: number;
}

export interface HttpRequest {
  method: string;
  url: string | URL;
  headers?: HeadersInit;
  body?: BodyInit | null;
  /** The caller's signal (worker shutdown, job deadline). Required: every request can be aborted. */
  signal: AbortSignal;
  /** Overrides the client's timeout for this request. */
  timeoutMs?: number;
  /**
   * Whether sending twice is harmless. A non-idempotent request that fails after it may have been
   * written becomes `outcome_unknown` rather than `network`. (Default: true for GET and HEAD, else false)
   */
  idempotent?: boolean;
}

export interface HttpResponse {
  status: number;
  ok: boolean;
  headers: Headers;
  /** The whole body as text ('' when empty). */
  text: string;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. Never throws. */
  json: unknown;
  /** A bounded excerpt of the body, for the attempt log and `unknown` errors. */
  bodyExcerpt: string;
}

export interface HttpClient {
  /** Sends one request. Resolves for every HTTP status; rejects only with PublishError (transport). */
  request(req: HttpRequest): Promise<HttpResponse>;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const platform = options.platform;

  return {
    async request(req: HttpRequest): Promise<HttpResponse> {
      const method = req.method.toUpperCase();
      const idempotent = req.idempotent ?? (method === 'GET' || method === 'HEAD');
      const target = describeUrl(req.url);
      if (req.signal.aborted) {
        throw new PublishError('network', `${method} ${target} was not sent: the caller aborted first`, {
          platform,
          cause: sanitizeError(req.signal.reason),
        });
      }
      const timeoutMs = req.timeoutMs ?? defaultTimeoutMs;
      const signal = AbortSignal.any([req.signal, AbortSignal.timeout(timeoutMs)]);
      try {
        const response = await fetchFn(req.url, {
          method,
          headers: req.headers,
          body: req.body ?? null,
          signal,
          redirect: 'manual',
          // A streamed body (a media upload read as it downloads) must say so (fetch standard).
          ...(req.body instanceof ReadableStream ? { duplex: 'half' } : {}),
        } as RequestInit);
        const text = await response.text();
        return {
          status: response.status,
          ok: response.ok,
          headers: response.headers,
          text,
          json: parseJsonBody(text),
          bodyExcerpt: excerpt(text),
        };
      } catch (err) {
        throw classifyTransportError(err, {
          platform,
          method,
          target,
          idempotent,
          callerSignal: req.signal,
          timeoutMs,
        });
      }
    },
  };
}

/** JSON.parse that returns undefined instead of throwing (empty, HTML error pages, truncated bodies). */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Narrows a parsed body to a plain object, so adapters can read fields without casts everywhere. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `https://host/path` of a URL: no query string, no credentials, no fragment. */
export function describeUrl(url: string | URL): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

interface TransportContext {
  platform: Platform;
  method: string;
  target: string;
  idempotent: boolean;
  callerSignal: AbortSignal;
  timeoutMs: number;
}

/** A certificate that cannot be trusted, or a URL that cannot be fetched at all: no retry changes it. */
export const BAD_CERTIFICATE_OR_URL_CODES: readonly string[] = [
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_INVALID_URL',
];

/**
 * Node (undici) error codes that mean the connection was never established, so the request never
 * left this process. Deno has no codes; its hyper error says `client error (Connect)` for the same.
 */
const NEVER_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  ...BAD_CERTIFICATE_OR_URL_CODES,
]);

/** Turns a fetch rejection into `network` or `outcome_unknown` (see the module doc). */
export function classifyTransportError(err: unknown, ctx: TransportContext): PublishError {
  const details = { platform: ctx.platform, cause: sanitizeError(err) };
  const callerAborted = ctx.callerSignal.aborted;
  const timedOut = !callerAborted && isNamed(err, 'TimeoutError');
  const what = `${ctx.method} ${ctx.target}`;

  if (!timedOut && !callerAborted && neverSent(err)) {
    return new PublishError(
      'network',
      `${what} could not connect (${reasonOf(err)}); nothing was sent`,
      details,
    );
  }
  const why = callerAborted
    ? 'the caller aborted the request'
    : timedOut
    ? `no answer within ${ctx.timeoutMs} ms`
    : `the connection failed (${reasonOf(err)})`;
  if (ctx.idempotent) return new PublishError('network', `${what} failed: ${why}`, details);
  return new PublishError(
    'outcome_unknown',
    `${what} was sent but ${why}; it may have been published, so it must be checked before sending again`,
    details,
  );
}

function neverSent(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.message.startsWith('Fetch failed: Requests to port')) return true; // Deno's blocked ports
  const cause = (err as { cause?: unknown }).cause;
  const causes = isRecord(cause) && Array.isArray(cause.errors) ? [cause, ...cause.errors] : [cause];
  return causes.some((c) => {
    if (!isRecord(c)) return false;
    if (typeof c.code === 'string' && NEVER_SENT_CODES.has(c.code)) return true;
    if (c.message === 'bad port' || c.message === 'invalid url') return true; // undici, before connecting
    return typeof c.message === 'string' && c.message.includes('client error (Connect)'); // Deno
  });
}

function isNamed(err: unknown, name: string): boolean {
  return isRecord(err) && err.name === name;
}

function reasonOf(err: unknown): string {
  const cause = isRecord(err) ? err.cause : undefined;
  if (isRecord(cause) && typeof cause.code === 'string') return cause.code;
  if (isRecord(cause) && typeof cause.message === 'string') return redactUrls(cause.message).slice(0, 200);
  if (err instanceof Error) return redactUrls(err.message).slice(0, 200);
  return 'unknown transport error';
}

/**
 * A copy of a transport error safe to keep as `cause`: name, code and message with every URL's query
 * string removed (runtimes put the request URL into their messages).
 */
export function sanitizeError(err: unknown, depth = 0): Error {
  if (!(err instanceof Error) && !isRecord(err)) return new Error(String(err));
  const source = err as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
  const copy = new Error(redactUrls(String(source.message ?? '')));
  copy.name = typeof source.name === 'string' ? source.name : 'Error';
  if (source.code !== undefined) (copy as Error & { code?: unknown }).code = source.code;
  if (source.cause !== undefined && depth < 3) {
    (copy as Error & { cause?: unknown }).cause = sanitizeError(source.cause, depth + 1);
  }
  return copy;
}

/** Removes query strings and fragments from every URL in a text. */
export function redactUrls(text: string): string {
  return text.replace(/\b(https?:\/\/[^\s?#)]+)[?#][^\s)]*/g, '$1?…');
}
