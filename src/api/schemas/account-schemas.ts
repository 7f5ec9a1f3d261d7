/**
 * The accounts contract. Tokens never appear here: the response carries ids, names and status only.
 */
import { z } from '@hono/zod-openapi';
import { PLATFORMS } from '../../domain/platform.ts';
import { ACCOUNT_STATUSES } from '../../domain/post.ts';
import type { SocialAccount } from '../../domain/post.ts';

export const accountResponseSchema = z.object({
  id: z.string(),
  platform: z.enum(PLATFORMS),
  externalId: z.string(),
  displayName: z.string().nullable(),
  status: z.enum(ACCOUNT_STATUSES),
  scopes: z.array(z.string()),
  tokenExpiresAt: z.string().openapi({ format: 'date-time' }).nullable(),
  createdAt: z.string().openapi({ format: 'date-time' }),
}).openapi('Account');

export const accountListSchema = z.object({ items: z.array(accountResponseSchema) }).openapi('AccountList');

export type AccountResponse = z.infer<typeof accountResponseSchema>;

export function toAccountResponse(account: SocialAccount): AccountResponse {
  return {
    id: account.id,
    platform: account.platform,
    externalId: account.externalId,
    displayName: account.displayName,
    status: account.status,
    scopes: [...account.scopes],
    tokenExpiresAt: account.tokenExpiresAt ? account.tokenExpiresAt.toISOString() : null,
    createdAt: account.createdAt.toISOString(),
  };
}
