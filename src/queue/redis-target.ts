/**
 * A RedisTarget (config: REDIS_URL or REDIS_CLUSTER_NODES) as one string, for code that carries a
 * Redis address as a URL (NotificationDeliveryOptions.redisUrl), and back; and its description for
 * messages. One server is its REDIS_URL. A cluster is
 * `redis+cluster://[user:password@]host:port,host:port` (`rediss+cluster://` with TLS): an internal
 * form, never read from the environment — operators write REDIS_CLUSTER_NODES.
 */
import type { RedisTarget } from '../config/load-config.ts';
import { parseClusterNodes } from '../config/config-vars.ts';

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^@/]+)$/;

export function redisTargetUrl(target: RedisTarget): string {
  if (target.kind === 'single') return target.url;
  const user = target.username === null ? '' : encodeURIComponent(target.username);
  const password = target.password === null ? '' : `:${encodeURIComponent(target.password)}`;
  const userinfo = user || password ? `${user}${password}@` : '';
  return `${target.tls ? 'rediss' : 'redis'}+cluster://${userinfo}${nodeList(target)}`;
}

/** The inverse of redisTargetUrl; any other string is one server's URL. Throws on a malformed cluster URL. */
export function parseRedisTargetUrl(url: string): RedisTarget {
  if (!/^rediss?\+cluster:/.test(url)) return { kind: 'single', url };
  const match = CLUSTER_URL.exec(url);
  const parsed = match ? parseClusterNodes('cluster URL', match[3]!) : null;
  if (!match || !parsed?.ok) {
    throw new TypeError(
      `not a cluster URL (rediss+cluster://[user:password@]host:port,host:port): ${
        parsed && !parsed.ok ? parsed.problems.join('; ') : 'malformed'
      }`,
    );
  }
  const [user, password] = match[2] === undefined ? [] : splitUserinfo(match[2]);
  return {
    kind: 'cluster',
    nodes: parsed.value.nodes,
    tls: match[1] === 'rediss',
    username: user ? decodeURIComponent(user) : null,
    password: password ? decodeURIComponent(password) : null,
  };
}

/** Where Redis is, without credentials: `127.0.0.1:6379`, or `the Redis Cluster at h1:p1,h2:p2`. */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.kind === 'single') return new URL(target.url).host || target.url;
  return `the Redis Cluster at ${nodeList(target)}`;
}

/** The variable that says where Redis is, for messages that tell a person what to check. */
export function redisTargetVariable(target: RedisTarget): 'REDIS_URL' | 'REDIS_CLUSTER_NODES' {
  return target.kind === 'single' ? 'REDIS_URL' : 'REDIS_CLUSTER_NODES';
}

function nodeList(target: Extract<RedisTarget, { kind: 'cluster' }>): string {
  return target.nodes.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',');
}

function splitUserinfo(userinfo: string): [string, string] {
  const colon = userinfo.indexOf(':');
  return colon === -1 ? [userinfo, ''] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)];
}
