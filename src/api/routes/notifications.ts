/**
 * The caller's notifications and webhook endpoints:
 *   GET  /notifications[?unread=true&limit&cursor]   newest first
 *   POST /notifications/{id}/read                     idempotent (keeps the first readAt)
 *   GET|POST /notification-endpoints, GET|PATCH|DELETE /notification-endpoints/{id}
 *   POST /notification-endpoints/{id}/test            sends one signed test event now
 * Endpoint URLs must be https to a public host (NOTIFY_ALLOW_PRIVATE_HOSTS=true relaxes this for
 * development). The signing secret is generated here and shown once, in the creation answer.
 * Registered by create-app.ts when the API is given `notifications` dependencies.
 */
import { createRoute } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../domain/error-codes.ts';
import type { Logger } from '../../observability/logger.ts';
import { endpointUrlProblem } from '../../net/endpoint-url.ts';
import { NOTIFICATION_KINDS } from '../../domain/notification-kinds.ts';
import type { NotificationStore } from '../../store/notification-store.ts';
import { generateWebhookSecret } from '../../net/standard-webhooks.ts';
import type { AppEnv } from '../app-env.ts';
import { requireJsonBody } from '../middleware/require-json-body.ts';
import { idParamsSchema, problemResponses } from '../schemas/common-schemas.ts';
import {
  createdEndpointResponseSchema,
  createEndpointBodySchema,
  endpointListSchema,
  endpointResponseSchema,
  listNotificationsQuerySchema,
  notificationPageSchema,
  notificationResponseSchema,
  testDeliveryResponseSchema,
  toEndpointResponse,
  toNotificationResponse,
  updateEndpointBodySchema,
} from '../schemas/notification-schemas.ts';
import type { TestEventSender } from '../test-event-sender.ts';
import { invalidInput } from '../validation-error.ts';

export interface NotificationApiDeps {
  store: NotificationStore;
  /** NOTIFY_ALLOW_PRIVATE_HOSTS: http and private hosts allowed (development). */
  allowPrivateHosts: boolean;
  /** NOTIFY_DELIVERY_TIMEOUT_MS, for test events. */
  timeoutMs: number;
  /** (Default: global fetch) */
  fetch?: typeof fetch;
  /** (Default: node:dns lookup) */
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** Sends the test event (src/notify/send-test-event.ts, injected by src/app/). */
  sendTestEvent: TestEventSender;
}

export interface NotificationRouteContext {
  auth: MiddlewareHandler<AppEnv>;
  bodyLimit: MiddlewareHandler<AppEnv>;
  logger: Logger;
  now: () => Date;
}

const security = [{ bearerAuth: [] }];
const json = <T>(schema: T) => ({ 'application/json': { schema } });

export function registerNotificationRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: NotificationApiDeps,
  ctx: NotificationRouteContext,
) {
  const { store } = deps;
  const { logger, now } = ctx;
  const withJsonBody = [ctx.bodyLimit, requireJsonBody()] as const;
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

  function checkUrl(url: string): void {
    const problem = endpointUrlProblem(url, deps);
    if (problem) throw invalidInput([{ path: 'url', message: problem }]);
  }

  async function ownedEndpoint(id: string, userId: string) {
    const endpoint = await store.getEndpoint(id, userId);
    if (!endpoint) {
      throw new AppError(
        'endpoint_not_found',
        `no notification endpoint ${id} belongs to you; GET /notification-endpoints lists yours`,
        { endpointId: id },
      );
    }
    return endpoint;
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

  app.openapi(
    createRoute({
      method: 'get',
      path: '/notification-endpoints',
      summary: 'Your webhook endpoints (secrets are never listed)',
      security,
      responses: {
        200: { description: 'The endpoints', content: json(endpointListSchema) },
        ...problemResponses(401),
      },
    }),
    async (c) => {
      const endpoints = await store.listEndpoints(c.get('userId'));
      return c.json({ items: endpoints.map(toEndpointResponse) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/notification-endpoints',
      summary: 'Add a webhook endpoint; the answer carries its signing secret, shown only once',
      security,
      middleware: [...withJsonBody],
      request: { body: { content: json(createEndpointBodySchema), required: true } },
      responses: {
        201: { description: 'Created', content: json(createdEndpointResponseSchema) },
        ...problemResponses(400, 401, 413, 415, 422),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      checkUrl(body.url);
      const endpoint = await store.createEndpoint({
        userId: c.get('userId'),
        url: body.url,
        description: body.description ?? null,
        events: body.events ? [...new Set(body.events)] : [...NOTIFICATION_KINDS],
        enabled: body.enabled ?? true,
        secret: generateWebhookSecret(),
      });
      logger.info({ endpointId: endpoint.id, events: endpoint.events }, 'notification endpoint added');
      c.header('Location', `${c.req.path}/${endpoint.id}`);
      return c.json({ ...toEndpointResponse(endpoint), secret: endpoint.secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/notification-endpoints/{id}',
      summary: 'One of your webhook endpoints',
      security,
      request: { params: idParamsSchema },
      responses: {
        200: { description: 'The endpoint', content: json(endpointResponseSchema) },
        ...problemResponses(401, 404, 422),
      },
    }),
    async (c) => {
      const endpoint = await ownedEndpoint(c.req.valid('param').id, c.get('userId'));
      return c.json(toEndpointResponse(endpoint), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/notification-endpoints/{id}',
      summary: 'Change a webhook endpoint (url, events, description, enabled)',
      security,
      middleware: [...withJsonBody],
      request: { params: idParamsSchema, body: { content: json(updateEndpointBodySchema), required: true } },
      responses: {
        200: { description: 'The changed endpoint', content: json(endpointResponseSchema) },
        ...problemResponses(400, 401, 404, 413, 415, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      if (body.url !== undefined) checkUrl(body.url);
      const endpoint = await store.updateEndpoint(id, c.get('userId'), {
        ...(body.url !== undefined ? { url: body.url } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.events !== undefined ? { events: [...new Set(body.events)] } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      });
      if (!endpoint) await ownedEndpoint(id, c.get('userId')); // throws endpoint_not_found
      logger.info({ endpointId: id }, 'notification endpoint changed');
      return c.json(toEndpointResponse(endpoint!), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/notification-endpoints/{id}',
      summary: 'Remove a webhook endpoint (queued deliveries to it are dropped)',
      security,
      request: { params: idParamsSchema },
      responses: { 204: { description: 'Removed' }, ...problemResponses(401, 404, 422) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      if (!(await store.deleteEndpoint(id, c.get('userId')))) await ownedEndpoint(id, c.get('userId'));
      logger.info({ endpointId: id }, 'notification endpoint removed');
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/notification-endpoints/{id}/test',
      summary: 'Send a signed test event to the endpoint now (one try) and report what it answered',
      security,
      request: { params: idParamsSchema },
      responses: {
        200: { description: 'What the endpoint answered', content: json(testDeliveryResponseSchema) },
        ...problemResponses(401, 404, 422),
      },
    }),
    async (c) => {
      const endpoint = await ownedEndpoint(c.req.valid('param').id, c.get('userId'));
      const outcome = await deps.sendTestEvent(endpoint, {
        store,
        timeoutMs: deps.timeoutMs,
        allowPrivateHosts: deps.allowPrivateHosts,
        now,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(deps.resolveHost ? { resolveHost: deps.resolveHost } : {}),
      });
      logger.info(
        { endpointId: endpoint.id, delivered: outcome.delivered, statusCode: outcome.statusCode },
        'test event sent',
      );
      return c.json({
        delivered: outcome.delivered,
        statusCode: outcome.statusCode,
        error: outcome.error,
        messageId: outcome.messageId,
        durationMs: Math.round(outcome.durationMs),
      }, 200);
    },
  );
}
