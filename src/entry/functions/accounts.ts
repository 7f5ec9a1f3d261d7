/**
 * The `accounts` Edge Function: list and disconnect accounts, and the OAuth connect flow
 * (POST /accounts/:platform/connect, GET /accounts/:platform/callback). It needs the database and
 * the platform adapters, not Redis: the app serves only the `accounts` route group.
 */
import { createSupabaseJwtVerifier } from '../../api/auth/verify-supabase-jwt.ts';
import { createApp } from '../../api/create-app.ts';
import type { PostQueue } from '../../api/post-queue.ts';
import { ConfigError } from '../../config/load-config.ts';
import { createPublishers } from '../../platforms/registry.ts';
import { createPostStore } from '../../store/create-store.ts';
import type { CreateEdgeFunction } from '../edge-function.ts';
import { createFunctionOrExplain } from '../edge-function.ts';

/** Never called: the post routes, the only users of the queue, are not served here. */
const NO_QUEUE: PostQueue = {
  schedule: () => Promise.reject(new Error('the accounts function has no queue')),
  reschedule: () => Promise.reject(new Error('the accounts function has no queue')),
  cancel: () => Promise.reject(new Error('the accounts function has no queue')),
  ping: () => Promise.resolve(),
};

export const createFunction: CreateEdgeFunction = (env) =>
  createFunctionOrExplain('accounts', env, async (config, logger) => {
    const { supabase } = config;
    if (!supabase.jwks && !supabase.jwksUrl && !supabase.jwtSecret) {
      throw new ConfigError([
        'the accounts function needs a way to verify user tokens: SUPABASE_URL, SUPABASE_JWKS or SUPABASE_JWT_SECRET',
      ]);
    }
    const auth = createSupabaseJwtVerifier({
      jwks: supabase.jwks as never,
      jwksUrl: supabase.jwksUrl,
      hs256Secret: supabase.jwtSecret,
    });
    const store = await createPostStore(config, logger);
    const publishers = createPublishers(config);
    const app = createApp(
      {
        store,
        queue: NO_QUEUE,
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
