/**
 * Which URLs a creator's webhook endpoint may have. The URL is user input that the server will POST
 * to, so (unless NOTIFY_ALLOW_PRIVATE_HOSTS=true, for development):
 * - https only, no credentials in the URL;
 * - on save, host names that are private by definition (localhost, *.local, *.internal) and private
 *   or loopback IP literals are refused;
 * - before each delivery the host is resolved and every address must be public (cloud metadata,
 *   RFC 1918, loopback… are refused), as media URLs are checked in src/platforms/media-fetch.ts.
 * Known limit, as there: the check and fetch's own lookup are separate resolutions (DNS rebinding).
 * Checked on save by the API and before each delivery by notify/, so it lives below both.
 */
import { isBlockedAddress, parseIPv4, parseIPv6 } from './private-address.ts';

export interface EndpointUrlPolicy {
  allowPrivateHosts: boolean;
  /** Resolves a host to its addresses. (Default: node:dns/promises lookup) */
  resolveHost?: (hostname: string) => Promise<string[]>;
}

/** The reason `url` may not be saved as an endpoint, or null when it may. */
export function endpointUrlProblem(url: string, policy: EndpointUrlPolicy): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'url must be an absolute URL such as https://hooks.example.com/solospark';
  }
  if (parsed.username || parsed.password) return 'url must not contain a user name or password';
  if (policy.allowPrivateHosts) {
    return parsed.protocol === 'https:' || parsed.protocol === 'http:'
      ? null
      : `url must use https (or http in development), got ${parsed.protocol}`;
  }
  if (parsed.protocol !== 'https:') return `url must use https, got ${parsed.protocol}`;
  const host = hostOf(parsed);
  if (host === 'localhost' || /\.(localhost|local|internal)$/.test(host)) {
    return `url must point to a public host, not ${host}`;
  }
  if (isLiteral(host) && isBlockedAddress(host)) {
    return `url must point to a public address, not ${host} (private, loopback or link-local)`;
  }
  return null;
}

/** Before a delivery: the reason not to send to `url` now, or null. */
export async function endpointAddressProblem(url: string, policy: EndpointUrlPolicy): Promise<string | null> {
  const saved = endpointUrlProblem(url, policy);
  if (saved || policy.allowPrivateHosts) return saved;
  const host = hostOf(new URL(url));
  let addresses: string[];
  try {
    addresses = isLiteral(host) ? [host] : await (policy.resolveHost ?? resolveWithDns)(host);
  } catch {
    return `the host ${host} does not resolve`;
  }
  const blocked = addresses.find(isBlockedAddress);
  if (addresses.length === 0) return `the host ${host} has no address`;
  if (blocked !== undefined) return `the host ${host} resolves to a private address (${blocked})`;
  return null;
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

function isLiteral(host: string): boolean {
  return parseIPv4(host) !== null || parseIPv6(host) !== null;
}

async function resolveWithDns(hostname: string): Promise<string[]> {
  const dns = await import('node:dns/promises');
  const results = await dns.lookup(hostname, { all: true, verbatim: true });
  return results.map((r) => r.address);
}
