/**
 * The caller's webhook endpoints (auth is installed by notifications.ts):
 *   GET  /notification-endpoints[?limit&cursor]       oldest first, paged like GET /posts
 *   POST /notification-endpoints                      at most NOTIFY_MAX_ENDPOINTS_PER_USER (409 after)
 *   GET|PATCH|DELETE /notification-endpoints/{id}
 *   POST /notification-endpoints/{id}/rotate-secret   a new secret; the old one signs for a while more
 *   POST /notification-endpoints/{id}/test            one signed test event now (rate-limited: 429)
 * Endpoint URLs must be https to a public host (NOTIFY_ALLOW_PRIVATE_HOSTS=true relaxes this for
 * development) and are stored normalised (src/net/endpoint-url.ts). A signing secret is generated
 * here and shown once, in the answer to the creation or the rotation that made it.
 */
import { createRoute } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../../domain/error-codes.ts';
import { checkEndpointUrl } from '../../net/endpoint-url.ts';
import { generateWebhookSecret } from '../../net/standard-webhooks.ts';
import type { AppEnv } from '../app-env.ts';
import { requireJsonBody } from '../middleware/require-json-body.ts';
import { idParamsSchema, problemResponses } from '../schemas/common-schemas.ts';
import {
  createdEndpointResponseSchema,
  createEndpointBodySchema,
  endpointListSchema,
  endpointResponseSchema,
  listEndpointsQuerySchema,
  rotatedSecretResponseSchema,
  testDeliveryResponseSchema,
  toEndpointResponse,
  updateEndpointBodySchema,
} from '../schemas/notification-schemas.ts';
import { invalidInput } from '../validation-error.ts';
import type { NotificationApiDeps, NotificationRouteContext } from './notification-deps.ts';

const security = [{ bearerAuth: [] }];
const json = <T>(schema: T) => ({ 'application/json': { schema } });

export function registerNotificationEndpointRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: NotificationApiDeps,
  ctx: NotificationRouteContext,
) {
  const { store } = deps;
  const { logger, now } = ctx;
  const withJsonBody = [ctx.bodyLimit, requireJsonBody()] as const;

  /** The URL as it is stored, or 422 naming `url`. */
  function storedUrl(url: string): string {
    const checked = checkEndpointUrl(url, deps);
    if (!checked.ok) throw invalidInput([{ path: 'url', message: checked.problem }]);
    return checked.url;
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
      path: '/notification-endpoints',
      summary: 'Your webhook endpoints, oldest first, a page at a time (secrets are never listed)',
      security,
      request: { query: listEndpointsQuerySchema },
      responses: {
        200: { description: 'A page of endpoints', content: json(endpointListSchema) },
        ...problemResponses(401, 422),
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const page = await store.listEndpoints(c.get('userId'), {
        ...(query.limit ? { limit: Number(query.limit) } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      return c.json({ items: page.items.map(toEndpointResponse), nextCursor: page.nextCursor }, 200);
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
        409: described(
          409,
          'You have NOTIFY_MAX_ENDPOINTS_PER_USER endpoints already (endpoint_limit_reached)',
        ),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const secret = generateWebhookSecret();
      const endpoint = await store.createEndpoint({
        userId: c.get('userId'),
        url: storedUrl(body.url),
        secret,
        // Omitted fields take the store's defaults (events: all kinds; enabled: true; description: null).
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.events !== undefined ? { events: body.events } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      }, { maxPerUser: deps.limits.maxEndpointsPerUser });
      logger.info({ endpointId: endpoint.id, events: endpoint.events }, 'notification endpoint added');
      c.header('Location', `${c.req.path}/${endpoint.id}`);
      return c.json({ ...toEndpointResponse(endpoint), secret }, 201);
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
      const endpoint = await store.updateEndpoint(id, c.get('userId'), {
        ...(body.url !== undefined ? { url: storedUrl(body.url) } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.events !== undefined ? { events: body.events } : {}),
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
      path: '/notification-endpoints/{id}/rotate-secret',
      summary: 'Replace the signing secret; the old one keeps signing for NOTIFY_SECRET_ROTATION_WINDOW_MS',
      description:
        'Until previousSecretExpiresAt every delivery carries two signatures in webhook-signature ' +
        '(new secret, then old), so a receiver holding either verifies it. Rotating again within the window ' +
        'drops the oldest secret at once.',
      security,
      request: { params: idParamsSchema },
      responses: {
        200: { description: 'The endpoint and its new secret', content: json(rotatedSecretResponseSchema) },
        ...problemResponses(401, 404, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const at = now();
      const secret = generateWebhookSecret();
      const windowMs = deps.limits.secretRotationWindowMs;
      const endpoint = await store.rotateEndpointSecret(id, c.get('userId'), {
        secret,
        previousExpiresAt: windowMs > 0 ? new Date(at.getTime() + windowMs) : null,
      }, at);
      if (!endpoint) await ownedEndpoint(id, c.get('userId')); // throws endpoint_not_found
      logger.info(
        { endpointId: id, previousSecretExpiresAt: endpoint!.previousSecretExpiresAt },
        'notification endpoint secret rotated',
      );
      return c.json({ ...toEndpointResponse(endpoint!), secret }, 200);
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
        429: described(
          429,
          'NOTIFY_TEST_SEND_LIMIT test events were sent within the window; see Retry-After',
        ),
      },
    }),
    async (c) => {
      const userId = c.get('userId');
      const endpoint = await ownedEndpoint(c.req.valid('param').id, userId);
      const at = now();
      const slot = await store.takeTestSendSlot(userId, endpoint.id, at, deps.limits.testSends);
      if (!slot.allowed) {
        const retryAfterS = Math.max(1, Math.ceil((slot.retryAt.getTime() - at.getTime()) / 1000));
        const { max, windowMs } = deps.limits.testSends;
        logger.info({ endpointId: endpoint.id, retryAfterS }, 'test event refused: rate limit');
        throw new AppError(
          'test_send_rate_limited',
          `you sent ${max} test events within ${formatWindow(windowMs)}, the most allowed; ` +
            `send the next one after ${slot.retryAt.toISOString()} (in ${retryAfterS} s)`,
          { endpointId: endpoint.id, retryAfterS, retryAt: slot.retryAt.toISOString() },
        );
      }
      const outcome = await deps.sendTestEvent(endpoint, {
        store,
        timeoutMs: deps.timeoutMs,
        allowPrivateHosts: deps.allowPrivateHosts,
        now,
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

/** A problem response entry whose description says what this route means by the status. */
function described(status: number, description: string) {
  return { ...problemResponses(status)[status]!, description };
}

function formatWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}
