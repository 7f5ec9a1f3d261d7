/**
 * fast-check arbitraries for the values a JSON Schema (the OpenAPI 3.1 dialect our document uses)
 * accepts: `$ref`, `type` (one or a list, `null` included), `enum`, `const`, `anyOf`/`oneOf`/
 * `allOf`, string `minLength`/`maxLength` (in code points, as JSON Schema counts) with `pattern` and
 * the formats `uuid`, `date-time`, `uri`, `email`; numbers with their bounds; arrays with
 * `minItems`/`maxItems`; objects with `required` and optional properties.
 *
 * A schema cannot say everything a valid request needs (an `accountId` must name one of the caller's
 * accounts), so the context may answer for a field first: `hint(path, schema)` returns an arbitrary,
 * or null to let the schema decide.
 */
import fc from 'fast-check';
import type { JsonSchema } from './openapi-operations.ts';

export type ValuePath = readonly (string | number)[];

export interface SchemaContext {
  resolve(schema: JsonSchema): JsonSchema;
  hint(path: ValuePath, schema: JsonSchema): fc.Arbitrary<unknown> | null;
}

/** Strings the generator writes when a schema does not bound them (short: requests stay readable). */
const DEFAULT_MAX_LENGTH = 40;
const DEFAULT_MAX_ITEMS = 4;

export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function arbitraryFor(
  schema: JsonSchema,
  ctx: SchemaContext,
  path: ValuePath = [],
): fc.Arbitrary<unknown> {
  const hinted = ctx.hint(path, schema);
  if (hinted) return hinted;
  const s = ctx.resolve(schema);
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum) && s.enum.length > 0) return fc.constantFrom(...s.enum);
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[key]) && s[key].length > 0) {
      return fc.oneof(...s[key].map((branch: JsonSchema) => arbitraryFor(branch, ctx, path)));
    }
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    return arbitraryFor(mergeAll(s.allOf.map(ctx.resolve)), ctx, path);
  }
  const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : inferTypes(s);
  if (types.length > 1) return fc.oneof(...types.map((type) => arbitraryFor({ ...s, type }, ctx, path)));
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({
        min: Math.ceil(s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1000)),
        max: Math.floor(s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1000)),
      });
    case 'number':
      return fc.double({
        min: s.minimum ?? s.exclusiveMinimum ?? -1e6,
        max: s.maximum ?? s.exclusiveMaximum ?? 1e6,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'string':
      return stringFor(s);
    case 'array':
      return fc.array(arbitraryFor(s.items ?? {}, ctx, [...path, 0]), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? Infinity, (s.minItems ?? 0) + DEFAULT_MAX_ITEMS),
      });
    case 'object':
      return objectFor(s, ctx, path);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function inferTypes(s: JsonSchema): string[] {
  if (s.properties) return ['object'];
  if (s.items) return ['array'];
  if (s.format || s.pattern || s.maxLength !== undefined) return ['string'];
  return [];
}

function mergeAll(schemas: JsonSchema[]): JsonSchema {
  return schemas.reduce((all, s) => ({
    ...all,
    ...s,
    properties: { ...all.properties, ...s.properties },
    required: [...(all.required ?? []), ...(s.required ?? [])],
  }), {});
}

function objectFor(s: JsonSchema, ctx: SchemaContext, path: ValuePath): fc.Arbitrary<unknown> {
  const properties: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, child] of Object.entries<JsonSchema>(s.properties ?? {})) {
    properties[name] = arbitraryFor(child, ctx, [...path, name]);
  }
  const requiredKeys = (s.required ?? []).filter((k: string) => k in properties);
  return fc.record(properties, { requiredKeys });
}

/** A string the schema accepts; its length bounds count code points. */
export function stringFor(s: JsonSchema): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = s.maxLength ?? Math.max(minLength, DEFAULT_MAX_LENGTH);
  const kind = stringKind(s);
  let base: fc.Arbitrary<string>;
  if (kind === 'uuid') base = fc.uuid();
  else if (kind === 'date-time') base = dateTime();
  else if (kind === 'uri') base = fc.webUrl({ withQueryParameters: true });
  else if (s.format === 'email') base = fc.emailAddress();
  else if (kind === 'digits') {
    // Counts (`limit`): mostly small ones, which is what a client sends.
    base = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 100 }).map(String) },
      { weight: 1, arbitrary: fc.stringMatching(/^\d{1,12}$/) },
    );
  } else if (s.pattern) base = fc.stringMatching(new RegExp(s.pattern));
  else {
    const cap = Math.min(maxLength, Math.max(minLength, DEFAULT_MAX_LENGTH));
    base = fc.oneof(
      { weight: 3, arbitrary: fc.string({ minLength, maxLength: cap }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength, maxLength: cap }) },
    );
  }
  // A description that offers a literal ("… or \"now\" to publish at once") offers a valid value.
  const literals = [...String(s.description ?? '').matchAll(/"([^"\s]{1,20})"/g)].map((m) => m[1]!);
  if (literals.length > 0 && kind !== 'text') {
    base = fc.oneof({ weight: 9, arbitrary: base }, { weight: 1, arbitrary: fc.constantFrom(...literals) });
  }
  return base.filter((text) => {
    const n = codePointLength(text);
    return n >= minLength && n <= maxLength;
  });
}

export type StringKind = 'uuid' | 'date-time' | 'uri' | 'digits' | 'text';

/**
 * What a string schema holds: its `format`, or — for fields the document describes only by example
 * (`scheduledAt` also takes "now", so it has no format) — what its example looks like.
 */
export function stringKind(s: JsonSchema): StringKind {
  if (s.format === 'uuid') return 'uuid';
  if (s.format === 'date-time') return 'date-time';
  if (s.format === 'uri' || s.format === 'url') return 'uri';
  if (s.pattern === '^\\d+$') return 'digits';
  const example = typeof s.example === 'string' ? s.example : '';
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(example)) return 'date-time';
  if (/^https?:\/\//.test(example)) return 'uri';
  if (/^\d+$/.test(example)) return 'digits';
  return 'text';
}

const RANGE_START = Date.UTC(2000, 0, 1);
const RANGE_END = Date.UTC(2100, 0, 1);

/**
 * An ISO 8601 date-time with an explicit offset, in the forms RFC 3339 allows: `Z` or `±hh:mm`,
 * with or without seconds' fractions. `within` bounds the instant (Default: 2000–2100).
 */
export function dateTime(within: { min: number; max: number } = { min: RANGE_START, max: RANGE_END }) {
  return fc.record({
    at: fc.integer({ min: within.min, max: within.max }),
    offsetMinutes: fc.oneof(
      { weight: 3, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.integer({ min: -12 * 60, max: 14 * 60 }) },
    ),
    zulu: fc.boolean(),
    fraction: fc.constantFrom(0, 3, 6, 9),
  }).map(({ at, offsetMinutes, zulu, fraction }) =>
    formatInstant(at, zulu && offsetMinutes === 0 ? null : offsetMinutes, fraction)
  );
}

/** `at` (ms since the epoch) as local time at `offsetMinutes` (null: `Z`), with `fraction` digits. */
export function formatInstant(at: number, offsetMinutes: number | null, fraction: number): string {
  const local = new Date(at + (offsetMinutes ?? 0) * 60_000).toISOString();
  const millis = local.slice(20, 23);
  const digits = fraction === 0 ? '' : `.${(millis + '000000').slice(0, fraction)}`;
  let zone = 'Z';
  if (offsetMinutes !== null) {
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  }
  return `${local.slice(0, 19)}${digits}${zone}`;
}
