/**
 * Request number `index` of a run with seed `seed`: the operation (each in turn, in an order
 * shuffled per round, so every operation gets its share), a category (valid, boundary, malformed
 * body, query or path, token, header, method), a creator, and then the request itself — all drawn
 * from fast-check arbitraries seeded with (seed, index). The same seed and index give the same
 * request for the same state of the pools, which a replay of the run reproduces.
 */
import fc from 'fast-check';
import { createRandom } from '../chaos/seeded-random.ts';
import { boundaryBody, malformedBody } from './body-variants.ts';
import type { Category, Draw, FuzzRequest, GenerationContext } from './fuzz-request.ts';
import type { Operation } from './openapi-operations.ts';
import type { Change } from './request-change.ts';
import {
  boundaryQueryOrPath,
  headerVariant,
  malformedPath,
  malformedQuery,
  methodVariant,
  tokenVariant,
} from './request-variants.ts';
import { schemaContext } from './semantic-hints.ts';
import { chance, fillPath, queryString, validParts } from './valid-parts.ts';

/** Share of each category (out of 100). */
const CATEGORY_WEIGHTS: readonly [Category, number][] = [
  ['valid', 30],
  ['boundary', 14],
  ['malformed-body', 25],
  ['malformed-query', 8],
  ['malformed-path', 10],
  ['token', 14],
  ['header', 5],
  ['method', 3],
];

/** Requests that go through the Supabase gateway's path (`/functions/v1/posts…`), as deployed clients do. */
const GATEWAY_SHARE = 0.05;
export const GATEWAY_BASE_PATH = '/functions/v1';

export function drawFor(seed: number, index: number): Draw {
  const streamSeed = createRandom(seed, `request-${index}`).int(0, 0x7fffffff);
  const g = fc.sample(fc.gen(), { seed: streamSeed, numRuns: 1 })[0]!;
  return <T>(arbitrary: fc.Arbitrary<T>) => g(() => arbitrary);
}

/** The operation of request `index`: a round visits every operation once, in a seeded order. */
export function operationFor(operations: readonly Operation[], seed: number, index: number): Operation {
  const round = Math.floor(index / operations.length);
  const order = createRandom(seed, `round-${round}`).shuffle(operations);
  return order[index % operations.length]!;
}

export function generateRequest(g: GenerationContext, seed: number, index: number): FuzzRequest {
  const draw = drawFor(seed, index);
  const op = operationFor(g.doc.operations, seed, index);
  const user = draw(fc.constantFrom(...g.users));
  const applicable = CATEGORY_WEIGHTS.filter(([c]) => appliesTo(c, op));
  let category = draw(fc.oneof(...applicable.map(([c, weight]) => ({ weight, arbitrary: fc.constant(c) }))));
  const parts = validParts(g, op, user, draw);
  const ctx = schemaContext(g, op, user, parts.pathValues);

  let change: Change | null = null;
  switch (category) {
    case 'boundary':
      change = draw(fc.boolean()) ? boundaryBody(op, parts, ctx, draw) : null;
      change ??= boundaryQueryOrPath(op, parts, ctx, draw) ?? boundaryBody(op, parts, ctx, draw);
      break;
    case 'malformed-body':
      change = op.body ? malformedBody(op, parts, ctx, draw) : null;
      break;
    case 'malformed-query':
      change = malformedQuery(op, parts, draw);
      break;
    case 'malformed-path':
      change = malformedPath(g, op, parts, user, draw);
      break;
    case 'token':
      change = op.secured ? tokenVariant(g, parts, user, draw) : null;
      break;
    case 'header':
      change = headerVariant(g, user, draw);
      break;
    case 'method':
      change = methodVariant(g, op, draw);
      break;
  }
  // A category that does not apply to this operation (no body, no token) falls back to a valid request.
  if (category !== 'valid' && change === null) category = 'valid';
  return assemble(g, op, index, category, change, parts, user, draw);
}

/** Categories that can change something about this operation. */
function appliesTo(category: Category, op: Operation): boolean {
  switch (category) {
    case 'malformed-body':
      return op.body !== null;
    case 'token':
      return op.secured;
    case 'boundary':
      return op.body !== null || op.parameters.some((p) => p.in !== 'header');
    default:
      return true;
  }
}

function assemble(
  g: GenerationContext,
  op: Operation,
  index: number,
  category: Category,
  change: Change | null,
  validPartsOf: ReturnType<typeof validParts>,
  user: GenerationContext['users'][number],
  draw: Draw,
): FuzzRequest {
  const parts = change?.parts ?? validPartsOf;
  const method = change?.method ?? op.method;
  const goodTokens = g.goodTokens.get(user.id)!;
  // Mostly the plain HS256 token; the other good forms now and then.
  const good = chance(draw, 0.75) ? goodTokens[0]! : draw(fc.constantFrom(...goodTokens));
  const token = change?.token ?? good;
  const prefix = chance(draw, GATEWAY_SHARE) ? GATEWAY_BASE_PATH : '';
  const path = prefix +
    (change?.rawPath ?? `${fillPath(op.path, parts.pathValues)}${queryString(parts.query)}`);

  const headers: Record<string, string> = { ...parts.headers };
  if (token.authorization !== null) headers.authorization = token.authorization;
  let body: string | Uint8Array | null = null;
  const sendsBody = change?.bodyText !== undefined || change?.bodyBytes !== undefined ||
    (parts.body !== undefined && op.body !== null);
  if (sendsBody && method !== 'GET' && method !== 'HEAD') {
    body = change?.bodyBytes ?? change?.bodyText ?? JSON.stringify(parts.body);
    const type = change?.contentType === undefined
      ? op.body?.contentType ?? 'application/json'
      : change.contentType;
    if (type !== null) headers['content-type'] = type;
  }
  let actor = token.user;
  let tokenKind = token.kind;
  for (const [name, value] of Object.entries(change?.headers ?? {})) {
    if (value === null) delete headers[name];
    else headers[name] = value;
    if (name === 'authorization') {
      actor = null;
      tokenKind = 'twice';
    }
  }
  if (headers['idempotency-key'] && actor) g.usedIdempotencyKeys.set(actor.id, headers['idempotency-key']);
  return {
    index,
    op,
    category,
    variant: change ? `${category}:${change.label}` : category,
    method,
    path,
    headers,
    body,
    actor,
    tokenKind,
    pathValues: parts.pathValues,
    foreignId: change?.foreignId ?? false,
  };
}
