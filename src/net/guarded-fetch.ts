/**
 * `fetch` for URLs a user gave us (media downloads, webhook endpoints) that connects only to an
 * address it checked. The host is resolved once, inside the connection (host-addresses.ts): every
 * address must be public unless private hosts are allowed, and the socket is opened to one of those
 * very addresses. The URL's host still names the request — the Host header, and for https the TLS
 * server name (SNI) and the name the certificate must match — so virtual hosting and certificate
 * validation are exactly as with plain fetch. A name that answers a public address to a check and a
 * private one to the connection (DNS rebinding) has no second answer to give.
 *
 * How: the `undici` package (the library behind Node's fetch) with an Agent whose `connect` resolves,
 * checks and then calls undici's own connector with `hostname` = the checked address and `servername`
 * = the host name; the request goes through undici's `request` API (webStreamOf says why not its
 * `fetch`) and comes back as a web Response. It runs the same under Node and Deno (through Deno's
 * node:net and node:tls), as tests/unit/guarded-fetch.test.ts checks under both. Neither runtime's
 * own fetch can do this: Node's takes a `dispatcher` reliably only from its bundled undici, which
 * cannot be imported, and Deno's has no hook for where it connects (Deno.createHttpClient sets proxies
 * and certificates, not addresses).
 *
 * - Redirects are never followed. A caller that follows one calls again with the Location, and that
 *   hop is resolved and checked the same way.
 * - Each call has its own Agent, closed once the answer's body is read or cancelled: no connection is
 *   reused across calls, so none outlives the check it was made under.
 * - Failures reject as fetch's do: with the signal's reason when aborted, else a TypeError whose
 *   `cause` says why. A host the guard refused has a HostAddressError as `cause` (isHostAddressError);
 *   the rest are the runtime's connection errors (ECONNREFUSED, ERR_TLS_CERT_ALTNAME_INVALID…).
 * - No proxy (HTTP_PROXY and the like are not read): a proxy would resolve the name again itself.
 */
import type * as Undici from 'undici';
import { type AddressPolicy, resolveAllowedAddresses } from './host-addresses.ts';
import { isIpLiteral } from './private-address.ts';

export interface GuardedFetchOptions extends AddressPolicy {
  /**
   * PEM certificates to trust instead of the runtime's roots, for tests that serve https locally.
   * (Default: none, the runtime's trusted roots)
   */
  trustedCa?: readonly string[];
  /** Bound on opening one connection (TCP and TLS). (Default: 10 s) */
  connectTimeoutMs?: number;
}

/** What a guarded request may carry: the few parts of RequestInit our callers use. */
export interface GuardedRequestInit {
  /** (Default: GET) */
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array | null;
  signal?: AbortSignal;
}

/** Connection errors after which the host's next address is tried. */
const TRY_NEXT_ADDRESS_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Statuses whose answer has no body (the Response constructor refuses one). */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

let undiciModule: Promise<typeof Undici> | undefined;

/** Loaded on first use, so a surface that never downloads or delivers does not load it. */
function loadUndici(): Promise<typeof Undici> {
  undiciModule ??= import('undici');
  return undiciModule;
}

/**
 * Sends one request whose connection goes only to an address `options` allows (see the module doc)
 * and answers a web Response. Like fetch, it rejects with the signal's reason when aborted and with a
 * TypeError (`cause`: why) when no answer came; unlike fetch, it never follows a redirect and never
 * decodes a Content-Encoding (ask for `accept-encoding: identity` if the bytes matter).
 */
export async function guardedFetch(
  url: string | URL,
  init: GuardedRequestInit,
  options: GuardedFetchOptions,
): Promise<Response> {
  const target = new URL(url);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') {
    throw new TypeError(`guardedFetch fetches http(s) URLs only, got ${target.protocol}`);
  }
  const undici = await loadUndici();
  const agent = new undici.Agent({ connect: checkedConnector(undici, options) });
  let answer: Undici.Dispatcher.ResponseData;
  try {
    answer = await undici.request(target, {
      method: (init.method ?? 'GET') as Undici.Dispatcher.HttpMethod,
      headers: init.headers ?? {},
      body: init.body ?? null,
      signal: init.signal,
      dispatcher: agent,
    });
  } catch (err) {
    agent.destroy().then(undefined, closeFailed);
    throw requestFailure(err, init.signal);
  }
  // close() lets the one request in flight finish (its body read or cancelled), then frees the socket.
  agent.close().then(undefined, closeFailed);
  // Destroying an unfinished body makes undici emit RequestAbortedError; reads report errors themselves.
  answer.body.on('error', readFailed);
  try {
    return responseOf(answer, init.signal);
  } catch (err) {
    // An answer a Response cannot hold (a status outside 200–599, a malformed header) is no answer.
    answer.body.destroy();
    throw requestFailure(err, init.signal);
  }
}

function responseOf(answer: Undici.Dispatcher.ResponseData, signal?: AbortSignal): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      headers.append(name, one);
    }
  }
  const nullBody = NULL_BODY_STATUSES.has(answer.statusCode);
  const response = new Response(nullBody ? null : webStreamOf(answer.body, signal), {
    status: answer.statusCode,
    statusText: answer.statusText,
    headers,
  });
  if (nullBody) answer.body.destroy();
  return response;
}

/**
 * undici's `fetch` would hand over a web stream itself, but under Deno it does not end that stream
 * when the request is aborted mid-body (the read hangs); its `request` API does, so the body is its
 * Node stream, read on demand (highWaterMark 0: nothing is read ahead of the caller).
 */
function webStreamOf(
  readable: Undici.Dispatcher.ResponseData['body'],
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  const chunks = readable[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (err) {
        controller.error(signal?.aborted ? signal.reason : new TypeError('terminated', { cause: err }));
      }
    },
    cancel() {
      readable.destroy();
    },
  }, { highWaterMark: 0 });
}

/** fetch's shapes: the abort reason when aborted, else TypeError('fetch failed', { cause }). */
function requestFailure(err: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason;
  return new TypeError('fetch failed', { cause: err });
}

/**
 * close() and destroy() reject only for an agent already closed or destroyed, which is the state we
 * asked for: nothing to report.
 */
function closeFailed(): void {}

/** A body's 'error' event: the read under way rejects with it (webStreamOf), or we cancelled it. */
function readFailed(): void {}

function checkedConnector(
  undici: typeof Undici,
  options: GuardedFetchOptions,
): Undici.buildConnector.connector {
  const connect = undici.buildConnector({
    timeout: options.connectTimeoutMs ?? 10_000,
    ...(options.trustedCa ? { ca: [...options.trustedCa] } : {}),
  });
  return function checkedConnect(opts, callback) {
    resolveAllowedAddresses(opts.hostname, options).then(
      (addresses) => connectToFirst(connect, opts, addresses, 0, callback),
      (err: Error) => callback(err, null),
    );
  };
}

/** Opens the connection to `addresses[index]`, falling back to the next address if it cannot connect. */
function connectToFirst(
  connect: Undici.buildConnector.connector,
  opts: Undici.buildConnector.Options,
  addresses: readonly string[],
  index: number,
  callback: Undici.buildConnector.Callback,
): void {
  // TLS still names the host: SNI and certificate validation use the name, never the address.
  const servername = opts.servername ?? (isIpLiteral(opts.hostname) ? undefined : opts.hostname);
  connect({ ...opts, hostname: addresses[index]!, ...(servername ? { servername } : {}) }, (err, socket) => {
    if (err === null) return callback(null, socket);
    const code = (err as { code?: unknown }).code;
    if (index + 1 < addresses.length && typeof code === 'string' && TRY_NEXT_ADDRESS_CODES.has(code)) {
      return connectToFirst(connect, opts, addresses, index + 1, callback);
    }
    callback(err, null);
  });
}
