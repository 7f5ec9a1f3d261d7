/**
 * What a boundary or malformed variant does to a valid request: new parts, or something the parts
 * cannot express (a raw body, another content type, method or path, another token).
 */
import type { TokenVariant } from './token-variants.ts';
import type { RequestParts } from './valid-parts.ts';
import type { ValuePath } from './schema-arbitrary.ts';

export interface Change {
  /** e.g. `wrong-type:number at targets[0].accountId`. */
  label: string;
  parts?: RequestParts;
  /** Sent instead of the JSON of the body. */
  bodyText?: string;
  bodyBytes?: Uint8Array;
  /** null: no Content-Type header. */
  contentType?: string | null;
  method?: string;
  /** Path and query string, sent exactly so. */
  rawPath?: string;
  /** Header overrides; null removes the header. */
  headers?: Record<string, string | null>;
  token?: TokenVariant;
  /** The request names another user's existing object. */
  foreignId?: boolean;
}

/** `targets[0].accountId`, the way the API's problem paths read. */
export function formatPath(path: ValuePath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out || '(body)';
}
