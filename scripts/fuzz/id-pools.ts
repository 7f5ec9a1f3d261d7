/**
 * The real values a request can name: ids of posts, accounts, notifications and endpoints, OAuth
 * states, list cursors and post versions, each with its owner. Everything comes from the API's own
 * 2xx answers (`harvest`), the seeded data included — it is read back through the list routes — so
 * path ids can be the caller's own, another user's, or gone (deleted).
 */
import type { Operation } from './openapi-operations.ts';

export interface Known {
  value: string;
  owner: string;
  /** Fields of the object the value identifies (an account's platform and status). */
  facts: Readonly<Record<string, unknown>>;
}

export interface IdPools {
  harvest(
    op: Operation,
    pathValues: Readonly<Record<string, string>>,
    owner: string,
    status: number,
    body: unknown,
  ): void;
  /** Live values of `pool` that `owner` owns. */
  owned(pool: string, owner: string): Known[];
  /** Live values of `pool` that others own. */
  foreign(pool: string, owner: string): Known[];
  /** Values of `pool` that were deleted. */
  gone(pool: string): Known[];
  /** The last version seen of a post. */
  version(postId: string): number | undefined;
  add(pool: string, value: string, owner: string, facts?: Record<string, unknown>): void;
  /** Drops a value that cannot be used twice (an OAuth state, once a callback named it). */
  forget(pool: string, value: string): void;
  size(pool: string): number;
}

export function createIdPools(): IdPools {
  const pools = new Map<string, Map<string, Known>>();
  const deleted = new Map<string, Map<string, Known>>();
  const versions = new Map<string, number>();
  const poolOf = (name: string) => {
    let pool = pools.get(name);
    if (!pool) pools.set(name, pool = new Map());
    return pool;
  };
  const add = (name: string, value: string, owner: string, facts: Record<string, unknown> = {}) => {
    if (deleted.get(name)?.has(value)) return;
    const pool = poolOf(name);
    // Newer answers replace older facts (a post's status changes).
    pool.set(value, { value, owner, facts: { ...pool.get(value)?.facts, ...facts } });
  };
  const remember = (resource: string, item: unknown, owner: string) => {
    if (item === null || typeof item !== 'object') return;
    const record = item as Record<string, unknown>;
    if (typeof record.id !== 'string') return;
    const facts: Record<string, unknown> = {};
    for (const field of ['platform', 'status', 'enabled']) if (field in record) facts[field] = record[field];
    add(resource, record.id, owner, facts);
    if (typeof record.version === 'number') versions.set(record.id, record.version);
  };

  return {
    add,
    harvest(op, pathValues, owner, status, body) {
      if (status < 200 || status >= 300) return;
      if (op.method === 'DELETE' && pathValues.id) {
        // Posts are cancelled, not removed; accounts and endpoints are gone for good.
        const known = pools.get(op.resource)?.get(pathValues.id);
        if (known && op.resource === 'posts') add('posts', known.value, known.owner, { status: 'cancelled' });
        else if (known) {
          pools.get(op.resource)!.delete(pathValues.id);
          let gone = deleted.get(op.resource);
          if (!gone) deleted.set(op.resource, gone = new Map());
          gone.set(known.value, known);
        }
        return;
      }
      if (body === null || typeof body !== 'object') return;
      const record = body as Record<string, unknown>;
      if (Array.isArray(record.items)) {
        for (const item of record.items) {
          remember(op.resource, item, owner);
        }
      } else remember(op.resource, record, owner);
      if (typeof record.nextCursor === 'string') add(`cursor:${op.resource}`, record.nextCursor, owner);
      if (typeof record.state === 'string' && typeof record.platform === 'string') {
        add(`state:${record.platform}`, record.state, owner);
      }
    },
    owned: (name, owner) => [...(pools.get(name)?.values() ?? [])].filter((k) => k.owner === owner),
    foreign: (name, owner) => [...(pools.get(name)?.values() ?? [])].filter((k) => k.owner !== owner),
    gone: (name) => [...(deleted.get(name)?.values() ?? [])],
    version: (postId) => versions.get(postId),
    forget: (name, value) => void pools.get(name)?.delete(value),
    size: (name) => pools.get(name)?.size ?? 0,
  };
}
