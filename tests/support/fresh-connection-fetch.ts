/**
 * A fetch that never reuses a pooled connection. Deno's fetch silently re-sends a request (even a
 * POST) when a reused keep-alive connection closes before the answer — seen against the sandbox's
 * accept-then-drop fault: the post arrived twice. Without reuse Deno reports the failure instead.
 * Node's fetch (undici) does not re-send, so there this is the global fetch. The Deno entry points
 * should give adapters the same kind of fetch (see the issue 4 report).
 */
interface DenoHttpClientApi {
  createHttpClient(options: { poolMaxIdlePerHost: number }): { close(): void };
}

export function createFreshConnectionFetch(): { fetch: typeof fetch; close(): void } {
  const deno = (globalThis as { Deno?: DenoHttpClientApi }).Deno;
  if (!deno) return { fetch: globalThis.fetch, close() {} };
  const client = deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const freshFetch =
    ((input: RequestInfo | URL, init?: RequestInit) =>
      fetch(input, { ...init, client } as RequestInit)) as typeof fetch;
  return { fetch: freshFetch, close: () => client.close() };
}
