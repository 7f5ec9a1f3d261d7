/**
 * The request and response types of the posts API, inferred from the zod schemas the API validates
 * with (src/api/schemas/), so the app and the server cannot drift apart. Type-only imports: the
 * client bundle carries no zod.
 */
import type { z } from '@hono/zod-openapi';
import type { accountResponseSchema } from '../api/schemas/account-schemas.ts';
import type { problemSchema } from '../api/schemas/common-schemas.ts';
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
/** An RFC 9457 problem body as the API sends it. */
export type Problem = z.infer<typeof problemSchema>;
