/**
 * The `accounts` route group alone: list and disconnect accounts, and the OAuth connect flow
 * (POST /accounts/:platform/connect, POST …/callback; GET …/callback only sends a stray platform
 * redirect on to the app), for the `accounts` Edge
 * Function. It takes the store and the platform adapters, not Redis.
 */
import { createApp } from '../api/create-app.ts';
import type { Services } from './create-services.ts';
import { createNoPostScheduler, createUserAuth } from './user-auth.ts';

export interface BuiltAccountsApi {
  fetch(request: Request): Response | Promise<Response>;
}

/** Throws ConfigError when no way to verify user tokens is configured. */
export async function buildAccountsApi(services: Services): Promise<BuiltAccountsApi> {
  const { config, logger } = services;
  const auth = createUserAuth(config, 'the accounts function');
  const publishers = await services.publishers();
  const app = createApp(
    {
      store: await services.postStore(),
      postScheduler: createNoPostScheduler('the accounts function'),
      auth,
      logger: logger.child({ component: 'api' }),
      validateContent: () => [],
      oauth: { publishers, appReturnUrl: config.platforms.oauth.appReturnUrl },
    },
    {
      routes: ['accounts'],
      corsOrigins: config.api.corsOrigins,
      bodyLimitBytes: config.api.bodyLimitBytes,
    },
  );
  return { fetch: (request) => app.fetch(request) };
}
