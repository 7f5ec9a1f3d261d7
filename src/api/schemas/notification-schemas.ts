/**
 * The notifications contract: the list query, the notification object, and the webhook endpoint
 * bodies and objects. An endpoint's `secret` appears only in the answer to its creation.
 */
import { z } from '@hono/zod-openapi';
import type { Notification, NotificationEndpoint } from '../../store/notification-store.ts';
import { MAX_PAGE_SIZE } from '../../store/notification-store.ts';
import { NOTIFICATION_KINDS } from '../../domain/notification-kinds.ts';
import { uuidSchema } from './common-schemas.ts';

const isoDateTime = z.string().openapi({ format: 'date-time' });

export const listNotificationsQuerySchema = z.strictObject({
  unread: z.enum(['true', 'false'], { error: 'unread must be true or false' }).optional()
    .openapi({ description: 'true: only notifications not yet read' }),
  limit: z.string().regex(/^\d+$/, { error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .refine((v) => Number(v) >= 1 && Number(v) <= MAX_PAGE_SIZE, {
      error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`,
    })
    .optional().openapi({ example: '20' }),
  cursor: uuidSchema('cursor').optional().openapi({ description: 'nextCursor of the previous page' }),
});

export const notificationResponseSchema = z.object({
  id: z.string(),
  kind: z.enum(NOTIFICATION_KINDS),
  postId: z.string().nullable(),
  targetId: z.string().nullable(),
  title: z.string(),
  body: z.string(),
  link: z.string().nullable(),
  read: z.boolean(),
  readAt: isoDateTime.nullable(),
  createdAt: isoDateTime,
}).openapi('Notification');

export const notificationPageSchema = z.object({
  items: z.array(notificationResponseSchema),
  nextCursor: z.string().nullable(),
}).openapi('NotificationPage');

const eventsSchema = z.array(
  z.enum(NOTIFICATION_KINDS, {
    error: (issue) =>
      `unknown event ${JSON.stringify(issue.input)}; use any of ${NOTIFICATION_KINDS.join(', ')}`,
  }),
).min(1, { error: 'list at least one event, e.g. ["post.failed"]' })
  .openapi({ description: 'Events to receive. (Default on create: all)' });

const urlSchema = z.string({ error: 'url must be a string' }).max(2000, {
  error: 'url is longer than 2000 characters',
}).openapi({ example: 'https://hooks.example.com/solospark' });

const descriptionSchema = z.string().max(200, { error: 'description is longer than 200 characters' })
  .nullable();

export const createEndpointBodySchema = z.strictObject({
  url: urlSchema,
  events: eventsSchema.optional(),
  description: descriptionSchema.optional(),
  enabled: z.boolean({ error: 'enabled must be true or false' }).optional(),
}, { error: (issue) => issue.code === 'invalid_type' ? 'the body must be a JSON object' : undefined })
  .openapi('CreateNotificationEndpoint');

export const updateEndpointBodySchema = z.strictObject({
  url: urlSchema.optional(),
  events: eventsSchema.optional(),
  description: descriptionSchema.optional(),
  enabled: z.boolean({ error: 'enabled must be true or false' }).optional(),
}, { error: (issue) => issue.code === 'invalid_type' ? 'the body must be a JSON object' : undefined })
  .refine((v) => Object.keys(v).length > 0, {
    error: 'send at least one of url, events, description or enabled',
  })
  .openapi('UpdateNotificationEndpoint');

export const endpointResponseSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.enum(NOTIFICATION_KINDS)),
  enabled: z.boolean(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
}).openapi('NotificationEndpoint');

export const createdEndpointResponseSchema = endpointResponseSchema.extend({
  secret: z.string().openapi({
    description: 'The Standard Webhooks signing secret (whsec_…). Shown only now: store it.',
  }),
}).openapi('CreatedNotificationEndpoint');

export const endpointListSchema = z.object({ items: z.array(endpointResponseSchema) })
  .openapi('NotificationEndpointList');

export const testDeliveryResponseSchema = z.object({
  delivered: z.boolean(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  messageId: z.string(),
  durationMs: z.number().int(),
}).openapi('TestDelivery');

export function toNotificationResponse(n: Notification): z.infer<typeof notificationResponseSchema> {
  return {
    id: n.id,
    kind: n.kind,
    postId: n.postId,
    targetId: n.targetId,
    title: n.title,
    body: n.body,
    link: n.link,
    read: n.readAt !== null,
    readAt: n.readAt ? n.readAt.toISOString() : null,
    createdAt: n.createdAt.toISOString(),
  };
}

/** Never the secret. */
export function toEndpointResponse(e: NotificationEndpoint): z.infer<typeof endpointResponseSchema> {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: [...e.events],
    enabled: e.enabled,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}
