/**
 * The parts of a valid request for an operation, as values (not yet encoded): path parameters naming
 * the caller's own objects, query parameters and headers from their schemas (each optional one
 * sometimes), and a body from the body schema with the semantic hints. Boundary and malformed
 * requests start from these parts and change one of them.
 */
import fc from 'fast-check';
import type { Draw, GenerationContext } from './fuzz-request.ts';
import type { FuzzUser } from './fuzz-users.ts';
import type { Operation, Parameter } from './openapi-operations.ts';
import { arbitraryFor } from './schema-arbitrary.ts';
import { schemaContext } from './semantic-hints.ts';

export interface RequestParts {
  pathValues: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string>;
  /** The body value (undefined: the operation takes none). */
  body: unknown;
}

/** How often an optional query parameter or header is sent. */
const OPTIONAL_CHANCE = 0.4;

export function validParts(g: GenerationContext, op: Operation, user: FuzzUser, draw: Draw): RequestParts {
  const pathValues: Record<string, string> = {};
  for (const p of op.parameters.filter((p) => p.in === 'path')) {
    pathValues[p.name] = draw(pathValue(g, op, p, user));
  }
  const ctx = schemaContext(g, op, user, pathValues);
  const query: [string, string][] = [];
  const headers: Record<string, string> = {};
  for (const p of op.parameters.filter((p) => p.in !== 'path')) {
    // The OAuth callback's `error` means "the creator declined": a valid request sends it rarely.
    const odds = p.name === 'error' || p.name === 'error_description' ? 0.1 : OPTIONAL_CHANCE;
    if (!p.required && !chance(draw, odds)) continue;
    const value = draw(arbitraryFor(p.schema, ctx, [p.name]));
    if (value === undefined) continue;
    if (p.in === 'query') query.push([p.name, String(value)]);
    else headers[p.name] = String(value);
  }
  const body = op.body ? draw(arbitraryFor(op.body.schema, ctx, [])) : undefined;
  return { pathValues, query, headers, body };
}

function pathValue(g: GenerationContext, op: Operation, p: Parameter, user: FuzzUser): fc.Arbitrary<string> {
  if (p.name === 'platform' && g.platforms.length > 0) {
    // The callback needs the platform whose connection the state started.
    const pending = takesState(g, op)
      ? g.platforms.filter((platform) => g.pools.owned(`state:${platform}`, user.id).length > 0)
      : [];
    return fc.constantFrom(...(pending.length > 0 ? pending : g.platforms));
  }
  if (p.name === 'id') {
    const own = g.pools.owned(op.resource, user.id);
    const fitting = own.filter((k) => fitsOperation(op, k.facts.status));
    const ids = (fitting.length > 0 ? fitting : own).map((k) => k.value);
    if (ids.length > 0) return fc.constantFrom(...ids);
  }
  return arbitraryFor(p.schema, { resolve: g.doc.resolve, hint: () => null }, [p.name]).map(String);
}

/** The OAuth callback: an operation with a `state`, in its query or its body. */
export function takesState(g: GenerationContext, op: Operation): boolean {
  if (op.parameters.some((q) => q.name === 'state')) return true;
  return op.body !== null && 'state' in (g.doc.resolve(op.body.schema).properties ?? {});
}

/**
 * Whether an object in this status is one the operation can act on: a post is changed or
 * cancelled while scheduled, and retried once it failed (the state machine in src/domain/post.ts).
 */
function fitsOperation(op: Operation, status: unknown): boolean {
  if (op.resource !== 'posts' || status === undefined) return true;
  if (op.path.endsWith('/retry')) return status === 'failed' || status === 'partially_published';
  if (op.method === 'PATCH' || op.method === 'DELETE') return status === 'scheduled';
  return true;
}

/** The path with its parameters put in (values are percent-encoded unless `raw`). */
export function fillPath(template: string, values: Readonly<Record<string, string>>, raw = false): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name] ?? '';
    return raw ? value : percentEncode(value);
  });
}

/** `?a=1&b=2`, each part percent-encoded. */
export function queryString(query: readonly [string, string][]): string {
  if (query.length === 0) return '';
  return `?${query.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&')}`;
}

/** True with probability `p`, from the request's stream. */
export function chance(draw: Draw, p: number): boolean {
  return draw(fc.integer({ min: 0, max: 9999 })) < p * 10_000;
}

/** encodeURIComponent, except that a lone surrogate (which it refuses) becomes its CESU-8 bytes. */
export function percentEncode(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += `%${(0xe0 | (code >> 12)).toString(16).toUpperCase()}%${
        (0x80 | ((code >> 6) & 0x3f)).toString(16).toUpperCase()
      }%${(0x80 | (code & 0x3f)).toString(16).toUpperCase()}`;
    } else out += encodeURIComponent(char);
  }
  return out;
}
