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

/** Body of `POST /posts`: text, scheduledAt (ISO 8601 with an offset, or "now"), targets or platforms, media. */
export type SchedulePostInput = z.input<typeof createPostBodySchema>;
/** Body of `PATCH /posts/:id`: any of text, scheduledAt, media, targets or platforms. */
export type UpdatePostInput = z.input<typeof updatePostBodySchema>;
/** Filters of `GET /posts`; `limit` is a number here (the query string carries it as text). */
export type ListPostsQuery = Omit<z.input<typeof listPostsQuerySchema>, 'limit'> & { limit?: number };

export type Post = z.infer<typeof postResponseSchema>;
export type PostTarget = Post['targets'][number];
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
