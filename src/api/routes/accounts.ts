/**
 * The caller's connected social accounts: list (never tokens) and disconnect. Connecting them is the
 * OAuth flow in oauth.ts.
 */
import { createRoute } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../../domain/error-codes.ts';
import type { AppEnv } from '../app-env.ts';
import type { ApiDeps } from '../api-deps.ts';
import { accountListSchema, toAccountResponse } from '../schemas/account-schemas.ts';
import { idParamsSchema, problemResponses } from '../schemas/common-schemas.ts';

const security = [{ bearerAuth: [] }];

export function registerAccountRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps) {
  const { store, logger } = deps;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/accounts',
      summary: 'Your connected social accounts',
      security,
      responses: {
        200: { description: 'The accounts', content: { 'application/json': { schema: accountListSchema } } },
        ...problemResponses(401),
      },
    }),
    async (c) => {
      const accounts = await store.listAccounts(c.get('userId'));
      return c.json({ items: accounts.map(toAccountResponse) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/accounts/{id}',
      summary: 'Disconnect an account (its tokens are deleted; scheduled posts to it will fail)',
      security,
      request: { params: idParamsSchema },
      responses: { 204: { description: 'Disconnected' }, ...problemResponses(401, 404, 422) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const deleted = await store.deleteAccount(id, c.get('userId'));
      if (!deleted) {
        throw new AppError(
          'account_not_found',
          `no account ${id} belongs to you; GET /accounts lists yours`,
          {
            accountId: id,
          },
        );
      }
      logger.info({ accountId: id }, 'account disconnected');
      return c.body(null, 204);
    },
  );
}
