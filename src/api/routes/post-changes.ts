/**
 * The posts routes that change a post: PATCH /posts/{id} (If-Match optional), DELETE /posts/{id}
 * (cancel, idempotent) and POST /posts/{id}/retry. Same order as posts.ts: validate everything, then
 * write once, then touch the queue — whose failure never fails the request.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { coerceError } from '../../domain/error-codes.ts';
import type { Post } from '../../domain/post.ts';
import type { PostChanges } from '../../store/post-store.ts';
import type { AppEnv } from '../app-env.ts';
import type { ApiDeps } from '../api-deps.ts';
import { requireJsonBody } from '../middleware/require-json-body.ts';
import { planChangedTargets } from './plan-changed-targets.ts';
import { idParamsSchema, problemResponses } from '../schemas/common-schemas.ts';
import {
  postEtagHeader,
  postResponseSchema,
  toPostResponse,
  updatePostBodySchema,
} from '../schemas/post-schemas.ts';
import { enqueuePost } from './enqueue-post.ts';
import {
  checkIfMatch,
  checkScheduledAt,
  notEditable,
  ownedPost,
  parseIfMatch,
  versionError,
} from './post-checks.ts';

const security = [{ bearerAuth: [] }];
const json = <T>(schema: T) => ({ 'application/json': { schema } });

export function registerPostChangeRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: ApiDeps,
  bodyLimit: MiddlewareHandler<AppEnv>,
) {
  const { store, postScheduler, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const withJsonBody = [bodyLimit, requireJsonBody()] as const;

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/posts/{id}',
      summary: 'Change a scheduled post (text, media, targets or time)',
      security,
      middleware: [...withJsonBody],
      request: {
        params: idParamsSchema,
        headers: z.object({
          'if-match': z.string().optional().openapi({ description: 'The version you read, e.g. "3"' }),
        }),
        body: { content: json(updatePostBodySchema), required: true },
      },
      responses: {
        200: {
          description: 'The changed post (version bumped)',
          headers: postEtagHeader,
          content: json(postResponseSchema),
        },
        ...problemResponses(400, 401, 404, 409, 412, 413, 415, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const userId = c.get('userId');
      const post = await ownedPost(store, id, userId);
      const expected = parseIfMatch(c.req.header('if-match'));
      checkIfMatch(expected, post);
      if (post.status !== 'scheduled') throw notEditable(post);
      const changes: PostChanges = {};
      if (body.scheduledAt !== undefined) changes.scheduledAt = checkScheduledAt(body.scheduledAt, now());
      if (body.text !== undefined) changes.text = body.text;
      if (body.media !== undefined) changes.media = body.media;
      if (body.firstComment !== undefined) changes.firstComment = body.firstComment;
      const plans = await planChangedTargets(deps, userId, post, body, changes);
      if (plans) {
        changes.accountIds = plans.map((p) => p.accountId);
        changes.targetContents = plans.map((p) => p.content);
      }
      let updated: Post;
      try {
        updated = await store.updatePost(id, userId, changes, post.version);
      } catch (err) {
        throw versionError(err, expected !== null);
      }
      const queued = await enqueuePost(deps, 'reschedule', updated, c);
      logger.info({ postId: id, version: updated.version, queued }, 'post changed');
      c.header('ETag', `"${updated.version}"`);
      return c.json(toPostResponse(updated, queued), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/posts/{id}',
      summary: 'Cancel a scheduled post (idempotent)',
      security,
      request: {
        params: idParamsSchema,
        headers: z.object({ 'if-match': z.string().optional() }),
      },
      responses: {
        204: { description: 'Cancelled (also when it already was)' },
        ...problemResponses(401, 404, 409, 412, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const userId = c.get('userId');
      const post = await ownedPost(store, id, userId);
      const expected = parseIfMatch(c.req.header('if-match'));
      checkIfMatch(expected, post);
      if (post.status !== 'scheduled' && post.status !== 'cancelled') throw notEditable(post);
      const cancelled = await store.cancelPost(id, userId);
      try {
        await postScheduler.cancel(cancelled);
      } catch (err) {
        // The row says cancelled: the worker drops the job when it comes due.
        logger.warn(
          { err: coerceError(err), postId: id, requestId: c.get('requestId') },
          'job removal failed',
        );
      }
      if (post.status === 'scheduled') logger.info({ postId: id }, 'post cancelled');
      c.header('ETag', `"${cancelled.version}"`);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/posts/{id}/retry',
      summary: 'Re-queue the failed targets of a post (never the published ones)',
      security,
      request: { params: idParamsSchema },
      responses: {
        200: {
          description: 'The post, publishing again',
          headers: postEtagHeader,
          content: json(postResponseSchema),
        },
        ...problemResponses(401, 404, 409, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const post = await store.retryFailedTargets(id, c.get('userId'));
      const queued = await enqueuePost(deps, 'schedule', post, c);
      logger.info({ postId: id, version: post.version, queued }, 'post retry queued');
      c.header('ETag', `"${post.version}"`);
      return c.json(toPostResponse(post, queued), 200);
    },
  );
}
