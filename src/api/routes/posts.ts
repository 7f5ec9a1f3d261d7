/**
 * The posts routes: schedule, list, read, change, cancel and retry. Every post response carries
 * `ETag: "<version>"`. Order in each handler: validate everything, then write once, then touch the
 * queue — whose failure never fails the request (the row is the source of truth; `queued: false`).
 */
import { isScheduledInPast } from '../../domain/schedule-rules.ts';
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { AppError, coerceError, hasErrorCode } from '../../domain/error-codes.ts';
import type { Post } from '../../domain/post.ts';
import type { AppEnv } from '../app-env.ts';
import type { ApiDeps } from '../api-deps.ts';
import { idempotency } from '../middleware/idempotency.ts';
import { requireJsonBody } from '../middleware/require-json-body.ts';
import { checkContent, resolveTargets } from '../resolve-targets.ts';
import { idParamsSchema, problemResponses } from '../schemas/common-schemas.ts';
import {
  createPostBodySchema,
  listPostsQuerySchema,
  postPageSchema,
  postResponseSchema,
  toPostResponse,
  updatePostBodySchema,
} from '../schemas/post-schemas.ts';
import { toInstant } from '../schemas/timestamp-schema.ts';
import type { PostChanges } from '../../store/post-store.ts';

const security = [{ bearerAuth: [] }];
const json = <T>(schema: T) => ({ 'application/json': { schema } });
const etagHeader = {
  ETag: { description: 'The post version, e.g. "3"', schema: { type: 'string' as const } },
};

export function registerPostRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: ApiDeps,
  bodyLimit: MiddlewareHandler<AppEnv>,
) {
  const { store, postScheduler, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const withJsonBody = [bodyLimit, requireJsonBody()] as const;

  async function enqueue(
    action: 'schedule' | 'reschedule',
    post: Post,
    c: Context<AppEnv>,
  ): Promise<boolean> {
    try {
      await postScheduler[action](post);
      return true;
    } catch (err) {
      logger.warn(
        { err: coerceError(err), postId: post.id, version: post.version, requestId: c.get('requestId') },
        'enqueue failed; the reconciler will enqueue the post',
      );
      return false;
    }
  }

  function checkScheduledAt(value: string, at: Date): Date {
    const scheduledAt = toInstant(value, at);
    if (isScheduledInPast(scheduledAt, at)) {
      throw new AppError(
        'schedule_in_past',
        `scheduledAt ${value} is in the past; choose a time after now (${at.toISOString()}), or "now" to publish at once`,
        { path: 'scheduledAt' },
      );
    }
    return scheduledAt;
  }

  async function ownedPost(id: string, userId: string): Promise<Post> {
    const post = await store.getPost(id, userId);
    if (!post) {
      throw new AppError('post_not_found', `no post ${id} belongs to you; GET /posts lists yours`, {
        postId: id,
      });
    }
    return post;
  }

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
        201: { description: 'Scheduled', headers: etagHeader, content: json(postResponseSchema) },
        ...problemResponses(400, 401, 409, 413, 415, 422),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const userId = c.get('userId');
      const at = now();
      const scheduledAt = checkScheduledAt(body.scheduledAt, at);
      const accounts = await resolveTargets(store, userId, body);
      const media = body.media ?? [];
      checkContent(deps.validateContent, accounts.map((a) => a.platform), { text: body.text, media });
      const post = await store.createPost({
        userId,
        text: body.text,
        media,
        scheduledAt,
        accountIds: accounts.map((a) => a.id),
      });
      const queued = await enqueue('schedule', post, c);
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
        200: { description: 'The post', headers: etagHeader, content: json(postResponseSchema) },
        ...problemResponses(401, 404, 422),
      },
    }),
    async (c) => {
      const post = await ownedPost(c.req.valid('param').id, c.get('userId'));
      c.header('ETag', `"${post.version}"`);
      return c.json(toPostResponse(post, null), 200);
    },
  );

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
          headers: etagHeader,
          content: json(postResponseSchema),
        },
        ...problemResponses(400, 401, 404, 409, 412, 413, 415, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const userId = c.get('userId');
      const post = await ownedPost(id, userId);
      const expected = parseIfMatch(c.req.header('if-match'));
      checkIfMatch(expected, post);
      if (post.status !== 'scheduled') throw notEditable(post);
      const changes: PostChanges = {};
      if (body.scheduledAt !== undefined) changes.scheduledAt = checkScheduledAt(body.scheduledAt, now());
      if (body.text !== undefined) changes.text = body.text;
      if (body.media !== undefined) changes.media = body.media;
      let platforms = post.targets.map((t) => t.platform);
      if (body.targets !== undefined || body.platforms !== undefined) {
        const accounts = await resolveTargets(store, userId, body);
        changes.accountIds = accounts.map((a) => a.id);
        platforms = accounts.map((a) => a.platform);
      }
      checkContent(deps.validateContent, platforms, {
        text: changes.text ?? post.text,
        media: changes.media ?? post.media,
      });
      let updated: Post;
      try {
        updated = await store.updatePost(id, userId, changes, post.version);
      } catch (err) {
        throw versionError(err, expected !== null);
      }
      const queued = await enqueue('reschedule', updated, c);
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
      const post = await ownedPost(id, userId);
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
          headers: etagHeader,
          content: json(postResponseSchema),
        },
        ...problemResponses(401, 404, 409, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const post = await store.retryFailedTargets(id, c.get('userId'));
      const queued = await enqueue('schedule', post, c);
      logger.info({ postId: id, version: post.version, queued }, 'post retry queued');
      c.header('ETag', `"${post.version}"`);
      return c.json(toPostResponse(post, queued), 200);
    },
  );
}

/** The version an If-Match header names: null without the header, 'any' for `*`. */
function parseIfMatch(header: string | undefined): number | 'any' | null {
  if (header === undefined) return null;
  const value = header.trim();
  if (value === '*') return 'any';
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(value);
  if (!match) {
    throw new AppError(
      'precondition_failed',
      `If-Match ${JSON.stringify(header)} names no version of this post; send the ETag you read, e.g. "3"`,
      { path: 'If-Match' },
    );
  }
  return Number(match[1]);
}

function checkIfMatch(expected: number | 'any' | null, post: Post): void {
  if (typeof expected === 'number' && expected !== post.version) {
    throw new AppError(
      'precondition_failed',
      `the post is at version ${post.version}, not ${expected}: it changed since you read it; GET it and apply your change again`,
      { postId: post.id, version: post.version, path: 'If-Match' },
    );
  }
}

function notEditable(post: Post): AppError {
  return new AppError(
    'post_not_editable',
    `post ${post.id} is ${post.status}: publishing has begun or finished, so it can no longer change or be cancelled`,
    { postId: post.id, status: post.status },
  );
}

/** A lost race with another edit: 412 when the caller named a version, else 409. */
function versionError(err: unknown, ifMatchSent: boolean): unknown {
  if (!hasErrorCode(err, 'version_conflict')) return err;
  const message = err instanceof Error ? err.message : 'the post changed while this request ran';
  return ifMatchSent
    ? new AppError('precondition_failed', message, { path: 'If-Match' }, { cause: err })
    : new AppError('version_conflict', `${message}; retry the request`, {}, { cause: err });
}
