/**
 * The `post-status-webhook` Edge Function (verify_jwt = false): receives the database webhook the
 * status trigger sends through pg_net, checks the shared secret (WEBHOOK_SECRET), stores the
 * creator's notification and queues deliveries to their endpoints (src/notify). The gateway hands
 * `/functions/v1/post-status-webhook` to the function as `/post-status-webhook`.
 *
 * Environment: SUPABASE_DB_URL is injected; WEBHOOK_SECRET, REDIS_URL and TOKEN_ENCRYPTION_KEY (the
 * shared configuration requires it with a database) are secrets.
 */
import { buildNotifyFunction } from '../../notify/build-notify-function.ts';
import type { CreateEdgeFunction } from '../edge-function.ts';
import { createFunctionOrExplain } from '../edge-function.ts';

export const createFunction: CreateEdgeFunction = (env) =>
  createFunctionOrExplain('post-status-webhook', env, (config, logger) => {
    const built = buildNotifyFunction(config, logger);
    return Promise.resolve({ fetch: (request) => built.fetch(request) });
  });
