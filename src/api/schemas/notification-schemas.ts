/**
 * The notifications contract: the list queries, the notification object, and the webhook endpoint
 * bodies and objects. An endpoint's `secret` appears only in the answers to its creation and to a
 * rotation of its secret. Free text (url, description) with a NUL or a lone surrogate is refused
 * naming the field (422), on either store.
 */
import { z } from '@hono/zod-openapi';
import type { Notification, NotificationEndpoint } from '../../store/notification-store.ts';
import { MAX_PAGE_SIZE } from '../../store/notification-store.ts';
import { NOTIFICATION_KINDS } from '../../domain/notification-kinds.ts';
import { storableText, uuidSchema } from './common-schemas.ts';
import { MAX_ENDPOINT_PAGE } from '../../store/endpoint-page.ts';

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

// Checked and normalised by checkEndpointUrl in the route (storable, trimmed, WHATWG-parsed, ≤ 2000
// characters once normalised); this bound only keeps absurd inputs out.
const urlSchema = z.string({ error: 'url must be a string' }).max(4000, {
  error: 'url is far longer than the 2000 characters allowed',
}).openapi({
  example: 'https://hooks.example.com/solospark',
  description:
    'https to a public host; stored normalised (scheme and host lower-cased, surrounding spaces trimmed)',
});

const descriptionSchema = storableText(
  z.string({ error: 'description must be a string or null' }).max(200, {
    error: 'description is longer than 200 characters',
  }),
  'description',
).nullable();

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

export const listEndpointsQuerySchema = z.strictObject({
  limit: z.string().regex(/^\d+$/, { error: `limit must be a whole number from 1 to ${MAX_ENDPOINT_PAGE}` })
    .refine((v) => Number(v) >= 1 && Number(v) <= MAX_ENDPOINT_PAGE, {
      error: `limit must be a whole number from 1 to ${MAX_ENDPOINT_PAGE}`,
    })
    .optional().openapi({ example: '20', description: '(Default: 20)' }),
  cursor: z.string().max(500, { error: 'cursor is not one this API returned' }).optional()
    .openapi({ description: 'nextCursor of the previous page' }),
});

export const endpointResponseSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.enum(NOTIFICATION_KINDS)),
  enabled: z.boolean(),
  previousSecretExpiresAt: isoDateTime.nullable().openapi({
    description: 'After a rotation: until when deliveries are also signed with the previous secret',
  }),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
}).openapi('NotificationEndpoint');

export const createdEndpointResponseSchema = endpointResponseSchema.extend({
  secret: z.string().openapi({
    description: 'The Standard Webhooks signing secret (whsec_…). Shown only now: store it.',
  }),
}).openapi('CreatedNotificationEndpoint');

export const rotatedSecretResponseSchema = endpointResponseSchema.extend({
  secret: z.string().openapi({
    description: 'The new signing secret (whsec_…). Shown only now: store it. The previous one keeps ' +
      'signing until previousSecretExpiresAt, so switch your receiver before then.',
  }),
}).openapi('RotatedNotificationEndpointSecret');

export const endpointListSchema = z.object({
  items: z.array(endpointResponseSchema),
  nextCursor: z.string().nullable(),
}).openapi('NotificationEndpointList');

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
    previousSecretExpiresAt: e.previousSecretExpiresAt ? e.previousSecretExpiresAt.toISOString() : null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}
