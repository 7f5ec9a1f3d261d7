/**
 * The one resolution of a host a guarded connection makes (guarded-fetch.ts): an IP literal is taken
 * as it is, a name is looked up once (every address), and unless private hosts are allowed every
 * address must be public (private-address.ts) — one private answer refuses the host, so a name that
 * mixes a public and a private address cannot be used to reach the private one. The connection is then
 * made to one of exactly these addresses: nothing resolves the name a second time.
 */
import { type BlockedRange, blockedRangeOf, isIpLiteral } from './private-address.ts';

/** Looks a host name up: all its addresses. (Default: node:dns/promises lookup, all, in resolver order) */
export type ResolveHost = (hostname: string) => Promise<string[]>;

export interface AddressPolicy {
  /**
   * MEDIA_ALLOW_PRIVATE_HOSTS / NOTIFY_ALLOW_PRIVATE_HOSTS: connect to private, loopback and
   * link-local addresses too (development and tests). (Default: false)
   */
  allowPrivateHosts: boolean;
  /** (Default: node:dns/promises lookup) */
  resolveHost?: ResolveHost;
  /**
   * Addresses to treat as public although a refused range holds them. Only for tests, whose "public"
   * servers can listen on loopback alone; no configuration sets it. (Default: none)
   */
  treatAsPublic?: readonly string[];
}

/**
 * Why a host was not connected to:
 * - `blocked_address`: it is, or resolves to, an address of a refused range;
 * - `no_such_host`: the name does not exist (NXDOMAIN, no address records), a lasting answer;
 * - `lookup_failed`: the resolver failed for now (EAI_AGAIN, a resolver error without a code);
 * - `no_address`: the lookup answered with no address at all.
 */
export type HostRefusal = 'blocked_address' | 'no_such_host' | 'lookup_failed' | 'no_address';

/** Resolver codes for a name that does not exist: asking again won't help. */
const NO_SUCH_NAME_CODES: ReadonlySet<string> = new Set([
  'ENOTFOUND',
  'EAI_NONAME',
  'EAI_NODATA',
  'ENODATA',
  'NXDOMAIN',
]);

/**
 * A host the guard did not connect to. `code` is the refusal; `lookupCode` the resolver's own code
 * (ENOTFOUND, EAI_AGAIN…) when there was one; `address`/`range` the refused address.
 */
export class HostAddressError extends Error {
  readonly code: HostRefusal;
  readonly host: string;
  readonly lookupCode: string | null;
  readonly address: string | null;
  readonly range: BlockedRange | null;

  constructor(
    code: HostRefusal,
    host: string,
    message: string,
    details: { lookupCode?: string | null; address?: string; range?: BlockedRange; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'HostAddressError';
    this.code = code;
    this.host = host;
    this.lookupCode = details.lookupCode ?? null;
    this.address = details.address ?? null;
    this.range = details.range ?? null;
  }
}

/** True for a HostAddressError, also one from another copy of this module (checked by name and code). */
export function isHostAddressError(err: unknown): err is HostAddressError {
  if (err instanceof HostAddressError) return true;
  const e = err as { name?: unknown; code?: unknown } | null;
  return typeof e === 'object' && e !== null && e.name === 'HostAddressError' &&
    ['blocked_address', 'no_such_host', 'lookup_failed', 'no_address'].includes(String(e.code));
}

/** The addresses `host` may be connected to, in the resolver's order. Throws HostAddressError. */
export async function resolveAllowedAddresses(host: string, policy: AddressPolicy): Promise<string[]> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const literal = isIpLiteral(bare);
  let addresses: string[];
  if (literal) addresses = [bare];
  else {
    try {
      addresses = await (policy.resolveHost ?? lookupAll)(bare);
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      const lookupCode = typeof code === 'string' ? code : null;
      if (lookupCode !== null && NO_SUCH_NAME_CODES.has(lookupCode)) {
        throw new HostAddressError(
          'no_such_host',
          bare,
          `the host ${bare} does not exist (${lookupCode})`,
          {
            lookupCode,
            cause: err,
          },
        );
      }
      throw new HostAddressError(
        'lookup_failed',
        bare,
        `the host ${bare} could not be resolved just now (${lookupCode ?? 'resolver failure'})`,
        { lookupCode, cause: err },
      );
    }
  }
  if (addresses.length === 0) {
    throw new HostAddressError('no_address', bare, `the host ${bare} has no address`);
  }
  if (policy.allowPrivateHosts) return addresses;
  for (const address of addresses) {
    const range = policy.treatAsPublic?.includes(address) ? null : blockedRangeOf(address);
    if (range) {
      throw new HostAddressError(
        'blocked_address',
        bare,
        literal
          ? `the host ${bare} is a private address, in ${range.name} ${range.cidr}`
          : `the host ${bare} resolves to a private address (${address}), in ${range.name} ${range.cidr}`,
        { address, range },
      );
    }
  }
  return addresses;
}

async function lookupAll(hostname: string): Promise<string[]> {
  const dns = await import('node:dns/promises');
  const results = await dns.lookup(hostname, { all: true, verbatim: true });
  return results.map((r) => r.address);
}
