/**
 * The posts routes that schedule and read: POST /posts, GET /posts and GET /posts/{id};
 * post-changes.ts holds the ones that change, cancel and retry. Every post response carries
 * `ETag: "<version>"`. Order in each handler: validate everything, then write once, then touch the
 * queue — whose failure never fails the request (the row is the source of truth; `queued: false`).
 * POST /posts with `targets` checks its accounts in the write itself (store-new-post.ts).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env.ts';
import type { ApiDeps } from '../api-deps.ts';
import { idempotency } from '../middleware/idempotency.ts';
import { requireJsonBody } from '../middleware/require-json-body.ts';
import { idParamsSchema, problemResponses } from '../schemas/common-schemas.ts';
import {
  createPostBodySchema,
  listPostsQuerySchema,
  postEtagHeader,
  postPageSchema,
  postResponseSchema,
  toPostResponse,
} from '../schemas/post-schemas.ts';
import { toInstant } from '../schemas/timestamp-schema.ts';
import { enqueuePost } from './enqueue-post.ts';
import { checkScheduledAt, ownedPost } from './post-checks.ts';
import { storeNewPost } from './store-new-post.ts';

const security = [{ bearerAuth: [] }];
const json = <T>(schema: T) => ({ 'application/json': { schema } });

export function registerPostRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: ApiDeps,
  bodyLimit: MiddlewareHandler<AppEnv>,
) {
  const { store, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const withJsonBody = [bodyLimit, requireJsonBody()] as const;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/posts',
      summary: 'Schedule a post',
      security,
      middleware: [...withJsonBody, idempotency(store, now, logger)],
      request: {
        headers: z.object({
          'idempotency-key': z.string().optional().openapi({
            description: 'Retries with the same key replay the first response',
          }),
        }),
        body: { content: json(createPostBodySchema), required: true },
      },
      responses: {
        201: { description: 'Scheduled', headers: postEtagHeader, content: json(postResponseSchema) },
        ...problemResponses(400, 401, 409, 413, 415, 422),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const userId = c.get('userId');
      const at = now();
      const scheduledAt = checkScheduledAt(body.scheduledAt, at);
      const media = body.media ?? [];
      const post = await storeNewPost(deps, { userId, text: body.text, media, scheduledAt, body });
      const queued = await enqueuePost(deps, 'schedule', post, c);
      logger.info({ postId: post.id, queued, targets: post.targets.length }, 'post scheduled');
      c.header('ETag', `"${post.version}"`);
      c.header('Location', `${c.req.path}/${post.id}`);
      return c.json(toPostResponse(post, queued), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/posts',
      summary: 'List your posts, newest scheduledAt first',
      security,
      request: { query: listPostsQuerySchema },
      responses: {
        200: { description: 'A page of posts', content: json(postPageSchema) },
        ...problemResponses(401, 422),
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const page = await store.listPosts(c.get('userId'), {
        ...(query.status ? { status: query.status } : {}),
        ...(query.from ? { from: toInstant(query.from, now()) } : {}),
        ...(query.to ? { to: toInstant(query.to, now()) } : {}),
        ...(query.limit ? { limit: Number(query.limit) } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      return c.json(
        { items: page.items.map((p) => toPostResponse(p, null)), nextCursor: page.nextCursor },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/posts/{id}',
      summary: "A post with each target's status",
      security,
      request: { params: idParamsSchema },
      responses: {
        200: { description: 'The post', headers: postEtagHeader, content: json(postResponseSchema) },
        ...problemResponses(401, 404, 422),
      },
    }),
    async (c) => {
      const post = await ownedPost(store, c.req.valid('param').id, c.get('userId'));
      c.header('ETag', `"${post.version}"`);
      return c.json(toPostResponse(post, null), 200);
    },
  );
}
