/**
 * The OAuth connect flow's contract: the platform in the path, the answer that starts a connection,
 * what the platform's redirect brings back (a code, or an error) — as the query of the API's GET
 * callback, and as the JSON body the creator app completes with.
 */
import { z } from '@hono/zod-openapi';
import { PLATFORMS } from '../../domain/platform.ts';

/** X allows states of up to 500 characters; ours are 43. */
const MAX_STATE_LENGTH = 500;
/** Authorization codes are far shorter; this only bounds what is stored in logs and errors. */
const MAX_CODE_LENGTH = 2048;

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

/** The parameters a platform's redirect carries, named as the platform names them (RFC 6749 §4.1.2). */
const returnedParams = {
  code: z.string().min(1).max(MAX_CODE_LENGTH).optional().openapi({
    description: 'The authorization code, when the creator approved',
  }),
  error: z.string().min(1).max(200).optional().openapi({
    description: "The platform's error, e.g. access_denied, when the creator declined",
  }),
  error_description: z.string().max(2000).optional(),
};

export const callbackQuerySchema = z.object({
  state: z.string().max(MAX_STATE_LENGTH).optional(),
  ...returnedParams,
});

/**
 * Body of `POST /accounts/:platform/callback`: the query of the redirect to the app's return page.
 * Other parameters a platform adds (e.g. `iss`) may be sent along and are ignored.
 */
export const callbackBodySchema = z.object({
  state: z.string({ error: 'state is required: the state parameter of the redirect to your return page' })
    .min(1)
    .max(MAX_STATE_LENGTH),
  ...returnedParams,
}).openapi('AccountConnectionCallback', {
  description: "The code (or error) and state the platform sent to the app's return page",
  example: { code: 'the-code-from-the-redirect', state: 'the-state-from-the-redirect' },
});
