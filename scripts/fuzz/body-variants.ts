/**
 * Boundary and malformed bodies: one field of a valid body at an edge of its schema, or broken —
 * another JSON type, a required field missing, a field the schema does not have, a hostile string
 * (NUL, lone surrogates, 100 KB) — or no JSON at all: invalid JSON texts, another content type,
 * bytes that are not UTF-8, a UTF-16 body, a byte-order mark, a body where none belongs.
 */
import fc from 'fast-check';
import type { Draw } from './fuzz-request.ts';
import type { Operation } from './openapi-operations.ts';
import type { Change } from './request-change.ts';
import { formatPath } from './request-change.ts';
import type { SchemaContext } from './schema-arbitrary.ts';
import type { RequestParts } from './valid-parts.ts';
import {
  BAD_JSON_TEXTS,
  boundaryValues,
  deleteAt,
  HOSTILE_STRINGS,
  setAt,
  slotsOf,
  wrongTypeValues,
} from './value-mutations.ts';

const EXTRA_FIELD_NAMES = [
  'extra',
  '__proto__',
  'constructor',
  '',
  'Text',
  'text ',
  'user_id',
  'userId',
  'status',
];

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'application/xml',
  'application/jsonx',
  'json',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'application/vnd.api+json',
  'application/json, text/plain',
  '*/*',
  '',
];

export function boundaryBody(
  op: Operation,
  parts: RequestParts,
  ctx: SchemaContext,
  draw: Draw,
): Change | null {
  if (!op.body || parts.body === undefined) return null;
  const slots = slotsOf(parts.body, op.body.schema, ctx);
  const slot = draw(fc.constantFrom(...slots));
  const current = slot.present ? valueAt(parts.body, slot.path) : undefined;
  const values = boundaryValues(slot.schema, ctx, current);
  if (values.length === 0) return null;
  const chosen = draw(fc.constantFrom(...values));
  return {
    label: `${chosen.label} at ${formatPath(slot.path)}`,
    parts: { ...parts, body: setAt(parts.body, slot.path, chosen.value) },
  };
}

export function malformedBody(op: Operation, parts: RequestParts, ctx: SchemaContext, draw: Draw): Change {
  const json = parts.body === undefined ? '{}' : JSON.stringify(parts.body);
  const kind = draw(fc.constantFrom(
    'wrong-type',
    'wrong-type',
    'missing-required',
    'extra-field',
    'hostile-string',
    'hostile-string',
    'bad-json',
    'bad-json',
    'content-type',
    'encoding',
  ));
  if (op.body && parts.body !== undefined) {
    const slots = slotsOf(parts.body, op.body.schema, ctx).filter((s) => s.present);
    switch (kind) {
      case 'wrong-type': {
        const slot = draw(fc.constantFrom(...slots));
        const value = draw(fc.constantFrom(...wrongTypeValues(slot.schema, ctx)));
        return {
          label: `${value.label} at ${formatPath(slot.path)}`,
          parts: { ...parts, body: setAt(parts.body, slot.path, value.value) },
        };
      }
      case 'missing-required': {
        const required = slots.flatMap((s) =>
          (s.schema.required ?? []).map((name: string) => [...s.path, name])
            .filter((path: (string | number)[]) => valueAt(parts.body, path) !== undefined)
        );
        if (required.length === 0) break;
        const path = draw(fc.constantFrom(...required));
        return {
          label: `missing ${formatPath(path)}`,
          parts: { ...parts, body: deleteAt(parts.body, path) },
        };
      }
      case 'extra-field': {
        const objects = slots.filter((s) => isObject(valueAt(parts.body, s.path)));
        if (objects.length === 0) break;
        const slot = draw(fc.constantFrom(...objects));
        const name = draw(fc.constantFrom(...EXTRA_FIELD_NAMES));
        const target = valueAt(parts.body, slot.path) as Record<string, unknown>;
        // JSON text, not setAt: `__proto__` must arrive as a key, not as a prototype change.
        const withExtra = JSON.stringify(target).replace(/^\{/, `{${JSON.stringify(name)}:"surprise",`)
          .replace(/,\}$/, '}');
        const bodyText = slot.path.length === 0
          ? withExtra
          : JSON.stringify(setAt(parts.body, slot.path, PLACEHOLDER))
            .replace(JSON.stringify(PLACEHOLDER), withExtra);
        return { label: `extra field ${JSON.stringify(name)} at ${formatPath(slot.path)}`, bodyText };
      }
      case 'hostile-string': {
        const strings = slots.filter((s) => typeof valueAt(parts.body, s.path) === 'string');
        const target = strings.length > 0 ? strings : slots;
        const slot = draw(fc.constantFrom(...target));
        const value = draw(fc.constantFrom(...HOSTILE_STRINGS));
        return {
          label: `${value.label} at ${formatPath(slot.path)}`,
          parts: { ...parts, body: setAt(parts.body, slot.path, value.value) },
        };
      }
    }
  }
  if (kind === 'content-type') {
    const type = draw(fc.constantFrom(...CONTENT_TYPES, null));
    return { label: `content-type ${JSON.stringify(type)}`, bodyText: json, contentType: type };
  }
  if (kind === 'encoding') {
    const form = draw(fc.constantFrom('invalid-utf8', 'utf16le', 'bom', 'latin1'));
    return { label: `encoding ${form}`, bodyBytes: encodeAs(form, json) };
  }
  const text = draw(fc.constantFrom(...BAD_JSON_TEXTS));
  return { label: `bad JSON: ${text.label}`, bodyText: String(text.value) };
}

const PLACEHOLDER = '\u0000fuzz-placeholder\u0000';

function encodeAs(form: string, json: string): Uint8Array {
  const utf8 = new TextEncoder().encode(json);
  switch (form) {
    case 'invalid-utf8': {
      // A valid body with bytes no UTF-8 decoder accepts, inside a string when there is one.
      const at = Math.max(0, json.indexOf('"') + 1);
      return new Uint8Array([
        ...utf8.slice(0, at),
        0xff,
        0xfe,
        0xed,
        0xa0,
        0x80,
        0xc0,
        0xaf,
        ...utf8.slice(at),
      ]);
    }
    case 'utf16le': {
      const out = new Uint8Array(json.length * 2 + 2);
      out.set([0xff, 0xfe]);
      for (let i = 0; i < json.length; i++) {
        out[2 + 2 * i] = json.charCodeAt(i) & 0xff;
        out[3 + 2 * i] = json.charCodeAt(i) >> 8;
      }
      return out;
    }
    case 'bom':
      return new Uint8Array([0xef, 0xbb, 0xbf, ...utf8]);
    default:
      return Uint8Array.from(json, (c) => c.charCodeAt(0) & 0xff);
  }
}

export function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

function isObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
