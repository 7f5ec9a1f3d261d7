/**
 * Whether an IP address is one a user-supplied URL (media to download, a webhook endpoint) must not
 * reach, and why. Shared by the media download (platforms/) and webhook delivery (notify/), through
 * the connection guard in guarded-fetch.ts, so it lives below both.
 *
 * IPv4: every special-purpose range that is not globally reachable (IANA IPv4 Special-Purpose Address
 * Registry), plus multicast and the reserved 240/4: loopback, RFC 1918, carrier-grade NAT, link-local
 * (cloud metadata 169.254.169.254), documentation, benchmarking…
 *
 * IPv6: only global unicast (2000::/3) may be reached, minus its special-purpose parts. Everything that
 * carries or translates an IPv4 address is refused outright rather than judged by the IPv4 inside it:
 * IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96), IPv4-translated (::ffff:0:0:0/96), NAT64
 * (64:ff9b::/96, 64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (inside 2001::/23). A resolver never
 * needs those forms to name a public host, and each is a way to a private IPv4 host through a gateway
 * that would otherwise look public.
 *
 * Text that is not an address is refused: what cannot be parsed cannot be judged.
 */

/** A refused range: `cidr` and what it is, e.g. `{ cidr: '10.0.0.0/8', name: 'private' }`. */
export interface BlockedRange {
  cidr: string;
  name: string;
}

const V4_RANGES: readonly (readonly [string, string])[] = [
  ['0.0.0.0/8', '"this network"'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (cloud metadata)'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved (and broadcast)'],
];

/** Checked in order, so the most specific range names the address (::1 before ::/96). */
const V6_RANGES: readonly (readonly [string, string])[] = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::ffff:0:0/96', 'IPv4-mapped'],
  ['::ffff:0:0:0/96', 'IPv4-translated'],
  ['::/96', 'IPv4-compatible'],
  ['64:ff9b::/96', 'NAT64'],
  ['64:ff9b:1::/48', 'local-use NAT64'],
  ['100::/64', 'discard-only'],
  ['2001::/23', 'IETF protocol assignments (Teredo, benchmarking, ORCHID)'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', '6to4'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'unique local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
];

interface CompiledRange extends BlockedRange {
  base: bigint;
  bits: number;
}

const BLOCKED_V4 = V4_RANGES.map(([cidr, name]) => compile(cidr, name, 32));
const BLOCKED_V6 = V6_RANGES.map(([cidr, name]) => compile(cidr, name, 128));
const GLOBAL_UNICAST_V6 = compile('2000::/3', 'global unicast', 128);

export function isBlockedAddress(address: string): boolean {
  return blockedRangeOf(address) !== null;
}

/** The range that makes `address` unreachable, or null when it is a public address. */
export function blockedRangeOf(address: string): BlockedRange | null {
  const v4 = parseIPv4(address);
  if (v4) return firstMatch(toBigInt(v4, 8), BLOCKED_V4, 32);
  const v6 = parseIPv6(address);
  if (!v6) return { cidr: address, name: 'not an IP address' };
  const value = toBigInt(v6, 16);
  const special = firstMatch(value, BLOCKED_V6, 128);
  if (special) return special;
  if (!inRange(value, GLOBAL_UNICAST_V6, 128)) return { cidr: '2000::/3', name: 'not global unicast' };
  return null;
}

/** Whether `host` (brackets allowed) is an IP literal rather than a name to resolve. */
export function isIpLiteral(host: string): boolean {
  return parseIPv4(host) !== null || parseIPv6(host) !== null;
}

/** Four octets, or null. Only the dotted-decimal form, without leading zeros (`010` is ambiguous). */
export function parseIPv4(address: string): number[] | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  if (!parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p))) return null;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : null;
}

/**
 * Eight 16-bit words, or null. Accepts `::` compression (once), a trailing dotted IPv4 in the last 32
 * bits, surrounding brackets and a zone id (`fe80::1%eth0`, which does not change the address).
 */
export function parseIPv6(input: string): number[] | null {
  let address = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  const zone = address.indexOf('%');
  if (zone >= 0) {
    if (zone === address.length - 1) return null;
    address = address.slice(0, zone);
  }
  if (!address.includes(':')) return null;
  let tail: number[] = [];
  const lastColon = address.lastIndexOf(':');
  const last = address.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIPv4(last);
    if (!v4) return null;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    // Keep the colon when it belongs to a `::` (as in `::1.2.3.4`), else drop it with the IPv4 part.
    address = address.slice(0, address.endsWith(`::${last}`) ? lastColon + 1 : lastColon);
  }
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || rest === null) return null;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1) return known === 8 ? [...head, ...tail] : null;
  if (known > 7) return null;
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
}

/** `a:b:c` as words; '' is no words; null when a group is empty or not 1–4 hex digits. */
function groups(part: string): number[] | null {
  if (part === '') return [];
  const words = part.split(':');
  return words.every((h) => /^[0-9a-f]{1,4}$/i.test(h)) ? words.map((h) => parseInt(h, 16)) : null;
}

function compile(cidr: string, name: string, width: 32 | 128): CompiledRange {
  const [text, bitsText] = cidr.split('/') as [string, string];
  const parts = width === 32 ? parseIPv4(text) : parseIPv6(text);
  if (!parts) throw new TypeError(`bad range ${cidr}`);
  return { cidr, name, base: toBigInt(parts, width === 32 ? 8 : 16), bits: Number(bitsText) };
}

function toBigInt(parts: readonly number[], partBits: number): bigint {
  return parts.reduce((acc, part) => (acc << BigInt(partBits)) | BigInt(part), 0n);
}

function inRange(value: bigint, range: CompiledRange, width: number): boolean {
  const shift = BigInt(width - range.bits);
  return value >> shift === range.base >> shift;
}

function firstMatch(value: bigint, ranges: readonly CompiledRange[], width: number): BlockedRange | null {
  const found = ranges.find((range) => inRange(value, range, width));
  return found ? { cidr: found.cidr, name: found.name } : null;
}
