/**
 * Whether an IP address is one a user-supplied URL (media to download, a webhook endpoint) must not
 * reach: loopback, private (RFC 1918), carrier-grade NAT, link-local (incl. cloud metadata
 * 169.254.169.254), unique-local IPv6, multicast, unspecified and other special-purpose ranges.
 * IPv4-mapped and NAT64 IPv6 addresses are judged by the IPv4 address they carry. Shared by the media
 * download (platforms/) and webhook delivery (notify/), so it lives below both.
 */

/** [first octets, prefix length] of special-purpose IPv4 ranges. */
const BLOCKED_V4: readonly [number[], number][] = [
  [[0], 8], // "this network"
  [[10], 8], // private
  [[100, 64], 10], // carrier-grade NAT
  [[127], 8], // loopback
  [[169, 254], 16], // link-local, cloud metadata
  [[172, 16], 12], // private
  [[192, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2], 24], // documentation
  [[192, 88, 99], 24], // 6to4 relay
  [[192, 168], 16], // private
  [[198, 18], 15], // benchmarking
  [[198, 51, 100], 24], // documentation
  [[203, 0, 113], 24], // documentation
  [[224], 4], // multicast
  [[240], 4], // reserved, broadcast
];

export function isBlockedAddress(address: string): boolean {
  const v4 = parseIPv4(address);
  if (v4) return isBlockedV4(v4);
  const v6 = parseIPv6(address);
  if (!v6) return true; // not an address we understand: refuse
  return isBlockedV6(v6);
}

function isBlockedV4(octets: number[]): boolean {
  const value = ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
  return BLOCKED_V4.some(([prefix, bits]) => {
    const base = ((prefix[0] ?? 0) << 24 >>> 0) + ((prefix[1] ?? 0) << 16) + ((prefix[2] ?? 0) << 8);
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return ((value & mask) >>> 0) === ((base & mask) >>> 0);
  });
}

function isBlockedV6(words: number[]): boolean {
  const [w0, w1, w2, w3, w4, w5, w6, w7] = words as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const allZeroUntil = (n: number) => words.slice(0, n).every((w) => w === 0);
  if (allZeroUntil(8)) return true; // ::
  if (allZeroUntil(7) && w7 === 1) return true; // ::1
  if (allZeroUntil(5) && w5 === 0xffff) return isBlockedV4(v4Of(w6, w7)); // ::ffff:a.b.c.d
  if (allZeroUntil(6)) return true; // ::a.b.c.d (deprecated IPv4-compatible)
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) {
    return isBlockedV4(v4Of(w6, w7));
  }
  if ((w0 & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((w0 & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((w0 & 0xffc0) === 0xfec0) return true; // fec0::/10 site-local (deprecated)
  if ((w0 & 0xff00) === 0xff00) return true; // multicast
  if (w0 === 0x2001 && w1 === 0x0db8) return true; // documentation
  if (w0 === 0x2002) return isBlockedV4(v4Of(w1, w2)); // 6to4 carries an IPv4 address
  return false;
}

function v4Of(high: number, low: number): number[] {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff];
}

export function parseIPv4(address: string): number[] | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  const octets = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return octets.every((o) => Number.isInteger(o) && o >= 0 && o <= 255) ? octets : null;
}

/** Eight 16-bit words, or null. Accepts `::` compression, a trailing dotted IPv4 and a zone id. */
export function parseIPv6(input: string): number[] | null {
  let address = input.replace(/^\[|\]$/g, '');
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  if (!address.includes(':')) return null;
  const lastColon = address.lastIndexOf(':');
  const last = address.slice(lastColon + 1);
  if (last.includes('.')) {
    // a.b.c.d in the last 32 bits: rewrite it as two hex words.
    const v4 = parseIPv4(last);
    if (!v4) return null;
    const words = [(v4[0]! << 8) + v4[1]!, (v4[2]! << 8) + v4[3]!].map((w) => w.toString(16));
    address = `${address.slice(0, lastColon + 1)}${words[0]}:${words[1]}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const parse = (
    part: string,
  ) => (part === '' ? [] : part.split(':').map((h) => (/^[0-9a-f]{1,4}$/i.test(h) ? parseInt(h, 16) : NaN)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const known = head.length + rest.length;
  if ([...head, ...rest].some(Number.isNaN)) return null;
  if (halves.length === 1) return known === 8 ? head : null;
  if (known > 7) return null;
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest];
}
