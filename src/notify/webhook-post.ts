/**
 * The HTTP part of one webhook delivery: POST the signed body to the endpoint through
 * src/net/guarded-fetch.ts, so the connection goes to the address that was checked (resolved once;
 * private, loopback, link-local… refused unless NOTIFY_ALLOW_PRIVATE_HOSTS=true). Redirects are not
 * followed (a delivery goes to the URL the creator saved, nowhere else), the answer's body is never
 * read, and the request is bounded by `timeoutMs`.
 *
 * A refused endpoint has a detailed reason (for the delivery log, which only operators read) and is
 * marked `refused`, so what is shown to the creator can be the one generic ENDPOINT_REFUSED_MESSAGE:
 * whether a host resolves, or to which private address, must not be learnable through our API.
 */
import { guardedFetch } from '../net/guarded-fetch.ts';
import { isHostAddressError } from '../net/host-addresses.ts';
import type { ResolveHost } from '../net/host-addresses.ts';

/** What the creator is told about any endpoint the guard refused, whatever the reason. */
export const ENDPOINT_REFUSED_MESSAGE =
  'the endpoint was not called: its URL must be https on a host that resolves only to public internet ' +
  'addresses (private, loopback, link-local and unresolvable hosts are refused)';

export interface WebhookPostOptions {
  allowPrivateHosts: boolean;
  resolveHost?: ResolveHost;
  /** PEM certificates trusted instead of the runtime's roots (tests serving https). */
  trustedCa?: readonly string[];
  /** Loopback addresses a test's "public" endpoint listens on (see AddressPolicy in src/net). */
  treatAsPublic?: readonly string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

export type WebhookPostResult =
  | { kind: 'answered'; status: number }
  /** The guard did not connect. `permanent` unless the resolver failed only for now. */
  | { kind: 'refused'; error: string; permanent: boolean }
  /** Connected, or tried to, and got no answer. */
  | { kind: 'failed'; error: string };

export async function postWebhook(
  url: string,
  request: { headers: Record<string, string>; body: string },
  options: WebhookPostOptions,
): Promise<WebhookPostResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await guardedFetch(url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal,
    }, {
      allowPrivateHosts: options.allowPrivateHosts,
      ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
      ...(options.trustedCa ? { trustedCa: options.trustedCa } : {}),
      ...(options.treatAsPublic ? { treatAsPublic: options.treatAsPublic } : {}),
    });
  } catch (err) {
    const cause = (err as { cause?: unknown } | null)?.cause;
    if (isHostAddressError(cause)) {
      return {
        kind: 'refused',
        error: cause.message,
        permanent: cause.code !== 'lookup_failed',
      };
    }
    if (timeout.aborted) return { kind: 'failed', error: `no answer within ${options.timeoutMs} ms` };
    return { kind: 'failed', error: `the request failed (${reasonOf(err)})` };
  }
  // The answer's body is not read; cancelling it frees the connection. A failure here changes nothing.
  await response.body?.cancel().then(undefined, ignore);
  return { kind: 'answered', status: response.status };
}

function ignore(): void {}

function reasonOf(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message.slice(0, 200);
  return err instanceof Error ? err.message.slice(0, 200) : String(err);
}
