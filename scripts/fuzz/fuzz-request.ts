/**
 * One generated request, and what generating one needs. A request is plain data (method, path with
 * its query string, headers, body bytes or text), so a failure can be printed and sent again as is.
 */
import type fc from 'fast-check';
import type { FuzzUser } from './fuzz-users.ts';
import type { IdPools } from './id-pools.ts';
import type { ApiDocument, Operation } from './openapi-operations.ts';
import type { TokenVariant } from './token-variants.ts';

export const CATEGORIES = [
  'valid',
  'boundary',
  'malformed-body',
  'malformed-query',
  'malformed-path',
  'token',
  'header',
  'method',
] as const;
export type Category = typeof CATEGORIES[number];

export interface FuzzRequest {
  /** 0-based position in the run: with the seed, it names the request. */
  index: number;
  /** The documented operation it targets (an undocumented method or path: the operation it bends). */
  op: Operation;
  category: Category;
  /** What was done to it, e.g. `body:wrong-type:number at targets[0].accountId`, `token:alg-crlf`. */
  variant: string;
  method: string;
  /** Path and query string, already encoded, e.g. `/posts?limit=3`. */
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array | null;
  /** Whose token it carries when the API must accept it; null = anonymous or a refused token. */
  actor: FuzzUser | null;
  /** The token variant's kind (`hs256`, `expired`, `none`…). */
  tokenKind: string;
  /** The path parameters as sent (before encoding). */
  pathValues: Record<string, string>;
  /** The path names an existing object of another user (the answer must not be a 2xx). */
  foreignId: boolean;
}

/** Draws one value from an arbitrary, from the request's own seeded stream. */
export type Draw = <T>(arbitrary: fc.Arbitrary<T>) => T;

export interface GenerationContext {
  doc: ApiDocument;
  pools: IdPools;
  /** The creators (alice, bob, carol). */
  users: readonly FuzzUser[];
  goodTokens: ReadonlyMap<string, readonly TokenVariant[]>;
  badTokens: readonly TokenVariant[];
  /** Valid values of `{platform}` (from the document's platform enums). */
  platforms: readonly string[];
  /** Ms since the epoch; the generator's notion of now (future schedules). */
  now(): number;
  /** Idempotency keys already used, by user: a later request can reuse one with another body. */
  usedIdempotencyKeys: Map<string, string>;
}
