/**
 * Schemas shared by the routes: ids, storable text and the problem body every error response uses.
 */
import { z } from '@hono/zod-openapi';
import { ERROR_CODES } from '../../domain/error-codes.ts';
import { storableTextProblem } from '../../domain/storable-text.ts';

// No `i` flag: the pattern is copied into /openapi.json, where JSON Schema patterns have no flags.
const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function uuidSchema(what: string) {
  return z.string({ error: `${what} must be a uuid string` }).regex(UUID_PATTERN, {
    error: (issue) =>
      `${what} must be a uuid such as 3f0c2b9e-1c4d-4b8a-9e2f-7a6b5c4d3e2f, got ${
        JSON.stringify(issue.input)
      }`,
  }).openapi({ format: 'uuid' });
}

/**
 * Refuses a string neither store can keep as sent — a NUL character or a lone surrogate
 * (storable-text.ts) — naming `field`, so such input gets 422 on the memory store and on Postgres
 * alike instead of a database error. Every free-text field of a request that reaches a store goes
 * through this.
 */
export function storableText<T extends z.ZodType<string>>(schema: T, field: string): T {
  return schema.superRefine((value, ctx) => {
    const problem = storableTextProblem(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: `${field} ${problem}` });
  });
}

export const idParamsSchema = z.object({
  id: uuidSchema('the id in the path').openapi({ param: { name: 'id', in: 'path' } }),
});

export const problemSchema = z.object({
  type: z.string().openapi({ example: 'urn:solospark:problem:validation_failed' }),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]),
  requestId: z.string().nullable(),
  errors: z.array(
    z.object({
      path: z.string().openapi({ example: 'targets[0].accountId' }),
      message: z.string(),
      platform: z.string().optional(),
      rule: z.string().optional(),
    }),
  ).optional(),
}).openapi('Problem', { description: 'RFC 9457 problem details' });

const problemContent = { 'application/problem+json': { schema: problemSchema } };

/** Error responses for a route's OpenAPI entry. */
export function problemResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: 'Malformed JSON',
    401: 'Missing or invalid bearer token',
    404: 'Not found (or owned by another user)',
    409: 'Conflict: publishing has begun, or a concurrent change',
    412: 'If-Match names a stale version',
    413: 'Body too large',
    415: 'Body is not application/json',
    422: 'Invalid input: every problem is listed in errors',
    503: 'A dependency is down',
  };
  return Object.fromEntries(
    statuses.map((
      status,
    ) => [status, { description: descriptions[status] ?? 'Error', content: problemContent }]),
  );
}
