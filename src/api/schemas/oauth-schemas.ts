/**
 * The OAuth connect flow's contract: the platform in the path, the answer that starts a connection,
 * and the query a platform's redirect brings back (a code, or an error).
 */
import { z } from '@hono/zod-openapi';
import { PLATFORMS } from '../../domain/platform.ts';

export const platformParamsSchema = z.object({
  platform: z.string().openapi({
    param: { name: 'platform', in: 'path' },
    description: 'x, instagram or linkedin (twitter is an alias of x)',
    example: 'x',
  }),
});

export const connectResponseSchema = z.object({
  platform: z.enum(PLATFORMS),
  authorizationUrl: z.string().openapi({ format: 'uri' }),
  state: z.string(),
  expiresAt: z.string().openapi({ format: 'date-time' }),
}).openapi('AccountConnection');

export const callbackQuerySchema = z.object({
  state: z.string().optional(),
  code: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});
