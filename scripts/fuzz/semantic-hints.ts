/**
 * What a valid request needs that the document's schemas cannot say: an `accountId` is one of the
 * caller's accounts, a `scheduledAt` lies in the future, a post's text and media suit the platforms
 * it goes to (Instagram needs a JPEG), a webhook URL names a public https host, a `cursor` or `state`
 * is one the API handed out. The hints answer for those fields by name; every other field is left to
 * its schema. With `strict: false` (boundary and malformed requests start from these values) the
 * choices are the same, so a mutation changes exactly one thing.
 */
import fc from 'fast-check';
import type { FuzzUser } from './fuzz-users.ts';
import type { GenerationContext } from './fuzz-request.ts';
import type { Known } from './id-pools.ts';
import type { JsonSchema, Operation } from './openapi-operations.ts';
import type { SchemaContext, ValuePath } from './schema-arbitrary.ts';
import { arbitraryFor, dateTime } from './schema-arbitrary.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export function schemaContext(
  g: GenerationContext,
  op: Operation,
  user: FuzzUser,
  pathValues: Readonly<Record<string, string>>,
): SchemaContext {
  const ctx: SchemaContext = {
    resolve: g.doc.resolve,
    hint(path, schema) {
      const s = g.doc.resolve(schema);
      if (path.length === 0 && s.properties?.targets && s.properties?.platforms) {
        return postBody(g, user, s, ctx);
      }
      return fieldHint(g, op, user, pathValues, path);
    },
  };
  return ctx;
}

function fieldHint(
  g: GenerationContext,
  op: Operation,
  user: FuzzUser,
  pathValues: Readonly<Record<string, string>>,
  path: ValuePath,
): fc.Arbitrary<unknown> | null {
  const name = String(path[path.length - 1] ?? '');
  const parent = String(path[path.length - 3] ?? path[path.length - 2] ?? '');
  switch (name) {
    case 'accountId':
      return pick(liveAccounts(g, user).map((a) => a.value)) ?? null;
    case 'scheduledAt':
      return futureSchedule(g);
    case 'url':
      return parent === 'media' ? mediaUrl() : webhookUrl();
    case 'cursor':
      // Only a cursor the API handed out is valid; without one, a valid request starts at page one.
      return pick(g.pools.owned(`cursor:${op.resource}`, user.id).map((k) => k.value)) ??
        fc.constant(undefined);
    case 'state':
      return pick(g.pools.owned(`state:${pathValues.platform ?? ''}`, user.id).map((k) => k.value)) ??
        fc.base64String({ minLength: 40, maxLength: 44 });
    case 'code':
      return fc.stringMatching(/^[A-Za-z0-9_-]{16,48}$/);
    case 'from':
    case 'to':
      return dateTime({ min: g.now() - 365 * DAY, max: g.now() + 365 * DAY });
    case 'idempotency-key':
      return fc.uuid();
    case 'if-match': {
      const version = pathValues.id ? g.pools.version(pathValues.id) : undefined;
      return version === undefined ? null : fc.constantFrom(`"${version}"`, `W/"${version}"`, '*');
    }
    default:
      return null;
  }
}

/** The caller's accounts that a post can target now. */
export function liveAccounts(g: GenerationContext, user: FuzzUser): Known[] {
  return g.pools.owned('accounts', user.id).filter((a) =>
    a.facts.status === undefined || a.facts.status === 'active'
  );
}

function pick<T>(values: readonly T[]): fc.Arbitrary<T> | null {
  return values.length === 0 ? null : fc.constantFrom(...values);
}

function futureSchedule(g: GenerationContext): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 9, arbitrary: dateTime({ min: g.now() + 5 * MINUTE, max: g.now() + 365 * DAY }) },
    { weight: 1, arbitrary: fc.constant('now') },
  );
}

function mediaUrl(): fc.Arbitrary<string> {
  return fc.tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.constantFrom('jpg', 'jpeg', 'mp4')).map(
    ([name, ext]) => `https://cdn.example.com/fuzz/${name}.${ext}`,
  );
}

function webhookUrl(): fc.Arbitrary<string> {
  return fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/), fc.webPath()).map(
    ([host, path]) => `https://${host}.example.com${path}`,
  );
}

/**
 * A post that the API can accept: text for every chosen platform (short enough for X), a JPEG when
 * Instagram is among them, a future time, and targets (or the platforms shorthand) among the caller's
 * accounts. For the update schema (nothing required) a non-empty part of those fields.
 */
function postBody(g: GenerationContext, user: FuzzUser, s: JsonSchema, ctx: SchemaContext) {
  const accounts = liveAccounts(g, user);
  const required = new Set<string>(s.required ?? []);
  const text = fc.oneof(
    fc.lorem({ maxCount: 20 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
    fc.constant('Launching today! \u{1F680} https://example.com/launch #solo'),
  );
  return fc.record({
    text,
    scheduledAt: futureSchedule(g),
    chosen: accounts.length === 0
      ? fc.constant<Known[]>([])
      : fc.subarray(accounts, { minLength: 1, maxLength: Math.min(3, accounts.length) }),
    shorthand: fc.boolean(),
    extraMedia: fc.array(mediaUrl(), { maxLength: 2 }),
    altText: fc.option(fc.lorem({ maxCount: 5 }), { nil: undefined }),
    fields: fc.subarray(['text', 'scheduledAt', 'where', 'media'], { minLength: 1 }),
    fallbackTargets: arbitraryFor(s.properties.targets, { ...ctx, hint: () => null }),
  }).map((r) => {
    const platforms = [...new Set(r.chosen.map((a) => String(a.facts.platform)))];
    const media = platforms.includes('instagram')
      ? (r.extraMedia.length > 0 ? r.extraMedia : [
        'https://cdn.example.com/fuzz/photo.jpg',
      ])
      : r.extraMedia.filter((u) => u.endsWith('.jpg'));
    const body: Record<string, unknown> = {};
    const include = (field: string) => required.has(field) || r.fields.includes(field);
    if (include('text')) body.text = r.text;
    if (include('scheduledAt')) body.scheduledAt = r.scheduledAt;
    if (required.size > 0 || r.fields.includes('where')) {
      if (r.chosen.length === 0) body.targets = r.fallbackTargets;
      else if (r.shorthand) body.platforms = platforms;
      else body.targets = r.chosen.map((a) => ({ accountId: a.value }));
    }
    if (
      media.length > 0 && (required.size > 0 || r.fields.includes('media') || platforms.includes('instagram'))
    ) {
      body.media = media.map((url, i) => (i === 0 && r.altText ? { url, altText: r.altText } : { url }));
    }
    return body;
  });
}
