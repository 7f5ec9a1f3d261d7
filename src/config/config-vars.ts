/**
 * The kinds of environment variable config-schema.ts is built from (URLs, booleans, bounded whole
 * numbers, base64 keys, Redis Cluster node lists) and the value checks its refinements use. Each message names the variable,
 * what was wrong and an example of a good value.
 */
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function show(value: unknown): string {
  return JSON.stringify(value);
}

/** A URL whose scheme is one of `schemes`. */
export function urlVar(name: string, schemes: string[], example: string) {
  const schemeList = schemes.map((s) => `${s}//`).join(' or ');
  return z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { error: (issue) => `${name} must be a ${schemeList} URL (e.g. ${example}), got ${show(issue.input)}` },
  );
}

export function booleanVar(name: string) {
  return z.enum(['true', 'false'], {
    error: (issue) => `${name} must be "true" or "false", got ${show(issue.input)}`,
  }).transform((v) => v === 'true');
}

export function intVar(name: string, min: number, max: number, defaultValue: number) {
  return z
    .string()
    .default(String(defaultValue))
    .refine((v) => /^\d+$/.test(v.trim()) && Number(v) >= min && Number(v) <= max, {
      error: (issue) => `${name} must be a whole number from ${min} to ${max}, got ${show(issue.input)}`,
    })
    .transform(Number);
}

export function base64KeyVar(name: string) {
  return z.string().refine((v) => decodeBase64(v)?.byteLength === 32, {
    error: () => `${name} must be 32 random bytes in base64 (generate one with: openssl rand -base64 32)`,
  });
}

export function decodeBase64(value: string): Uint8Array | null {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(trimmed), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export const postgresUrl = (name: string) =>
  urlVar(name, ['postgres:', 'postgresql:'], 'postgres://user:pass@host:5432/db');
export const httpUrl = (name: string, example: string) => urlVar(name, ['http:', 'https:'], example);

/**
 * A host name of one label (no dot, not an address), such as a service on a Docker network (`kong`):
 * it cannot be a public DNS name, so http:// to it does not cross the internet.
 */
export function isContainerHost(hostname: string): boolean {
  return /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(hostname) && !/^\d+$/.test(hostname);
}

/** localhost, 127.0.0.0/8 or ::1, as `URL#hostname` spells them. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '');
  } catch {
    return false;
  }
}

export function isJwks(value: string): boolean {
  try {
    const parsed = JSON.parse(value) as { keys?: unknown };
    return Array.isArray(parsed.keys) &&
      parsed.keys.every((k) => typeof k === 'object' && k !== null && 'kty' in k);
  } catch {
    return false;
  }
}

/** One node of REDIS_CLUSTER_NODES. */
export interface ClusterNodeAddress {
  host: string;
  port: number;
}

/** REDIS_CLUSTER_NODES, parsed. */
export interface ClusterNodes {
  nodes: ClusterNodeAddress[];
  /** rediss:// on an entry: TLS to every node. */
  tls: boolean;
  /** From the entries' userinfo; null when none carries any. */
  username: string | null;
  password: string | null;
}

const CLUSTER_EXAMPLE = '10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379';

/**
 * Parses a comma-separated list of cluster nodes: `host:port`, `redis://host:port` or
 * `rediss://host:port` (TLS), credentials as `rediss://user:password@host:port`. Strict: every entry
 * needs a port, redis:// and rediss:// may not be mixed (a cluster is all TLS or none; plain
 * `host:port` entries follow the others), entries that carry credentials must carry the same, and no
 * path, query or database number (a cluster has only database 0). Returns every problem at once.
 */
export function parseClusterNodes(
  name: string,
  value: string,
): { ok: true; value: ClusterNodes } | { ok: false; problems: string[] } {
  const entries = value.split(',').map((e) => e.trim());
  if (entries.every((e) => e === '')) {
    return {
      ok: false,
      problems: [
        `${name} must list at least one node as host:port, comma-separated (e.g. ${CLUSTER_EXAMPLE})`,
      ],
    };
  }
  const problems: string[] = [];
  const nodes: ClusterNodeAddress[] = [];
  const schemes = new Set<string>();
  const credentials = new Set<string>();
  let username: string | null = null;
  let password: string | null = null;
  entries.forEach((entry, i) => {
    const where = `${name} entry ${i + 1}`;
    if (entry === '') {
      problems.push(
        `${where} is empty (a stray comma?); list nodes as host:port,host:port (e.g. ${CLUSTER_EXAMPLE})`,
      );
      return;
    }
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(entry)?.[1]?.toLowerCase();
    if (scheme !== undefined && scheme !== 'redis' && scheme !== 'rediss') {
      problems.push(
        `${where} ${
          show(entry)
        } must be host:port, redis://host:port or rediss://host:port (TLS), not ${scheme}://`,
      );
      return;
    }
    let url: URL;
    try {
      url = new URL(scheme ? entry : `redis://${entry}`);
    } catch {
      const bigPort = /:(\d+)\/?$/.exec(entry)?.[1];
      problems.push(
        bigPort !== undefined && Number(bigPort) > 65535
          ? `${where} ${show(entry)} has port ${bigPort}; a port is 1 to 65535`
          : `${where} ${show(entry)} is not host:port; write it like 10.0.0.1:6379 or rediss://host:6379`,
      );
      return;
    }
    if (!scheme && (url.username || url.password)) {
      problems.push(
        `${where} ${show(entry)}: write credentials as redis://user:password@host:port (or rediss://)`,
      );
      return;
    }
    if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
      problems.push(
        `${where} ${
          show(entry)
        } must be only host and port (a cluster has no database number, path or options)`,
      );
      return;
    }
    if (url.hostname === '') {
      problems.push(`${where} ${show(entry)} has no host; write it host:port (e.g. 10.0.0.1:6379)`);
      return;
    }
    if (url.port === '') {
      problems.push(`${where} ${show(entry)} has no port; write it host:port (e.g. ${url.hostname}:6379)`);
      return;
    }
    const port = Number(url.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push(`${where} ${show(entry)} has port ${url.port}; a port is 1 to 65535`);
      return;
    }
    if (scheme) schemes.add(scheme);
    if (url.username || url.password) {
      credentials.add(`${url.username}:${url.password}`);
      username = url.username ? decodeURIComponent(url.username) : null;
      password = url.password ? decodeURIComponent(url.password) : null;
    }
    // URL keeps IPv6 hosts in brackets; the client wants the bare address.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (nodes.some((n) => n.host === host && n.port === port)) {
      problems.push(`${name} lists ${url.hostname}:${port} twice; list each node once`);
      return;
    }
    nodes.push({ host, port });
  });
  if (schemes.size > 1) {
    problems.push(
      `${name} mixes redis:// and rediss:// entries: a cluster is all TLS or none; write rediss:// on every ` +
        'entry for TLS, or redis:// (or plain host:port) on every entry without',
    );
  }
  if (credentials.size > 1) {
    problems.push(
      `${name} entries carry different credentials; write user:password@ once (on the first entry) or the ` +
        'same on every entry',
    );
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { nodes, tls: schemes.has('rediss'), username, password } };
}

/** REDIS_CLUSTER_NODES: the nodes a cluster client starts from (see parseClusterNodes). */
export function clusterNodesVar(name: string) {
  return z.string().transform((value, ctx): ClusterNodes => {
    const parsed = parseClusterNodes(name, value);
    if (parsed.ok) return parsed.value;
    for (const message of parsed.problems) ctx.addIssue({ code: 'custom', message, input: value });
    return z.NEVER;
  });
}
