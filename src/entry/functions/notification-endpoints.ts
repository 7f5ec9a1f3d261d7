/**
 * The `notification-endpoints` Edge Function: the creator's webhook endpoints — GET|POST
 * /notification-endpoints, GET|PATCH|DELETE /notification-endpoints/:id, POST
 * /notification-endpoints/:id/rotate-secret and POST /notification-endpoints/:id/test. A function
 * of its own because the gateway routes by the first path segment
 * (`/functions/v1/notification-endpoints/<rest>` reaches only a function of that name); it
 * serves the same app as `notifications` (src/app/build-notifications-api.ts).
 */
import { buildNotificationsApi } from '../../app/build-notifications-api.ts';
import { createServices } from '../../app/create-services.ts';
import type { CreateEdgeFunction } from '../edge-function.ts';
import { createFunctionOrExplain } from '../edge-function.ts';

export const createFunction: CreateEdgeFunction = (env) =>
  createFunctionOrExplain(
    'notification-endpoints',
    env,
    (config, logger) => buildNotificationsApi(createServices(config, { logger })),
  );
