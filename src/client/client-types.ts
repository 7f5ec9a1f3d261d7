/**
 * The request and response types of the posts and accounts API, inferred from the zod schemas the API
 * validates with (src/api/schemas/), so the app and the server cannot drift apart. Type-only imports:
 * the client bundle carries no zod.
 */
import type { z } from '@hono/zod-openapi';
import type { accountResponseSchema } from '../api/schemas/account-schemas.ts';
import type { problemSchema } from '../api/schemas/common-schemas.ts';
import type { callbackBodySchema, connectResponseSchema } from '../api/schemas/oauth-schemas.ts';
import type {
  createPostBodySchema,
  listPostsQuerySchema,
  postPageSchema,
  postResponseSchema,
  updatePostBodySchema,
} from '../api/schemas/post-schemas.ts';
import type { validationResultSchema } from '../api/routes/validate-post.ts';

/**
 * Body of `POST /posts` (and of `POST /posts/validate`): text, scheduledAt (ISO 8601 with an offset, or
 * "now"), targets or platforms (with platformText), media, firstComment.
 */
export type SchedulePostInput = z.input<typeof createPostBodySchema>;
/**
 * Body of `PATCH /posts/:id`: any of text, scheduledAt, media, targets or platforms, platformText, and
 * firstComment (null removes it).
 */
export type UpdatePostInput = z.input<typeof updatePostBodySchema>;
/** Filters of `GET /posts`; `limit` is a number here (the query string carries it as text). */
export type ListPostsQuery = Omit<z.input<typeof listPostsQuerySchema>, 'limit'> & { limit?: number };

export type Post = z.infer<typeof postResponseSchema>;
export type PostTarget = Post['targets'][number];
/**
 * A target of a request: the account, and optionally its own text, or (X only) its thread of 2 to 25
 * parts or `threadSplit: true`, and its own first comment.
 */
export type PostTargetInput = NonNullable<SchedulePostInput['targets']>[number];
/** One part of an X thread as a target shows it; `externalId` and `url` are null until it is live. */
export type ThreadPart = NonNullable<PostTarget['thread']>[number];
/** A target's first comment and how its publishing went. */
export type TargetComment = NonNullable<PostTarget['comment']>;
/**
 * Answer of `POST /posts/validate`: whether POST /posts would accept the body now, the `code` its 422
 * would carry, every problem, and each target's effective text measured as its platform counts it.
 */
export type PostValidation = z.infer<typeof validationResultSchema>;
export type TargetValidation = PostValidation['targets'][number];
export type PostPage = z.infer<typeof postPageSchema>;
export type Account = z.infer<typeof accountResponseSchema>;
/** A platform an account can be connected on (`twitter` is accepted as an alias of `x`). */
export type ConnectablePlatform = Account['platform'] | 'twitter';
/** Answer of `POST /accounts/:platform/connect`: where to send the browser, and until when. */
export type AccountConnection = z.infer<typeof connectResponseSchema>;
/** Body of `POST /accounts/:platform/callback`: what the platform sent to the app's return page. */
export type ConnectionReturn = z.input<typeof callbackBodySchema>;
/** An RFC 9457 problem body as the API sends it. */
export type Problem = z.infer<typeof problemSchema>;
