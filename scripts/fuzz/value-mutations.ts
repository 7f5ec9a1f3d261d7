/**
 * Boundary and malformed variants of a value, by its schema: where a valid body has a field, the
 * fuzz puts the field's edge cases (empty, exactly the maximum, one past it, the extremes of a
 * date-time) or a value that breaks it (another JSON type, NUL, a lone surrogate, a huge string).
 * `slotsOf` lists the places of a value that a mutation can target, with the schema that governs
 * each, including optional properties the value left out.
 */
import type { JsonSchema } from './openapi-operations.ts';
import type { SchemaContext, ValuePath } from './schema-arbitrary.ts';
import { stringKind } from './schema-arbitrary.ts';

export interface Slot {
  path: ValuePath;
  schema: JsonSchema;
  /** false: an optional property the value does not have. */
  present: boolean;
}

export interface Variant {
  /** What the variant is, for reports: `max+1`, `nul`, `wrong-type:number`. */
  label: string;
  value: unknown;
}

export function slotsOf(
  value: unknown,
  schema: JsonSchema,
  ctx: SchemaContext,
  path: ValuePath = [],
): Slot[] {
  const s = ctx.resolve(schema);
  const slots: Slot[] = [{ path, schema: s, present: true }];
  if (Array.isArray(value)) {
    value.forEach((item, i) => slots.push(...slotsOf(item, s.items ?? {}, ctx, [...path, i])));
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const [name, child] of Object.entries<JsonSchema>(s.properties ?? {})) {
      if (name in record) slots.push(...slotsOf(record[name], child, ctx, [...path, name]));
      else slots.push({ path: [...path, name], schema: ctx.resolve(child), present: false });
    }
  }
  return slots;
}

/** A copy of `root` with `value` at `path` (the path's parents must exist). */
export function setAt(root: unknown, path: ValuePath, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

export function deleteAt(root: unknown, path: ValuePath): unknown {
  if (path.length === 0) return undefined;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (Array.isArray(node)) node.splice(Number(last), 1);
  else delete node[last];
  return copy;
}

const ASTRAL = '\u{1F680}'; // one code point, two UTF-16 units, four UTF-8 bytes

/** Edge cases of the schema: some valid (exactly the maximum), some one step outside it. */
export function boundaryValues(schema: JsonSchema, ctx: SchemaContext, sample: unknown): Variant[] {
  const s = ctx.resolve(schema);
  const out: Variant[] = [];
  const add = (label: string, value: unknown) => out.push({ label, value });
  if (Array.isArray(s.enum)) {
    for (const value of s.enum) add(`enum:${value}`, value);
    const first = s.enum.find((v: unknown) => typeof v === 'string');
    if (first) {
      add('enum-uppercase', first.toUpperCase());
      add('enum-padded', ` ${first}`);
    }
  }
  const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes('string')) {
    const max: number | undefined = s.maxLength;
    const min: number = s.minLength ?? 0;
    add('empty', '');
    if (min > 0) add('min-1', 'a'.repeat(min - 1));
    if (max !== undefined) {
      add('max', 'a'.repeat(max));
      add('max-astral', ASTRAL.repeat(max));
      add('max+1', 'a'.repeat(max + 1));
      add('max+1-astral', ASTRAL.repeat(max + 1));
    }
    out.push(...kindBoundaries(stringKind(s)));
  }
  if (types.includes('integer') || types.includes('number')) {
    for (const n of [0, -1, 1.5, -0, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308]) add(`number:${n}`, n);
    if (s.minimum !== undefined) add('minimum-1', s.minimum - 1);
    if (s.maximum !== undefined) add('maximum+1', s.maximum + 1);
  }
  if (types.includes('array')) {
    const item = Array.isArray(sample) && sample.length > 0 ? sample[0] : null;
    add('empty-array', []);
    if (s.minItems !== undefined && s.minItems > 1) add('minItems-1', Array(s.minItems - 1).fill(item));
    if (s.maxItems !== undefined) {
      add('maxItems', Array.from({ length: s.maxItems }, () => structuredClone(item)));
      add('maxItems+1', Array.from({ length: s.maxItems + 1 }, () => structuredClone(item)));
    }
    if (item !== null) add('duplicate-items', [item, structuredClone(item)]);
    add('array-of-500', Array.from({ length: 500 }, () => structuredClone(item)));
  }
  if (types.includes('object')) add('empty-object', {});
  if (types.includes('boolean')) {
    add('true', true);
    add('false', false);
  }
  return out;
}

function kindBoundaries(kind: ReturnType<typeof stringKind>): Variant[] {
  const v = (label: string, value: string): Variant => ({ label, value });
  switch (kind) {
    case 'uuid':
      return [
        v('uuid-nil', '00000000-0000-0000-0000-000000000000'),
        v('uuid-max', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
        v('uuid-uppercase', crypto.randomUUID().toUpperCase()),
        v('uuid-braces', `{${crypto.randomUUID()}}`),
        v('uuid-no-dashes', crypto.randomUUID().replaceAll('-', '')),
        v('uuid-newline', `${crypto.randomUUID()}\n`),
        v('uuid-non-hex', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'),
      ];
    case 'date-time':
      return [
        v('leap-day', '2028-02-29T12:00:00Z'),
        v('not-a-leap-day', '2027-02-29T12:00:00Z'),
        v('leap-second', '2027-06-30T23:59:60Z'),
        v('year-9999', '9999-12-31T23:59:59.999Z'),
        v('year-0000', '0000-01-01T00:00:00Z'),
        v('year-0001', '0001-01-01T00:00:00Z'),
        v('offset+14', '2027-01-01T00:00:00+14:00'),
        v('offset-12', '2027-01-01T00:00:00-12:00'),
        v('offset+24', '2027-01-01T00:00:00+24:00'),
        v('offset-23:59', '2027-01-01T00:00:00-23:59'),
        v('nanoseconds', '2027-01-01T00:00:00.123456789Z'),
        v('lowercase-tz', '2027-01-01t00:00:00z'),
        v('no-offset', '2027-01-01T00:00:00'),
        v('date-only', '2027-01-01'),
        v('hour-24', '2027-01-01T24:00:00Z'),
        v('epoch-seconds', '1798761600'),
        v('padded', ' 2027-01-01T00:00:00Z'),
        v('now-uppercase', 'NOW'),
        v('unix-epoch', '1970-01-01T00:00:00Z'),
      ];
    case 'uri':
      return [
        v('url-long', `https://example.com/${'a'.repeat(1990)}`),
        v('url-loopback', 'https://127.0.0.1/hook'),
        v('url-ipv6-loopback', 'https://[::1]/hook'),
        v('url-metadata', 'https://169.254.169.254/latest/meta-data/'),
        v('url-private', 'https://10.0.0.1/hook'),
        v('url-ipv4-mapped', 'https://[::ffff:127.0.0.1]/hook'),
        v('url-decimal-ip', 'https://2130706433/hook'),
        v('url-localhost', 'https://localhost/hook'),
        v('url-internal', 'https://metadata.google.internal/x'),
        v('url-http', 'http://example.com/a.jpg'),
        v('url-file', 'file:///etc/passwd'),
        v('url-javascript', 'javascript:alert(1)'),
        v('url-credentials', 'https://user:pw@example.com/a.jpg'),
        v('url-idn', 'https://xn--n3h.example/a.jpg'),
        v('url-bad-port', 'https://example.com:99999/a.jpg'),
        v('url-uppercase', 'HTTPS://EXAMPLE.COM/A.JPG'),
        v('url-relative', '/a.jpg'),
        v('url-spaces', 'https://exa mple.com/a b.jpg'),
      ];
    case 'digits':
      return [
        v('zero', '0'),
        v('one', '1'),
        v('hundred', '100'),
        v('hundred-one', '101'),
        v('huge', '99999999999999999999999'),
        v('negative', '-1'),
        v('fraction', '1.5'),
        v('leading-zeros', '0000000001'),
        v('fullwidth', '\uff11'),
      ];
    case 'text':
      return [];
  }
}

/** Values of every JSON type but the schema's. */
export function wrongTypeValues(schema: JsonSchema, ctx: SchemaContext): Variant[] {
  const s = ctx.resolve(schema);
  const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  const candidates: [string, unknown][] = [
    ['string', 'not the right type'],
    ['number', 42],
    ['integer', -7],
    ['boolean', true],
    ['null', null],
    ['array', ['x']],
    ['object', { unexpected: 'object' }],
  ];
  return candidates
    .filter(([type]) => !types.includes(type) && !(type === 'integer' && types.includes('number')))
    .map(([type, value]) => ({ label: `wrong-type:${type}`, value }));
}

/** Strings that are valid JSON but hostile to what stores, logs or renders them. */
export const HOSTILE_STRINGS: readonly Variant[] = [
  { label: 'nul', value: 'before\u0000after' },
  { label: 'nul-only', value: '\u0000' },
  { label: 'lone-high-surrogate', value: 'a\ud800b' },
  { label: 'lone-low-surrogate', value: '\udc00' },
  { label: 'trailing-high-surrogate', value: `text${ASTRAL.slice(0, 1)}` },
  { label: 'noncharacters', value: '\ufffe\uffff\ufeff' },
  { label: 'bidi-override', value: 'abc\u202edcba' },
  { label: 'crlf', value: 'line\r\nX-Injected: 1' },
  { label: 'control-chars', value: '\u0001\u0007\u001b[31m\u007f' },
  { label: 'combining-pile', value: `Z${'\u0351\u0300\u0301'.repeat(200)}` },
  { label: 'sql', value: "'); drop table public.posts; --" },
  { label: 'format-string', value: '%s%s%s%n%x' },
  { label: 'template', value: '${jndi:ldap://127.0.0.1/x}{{7*7}}' },
  { label: 'html', value: '<script>alert(1)</script>' },
  { label: 'path-traversal', value: '../../../../etc/passwd' },
  { label: 'proto', value: '__proto__' },
  { label: 'huge-60k', value: 'x'.repeat(60_000) },
  { label: 'huge-100k', value: 'y'.repeat(100_000) },
  { label: 'emoji-flood', value: ASTRAL.repeat(12_000) },
];

/** Bodies that are not JSON, or are JSON of the wrong kind. */
export const BAD_JSON_TEXTS: readonly Variant[] = [
  { label: 'empty', value: '' },
  { label: 'whitespace', value: ' \n\t ' },
  { label: 'truncated', value: '{"text": "hi", "scheduledAt": ' },
  { label: 'trailing-comma', value: '{"text": "hi",}' },
  { label: 'single-quotes', value: "{'text': 'hi'}" },
  { label: 'comment', value: '{"text": "hi" /* c */}' },
  { label: 'nan', value: '{"text": NaN}' },
  { label: 'infinity', value: '{"limit": Infinity}' },
  { label: 'huge-number', value: '{"text": 1e999}' },
  { label: 'trailing-garbage', value: '{"text": "hi"} garbage' },
  { label: 'two-objects', value: '{}{}' },
  { label: 'unquoted-key', value: '{text: "hi"}' },
  { label: 'bad-escape', value: '{"text": "\\x41"}' },
  { label: 'raw-newline', value: '{"text": "a\nb"}' },
  { label: 'escaped-lone-surrogate-key', value: '{"\\ud800": 1}' },
  { label: 'escaped-nul-key', value: '{"\\u0000": 1}' },
  { label: 'proto-key', value: '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}' },
  { label: 'duplicate-keys', value: '{"text": "a", "text": 5}' },
  { label: 'null', value: 'null' },
  { label: 'array', value: '[]' },
  { label: 'string', value: '"hello"' },
  { label: 'number', value: '12' },
  { label: 'true', value: 'true' },
  { label: 'deep-array', value: `${'['.repeat(20_000)}${']'.repeat(20_000)}` },
  { label: 'deep-object', value: `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}` },
  { label: 'unbalanced-deep', value: '['.repeat(30_000) },
];
