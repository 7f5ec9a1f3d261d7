/**
 * Which URLs a creator's webhook endpoint may have. The URL is user input that the server will POST
 * to, so (unless NOTIFY_ALLOW_PRIVATE_HOSTS=true, for development):
 * - https only, no credentials in the URL;
 * - on save, host names that are private by definition (localhost, *.local, *.internal) and private
 *   or loopback IP literals are refused;
 * - at each delivery the connection resolves the host once and connects only to a checked public
 *   address (src/net/guarded-fetch.ts), as media downloads do, so DNS rebinding gains nothing.
 *
 * What is stored is the URL *normalised* by the WHATWG parser (scheme and host lower-cased, so
 * `HTTPS://Hooks.Example.com` is https; default port dropped; path percent-encoded; IDN hosts in
 * punycode), after trimming surrounding whitespace. Whitespace or control characters inside the URL
 * are refused rather than silently dropped as the parser would. The stored form is plain ASCII and
 * matches STORED_ENDPOINT_URL, which the database's check constraint mirrors
 * (public.is_stored_endpoint_url, migration 20261202010000): tests/integration/notify-endpoint-urls
 * runs one table of URLs through both.
 *
 * Checked on save by the API and before each delivery by notify/, so it lives below both.
 */
import { storableTextProblem } from '../domain/storable-text.ts';
import { isBlockedAddress, parseIPv4, parseIPv6 } from './private-address.ts';

export interface EndpointUrlPolicy {
  allowPrivateHosts: boolean;
  /** How a delivery's connection resolves the host (guarded-fetch.ts). (Default: node:dns lookup) */
  resolveHost?: (hostname: string) => Promise<string[]>;
}

/** Longest stored URL, in characters (the database's limit too). */
export const MAX_ENDPOINT_URL_LENGTH = 2000;

/**
 * The shape of a stored (normalised) endpoint URL: lower-case http(s) scheme, a host of DNS-name
 * characters or a bracketed IPv6 literal, an optional port, then a path of printable ASCII. The
 * same pattern text is in the database function (POSIX and JavaScript read it alike).
 */
export const STORED_ENDPOINT_URL = /^https?:\/\/(\[[0-9a-f:]+\]|[a-z0-9._-]+)(:[0-9]{1,5})?\/[!-~]*$/;

/** Host names we store: DNS-name characters (the WHATWG parser also admits `!`, `*`, `&`…). */
const HOST_NAME = /^[a-z0-9._-]+$/;

/** Whitespace and control characters, which the WHATWG parser would drop without a word. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const SPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f-\u009f]/;

export type EndpointUrlCheck = { ok: true; url: string } | { ok: false; problem: string };

/**
 * The URL as it is stored (trimmed and normalised), or the reason it may not be saved. `problem`
 * reads after the field name: "url must use https, got ftp:".
 */
export function checkEndpointUrl(input: string, policy: EndpointUrlPolicy): EndpointUrlCheck {
  const refuse = (problem: string): EndpointUrlCheck => ({ ok: false, problem });
  const unstorable = storableTextProblem(input);
  if (unstorable) return refuse(`url ${unstorable}`);
  const trimmed = input.trim();
  if (trimmed === '') return refuse('url must not be empty; send e.g. https://hooks.example.com/solospark');
  const inner = SPACE_OR_CONTROL.exec(trimmed);
  if (inner) {
    return refuse(
      `url must not contain whitespace or control characters (U+${
        inner[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')
      } at index ${inner.index}); percent-encode them, e.g. a space as %20`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return refuse('url must be an absolute URL such as https://hooks.example.com/solospark');
  }
  if (parsed.username || parsed.password) return refuse('url must not contain a user name or password');
  if (policy.allowPrivateHosts) {
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      return refuse(`url must use https (or http in development), got ${parsed.protocol}`);
    }
  } else if (parsed.protocol !== 'https:') {
    return refuse(`url must use https, got ${parsed.protocol}`);
  }
  const host = hostOf(parsed);
  if (!parsed.hostname.startsWith('[') && !HOST_NAME.test(host)) {
    return refuse(
      `url must name its host with letters, digits, '-', '.' and '_' only (or an IP address), got ${host}`,
    );
  }
  const url = parsed.href;
  if (url.length > MAX_ENDPOINT_URL_LENGTH) {
    return refuse(
      `url is ${url.length} characters long once normalised (non-ASCII characters are percent-encoded); ` +
        `the limit is ${MAX_ENDPOINT_URL_LENGTH}`,
    );
  }
  if (!STORED_ENDPOINT_URL.test(url)) {
    return refuse(`url ${url} cannot be stored; use https://<host>[:port]/<path>`);
  }
  if (!policy.allowPrivateHosts) {
    const name = host.replace(/\.$/, ''); // `localhost.` is localhost
    if (name === 'localhost' || /\.(localhost|local|internal)$/.test(name)) {
      return refuse(`url must point to a public host, not ${host}`);
    }
    if (isLiteral(host) && isBlockedAddress(host)) {
      return refuse(`url must point to a public address, not ${host} (private, loopback or link-local)`);
    }
  }
  return { ok: true, url };
}

/** The reason `url` may not be saved as an endpoint, or null when it may. */
export function endpointUrlProblem(url: string, policy: EndpointUrlPolicy): string | null {
  const checked = checkEndpointUrl(url, policy);
  return checked.ok ? null : checked.problem;
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

function isLiteral(host: string): boolean {
  return parseIPv4(host) !== null || parseIPv6(host) !== null;
}
