/**
 * Keeps the fuzzed API on this machine. The fuzz creates webhook endpoints with any URL the
 * document allows (https://8.8.8.8/…, https://hooks.example.com/…) and then calls
 * POST /notification-endpoints/{id}/test, which resolves the host and POSTs to it; that route takes
 * no fetch or resolver from buildApi, so there is no seam to pass a fake through. The fence is
 * therefore process-wide: fetch reaches only loopback addresses, and DNS answers only `localhost`
 * (from /etc/hosts) — any other name fails as if it did not exist, so the API sees an unreachable or
 * unresolvable host, which is one of the answers it must handle anyway.
 */
import dns from 'node:dns';
import dnsPromises from 'node:dns/promises';
import { syncBuiltinESMExports } from 'node:module';
import process from 'node:process';

export interface NetworkFence {
  /** Destinations refused so far, e.g. `fetch https://8.8.8.8/hook`, `dns hooks.example.com`. */
  refused: string[];
}

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || LOOPBACK_V4.test(bare);
}

/** Installs the fence for the rest of the process (it is never removed: the process ends with the run). */
export function installNetworkFence(): NetworkFence {
  const fence: NetworkFence = { refused: [] };
  const refuse = (what: string) => {
    if (fence.refused.length < 1000) fence.refused.push(what);
  };

  const realFetch = globalThis.fetch;
  globalThis.fetch = function fencedFetch(input, init) {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!isLoopbackHost(url.hostname)) {
      refuse(`fetch ${url.origin}`);
      // What fetch throws for an unreachable host, so callers take their usual failure path.
      return Promise.reject(
        new TypeError('fetch failed', { cause: new Error(`the fuzz fence refuses ${url.hostname}`) }),
      );
    }
    return realFetch(input, init);
  };

  const notFound = (hostname: string) => {
    refuse(`dns ${hostname}`);
    return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
      code: 'ENOTFOUND',
      hostname,
    });
  };
  const realLookup = dnsPromises.lookup;
  dnsPromises.lookup = function fencedLookup(hostname: string, options?: unknown) {
    if (!isLoopbackHost(hostname)) return Promise.reject(notFound(hostname));
    return (realLookup as (h: string, o?: unknown) => Promise<unknown>)(hostname, options);
  } as typeof dnsPromises.lookup;
  const realCallbackLookup = dns.lookup;
  dns.lookup = function fencedCallbackLookup(hostname: string, ...rest: unknown[]) {
    if (!isLoopbackHost(hostname)) {
      const callback = rest[rest.length - 1] as (err: Error) => void;
      process.nextTick(() => callback(notFound(hostname)));
      return;
    }
    return (realCallbackLookup as (...args: unknown[]) => unknown)(hostname, ...rest);
  } as typeof dns.lookup;
  // `await import('node:dns/promises')` (src/net/endpoint-url.ts) reads the ESM bindings: update them.
  syncBuiltinESMExports();
  return fence;
}
