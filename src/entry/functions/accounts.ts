/**
 * The `accounts` Edge Function: list and disconnect accounts, and the OAuth connect flow
 * (POST /accounts/:platform/connect, GET /accounts/:platform/callback). It needs the database and
 * the platform adapters, not Redis: the app serves only the `accounts` route group.
 */
import { createApp } from '../../api/create-app.ts';
import { createPublishers } from '../../platforms/registry.ts';
import { createPostStore } from '../../store/create-store.ts';
import type { CreateEdgeFunction } from '../edge-function.ts';
import { createFunctionOrExplain } from '../edge-function.ts';
import { createNoQueue, createUserAuth } from '../user-auth.ts';

export const createFunction: CreateEdgeFunction = (env) =>
  createFunctionOrExplain('accounts', env, async (config, logger) => {
    const auth = createUserAuth(config, 'the accounts function');
    const store = await createPostStore(config, logger);
    const publishers = createPublishers(config);
    const app = createApp(
      {
        store,
        queue: createNoQueue('the accounts function'),
        auth,
        logger: logger.child({ component: 'api' }),
        validateContent: () => [],
        oauth: { publishers, redirectBaseUrl: config.platforms.oauth.redirectBaseUrl },
      },
      {
        routes: ['accounts'],
        corsOrigins: config.api.corsOrigins,
        bodyLimitBytes: config.api.bodyLimitBytes,
      },
    );
    return { fetch: (request) => app.fetch(request) };
  });
