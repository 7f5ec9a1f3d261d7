/**
 * The caller's notifications and webhook endpoints:
 *   GET  /notifications[?unread=true&limit&cursor]   newest first
 *   POST /notifications/{id}/read                     idempotent (keeps the first readAt)
 *   /notification-endpoints…                          notification-endpoints.ts
 * Registered by create-app.ts when the API is given `notifications` dependencies.
 */
import { createRoute } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../../domain/error-codes.ts';
import type { AppEnv } from '../app-env.ts';
import { idParamsSchema, problemResponses } from '../schemas/common-schemas.ts';
import {
  listNotificationsQuerySchema,
  notificationPageSchema,
  notificationResponseSchema,
  toNotificationResponse,
} from '../schemas/notification-schemas.ts';
import type { NotificationApiDeps, NotificationRouteContext } from './notification-deps.ts';
import { registerNotificationEndpointRoutes } from './notification-endpoints.ts';

export type {
  NotificationApiDeps,
  NotificationLimits,
  NotificationRouteContext,
} from './notification-deps.ts';

const security = [{ bearerAuth: [] }];
const json = <T>(schema: T) => ({ 'application/json': { schema } });

export function registerNotificationRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: NotificationApiDeps,
  ctx: NotificationRouteContext,
) {
  const { store } = deps;
  const { now } = ctx;
  for (
    const path of [
      '/notifications',
      '/notifications/*',
      '/notification-endpoints',
      '/notification-endpoints/*',
    ]
  ) {
    app.use(path, ctx.auth);
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/notifications',
      summary: 'Your notifications, newest first',
      security,
      request: { query: listNotificationsQuerySchema },
      responses: {
        200: { description: 'A page of notifications', content: json(notificationPageSchema) },
        ...problemResponses(401, 422),
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const page = await store.listNotifications(c.get('userId'), {
        unreadOnly: query.unread === 'true',
        ...(query.limit ? { limit: Number(query.limit) } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      return c.json({ items: page.items.map(toNotificationResponse), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/notifications/{id}/read',
      summary: 'Mark a notification read',
      security,
      request: { params: idParamsSchema },
      responses: {
        200: { description: 'The notification, read', content: json(notificationResponseSchema) },
        ...problemResponses(401, 404, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const notification = await store.markNotificationRead(id, c.get('userId'), now());
      if (!notification) {
        throw new AppError(
          'notification_not_found',
          `no notification ${id} belongs to you; GET /notifications lists yours`,
          { notificationId: id },
        );
      }
      return c.json(toNotificationResponse(notification), 200);
    },
  );

  registerNotificationEndpointRoutes(app, deps, ctx);
}
