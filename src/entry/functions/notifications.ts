/**
 * The `notifications` Edge Function: GET /notifications and POST /notifications/:id/read (the gateway
 * hands `/functions/v1/notifications/<rest>` to it as `/notifications/<rest>`). Its twin
 * `notification-endpoints` serves the same app for `/notification-endpoints…`; see
 * src/app/build-notifications-api.ts.
 */
import { buildNotificationsApi } from '../../app/build-notifications-api.ts';
import { createServices } from '../../app/create-services.ts';
import type { CreateEdgeFunction } from '../edge-function.ts';
import { createFunctionOrExplain } from '../edge-function.ts';

export const createFunction: CreateEdgeFunction = (env) =>
  createFunctionOrExplain(
    'notifications',
    env,
    (config, logger) => buildNotificationsApi(createServices(config, { logger })),
  );
