/**
 * Variants of a valid request outside its body: boundary query and path values; malformed query
 * strings (unknown, repeated and empty parameters, broken percent-encoding, NUL and lone surrogates,
 * long values); path ids that are another user's, deleted, random, or not ids at all; bad tokens and
 * another user's token; hostile Idempotency-Key and If-Match headers; methods the path does not have.
 */
import fc from 'fast-check';
import type { Draw, GenerationContext } from './fuzz-request.ts';
import type { FuzzUser } from './fuzz-users.ts';
import type { Operation } from './openapi-operations.ts';
import type { Change } from './request-change.ts';
import type { SchemaContext } from './schema-arbitrary.ts';
import { stringFor } from './schema-arbitrary.ts';
import { fillPath, percentEncode, queryString } from './valid-parts.ts';
import type { RequestParts } from './valid-parts.ts';
import { boundaryValues } from './value-mutations.ts';

/**
 * Longest encoded query value or path segment sent. Node's HTTP parser answers 431 by itself (no
 * problem+json, and before the API sees anything) past 16 KB of request line and headers; the fuzz
 * is about the API, so its requests stay below that.
 */
const MAX_ENCODED_VALUE = 6000;

/** Raw (already encoded) strings for a query value or a path segment. */
const RAW_SEGMENTS = [
  'abc',
  '1',
  'null',
  'undefined',
  '..',
  '%2e%2e',
  '%2F',
  '%00',
  '%ED%A0%80',
  '%',
  '%zz',
  '%C0%AF',
  '%FF%FE',
  '%0D%0AX-Injected:%201',
  '%E2%80%AE',
  '%EF%BC%91',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'x'.repeat(3000),
  '%20',
  '*',
  "'%20or%201=1--",
];

export function boundaryQueryOrPath(
  op: Operation,
  parts: RequestParts,
  ctx: SchemaContext,
  draw: Draw,
): Change | null {
  const params = op.parameters.filter((p) => p.in === 'query' || p.in === 'path');
  if (params.length === 0) return null;
  const p = draw(fc.constantFrom(...params));
  const values = boundaryValues(p.schema, ctx, undefined).filter((v) =>
    (typeof v.value === 'string' || typeof v.value === 'number') &&
    percentEncode(String(v.value)).length <= MAX_ENCODED_VALUE
  );
  if (values.length === 0) return null;
  const chosen = draw(fc.constantFrom(...values));
  const value = String(chosen.value);
  if (p.in === 'path') {
    return {
      label: `${p.name}=${chosen.label}`,
      parts: { ...parts, pathValues: { ...parts.pathValues, [p.name]: value } },
    };
  }
  return {
    label: `${p.name}=${chosen.label}`,
    parts: { ...parts, query: [...parts.query.filter(([k]) => k !== p.name), [p.name, value]] },
  };
}

export function malformedQuery(op: Operation, parts: RequestParts, draw: Draw): Change {
  const path = fillPath(op.path, parts.pathValues);
  const valid = queryString(parts.query).replace(/^\?/, '');
  const names = op.parameters.filter((p) => p.in === 'query').map((p) => p.name);
  const name = names.length > 0 ? draw(fc.constantFrom(...names)) : 'q';
  const raw = draw(fc.constantFrom(...RAW_SEGMENTS));
  const kind = draw(fc.constantFrom(
    'unknown-param',
    'repeated',
    'raw-value',
    'raw-value',
    'empty-value',
    'array-syntax',
    'raw-name',
    'long',
    'no-value',
  ));
  const extra = {
    'unknown-param': `fuzz_${draw(fc.stringMatching(/^[a-z]{1,8}$/))}=1`,
    'repeated': `${name}=${percentEncode(draw(stringFor({})))}&${name}=2`,
    'raw-value': `${name}=${raw}`,
    'empty-value': `${name}=`,
    'array-syntax': `${name}[]=1&${name}[a]=2`,
    'raw-name': `${raw}=1`,
    'long': `${name}=${'9'.repeat(6000)}`,
    'no-value': `${name}&&&=&`,
  }[kind];
  const query = [valid, extra].filter((q) => q !== '').join('&');
  return {
    label: `${kind} ${kind === 'raw-value' || kind === 'raw-name' ? raw.slice(0, 20) : name}`,
    rawPath: `${path}?${query}`,
  };
}

export function malformedPath(
  g: GenerationContext,
  op: Operation,
  parts: RequestParts,
  user: FuzzUser,
  draw: Draw,
): Change {
  const query = queryString(parts.query);
  const hasId = op.parameters.some((p) => p.in === 'path' && p.name === 'id');
  if (hasId) {
    const foreign = g.pools.foreign(op.resource, user.id).map((k) => k.value);
    const gone = g.pools.gone(op.resource).map((k) => k.value);
    const kind = draw(fc.constantFrom('foreign', 'foreign', 'gone', 'random', 'raw', 'raw', 'suffix'));
    if (kind === 'foreign' && foreign.length > 0) {
      const id = draw(fc.constantFrom(...foreign));
      return {
        label: 'id of another user',
        parts: { ...parts, pathValues: { ...parts.pathValues, id } },
        foreignId: true,
      };
    }
    if (kind === 'gone' && gone.length > 0) {
      const id = draw(fc.constantFrom(...gone));
      return {
        label: 'id of a deleted object',
        parts: { ...parts, pathValues: { ...parts.pathValues, id } },
      };
    }
    if (kind === 'random' || kind === 'foreign' || kind === 'gone') {
      return {
        label: 'random uuid',
        parts: { ...parts, pathValues: { ...parts.pathValues, id: draw(fc.uuid()) } },
      };
    }
    if (kind === 'raw') {
      const raw = draw(fc.constantFrom(...RAW_SEGMENTS));
      return {
        label: `id=${raw.slice(0, 20)}`,
        rawPath: `${fillPath(op.path, { ...parts.pathValues, id: raw }, true)}${query}`,
      };
    }
  }
  if (!hasId && op.parameters.some((p) => p.in === 'path')) {
    const raw = draw(fc.constantFrom(...RAW_SEGMENTS, 'X', 'Twitter', 'facebook', 'LINKEDIN', ''));
    return {
      label: `path=${raw.slice(0, 20)}`,
      rawPath: `${
        fillPath(op.path, Object.fromEntries(Object.keys(parts.pathValues).map((k) => [k, raw])), true)
      }${query}`,
    };
  }
  const path = fillPath(op.path, parts.pathValues);
  const shape = draw(fc.constantFrom(
    `${path}/`,
    `/${path}`,
    `${path}//`,
    `${path}/${crypto.randomUUID()}/extra`,
    `${path};jsessionid=1`,
    `${path}%2F`,
    path.toUpperCase(),
    `${path}/..`,
    `${path}/%2e%2e/%2e%2e/openapi.json`,
    `${path}.json`,
  ));
  return {
    label: `path shape ${shape.replace(/[0-9a-f-]{36}/g, '{uuid}').slice(0, 40)}`,
    rawPath: `${shape}${query}`,
  };
}

export function tokenVariant(g: GenerationContext, parts: RequestParts, user: FuzzUser, draw: Draw): Change {
  const others = g.users.filter((u) => u.id !== user.id);
  if (others.length > 0 && draw(fc.integer({ min: 0, max: 4 })) === 0) {
    const other = draw(fc.constantFrom(...others));
    const token = g.goodTokens.get(other.id)![0]!;
    return { label: `token of ${other.name}`, token, foreignId: namesOwnedValue(g, parts, user) };
  }
  const token = draw(fc.constantFrom(...g.badTokens));
  return { label: token.kind, token };
}

/**
 * Does the request act on something of `user`: a path id, an OAuth state, an account id in the body?
 * (A list cursor does not count: another user's cursor only pages through the caller's own list.)
 */
function namesOwnedValue(g: GenerationContext, parts: RequestParts, user: FuzzUser): boolean {
  const mine = new Set<string>();
  for (const pool of ['posts', 'accounts', 'notifications', 'notification-endpoints']) {
    for (const k of g.pools.owned(pool, user.id)) mine.add(k.value);
  }
  for (const platform of g.platforms) {
    for (const k of g.pools.owned(`state:${platform}`, user.id)) mine.add(k.value);
  }
  const named = [
    ...Object.values(parts.pathValues),
    ...parts.query.filter(([k]) => k === 'state').map(([, v]) => v),
    ...JSON.stringify(parts.body ?? null).match(/[0-9a-f]{8}-[0-9a-f-]{27}/g) ?? [],
  ];
  return named.some((v) => mine.has(v));
}

const IDEMPOTENCY_KEYS = [
  '',
  ' ',
  'a'.repeat(255),
  'b'.repeat(256),
  'key with spaces',
  '\u00e9t\u00e9',
  'x\ty',
  '"quoted"',
];
const IF_MATCH = [
  'abc',
  '"0"',
  '"999999999999"',
  '"-1"',
  'W/"1"',
  '*',
  '"1", "2"',
  '""',
  '"1.5"',
  `"${'9'.repeat(300)}"`,
];
const ACCEPT = ['application/json', 'text/html', '*/*', 'application/problem+json', 'image/png', ''];

export function headerVariant(g: GenerationContext, user: FuzzUser, draw: Draw): Change {
  const kind = draw(
    fc.constantFrom('idempotency-key', 'idempotency-reuse', 'if-match', 'accept', 'request-id', 'twice'),
  );
  if (kind === 'idempotency-reuse') {
    const key = g.usedIdempotencyKeys.get(user.id);
    if (key) {
      return { label: 'idempotency-key reused with another body', headers: { 'idempotency-key': key } };
    }
  }
  if (kind === 'idempotency-key' || kind === 'idempotency-reuse') {
    const key = draw(fc.constantFrom(...IDEMPOTENCY_KEYS));
    return {
      label: `idempotency-key ${JSON.stringify(key.slice(0, 12))} (${key.length})`,
      headers: { 'idempotency-key': key },
    };
  }
  if (kind === 'if-match') {
    const value = draw(fc.constantFrom(...IF_MATCH));
    return { label: `if-match ${value.slice(0, 16)}`, headers: { 'if-match': value } };
  }
  if (kind === 'accept') {
    const value = draw(fc.constantFrom(...ACCEPT));
    return { label: `accept ${JSON.stringify(value)}`, headers: { accept: value } };
  }
  if (kind === 'request-id') {
    const value = draw(fc.constantFrom('', 'x'.repeat(500), '../../x', '\u00ff\u00fe', '<script>'));
    return {
      label: `x-request-id ${JSON.stringify(value.slice(0, 12))}`,
      headers: { 'x-request-id': value },
    };
  }
  // Two Authorization headers arrive as one, joined by a comma: never a valid Bearer value.
  const token = g.goodTokens.get(user.id)![0]!.authorization!;
  return {
    label: 'authorization sent twice',
    headers: { authorization: `${token}, ${token}` },
    foreignId: false,
  };
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND'];

export function methodVariant(g: GenerationContext, op: Operation, draw: Draw): Change {
  const documented = new Set(g.doc.operations.filter((o) => o.path === op.path).map((o) => o.method));
  const others = METHODS.filter((m) => !documented.has(m));
  const method = draw(fc.constantFrom(...others));
  return { label: `method ${method}`, method };
}
