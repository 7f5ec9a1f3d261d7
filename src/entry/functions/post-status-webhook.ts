/**
 * The `post-status-webhook` Edge Function (verify_jwt = false): receives the database webhook the
 * status trigger sends through pg_net, checks the shared secret (WEBHOOK_SECRET), stores the
 * creator's notification and queues deliveries to their endpoints (src/notify). The gateway hands
 * `/functions/v1/post-status-webhook` to the function as `/post-status-webhook`.
 *
 * Environment: SUPABASE_DB_URL is injected; WEBHOOK_SECRET, REDIS_URL and TOKEN_ENCRYPTION_KEY (the
 * shared configuration requires it with a database) are secrets.
 */
import { buildNotifyFunction } from '../../app/build-notify-function.ts';
import { createServices } from '../../app/create-services.ts';
import type { CreateEdgeFunction } from '../edge-function.ts';
import { createFunctionOrExplain } from '../edge-function.ts';

export const createFunction: CreateEdgeFunction = (env) =>
  createFunctionOrExplain('post-status-webhook', env, async (config, logger) => {
    const built = await buildNotifyFunction(createServices(config, { logger, name: 'solospark-notify' }));
    return { fetch: (request) => built.fetch(request) };
  });
