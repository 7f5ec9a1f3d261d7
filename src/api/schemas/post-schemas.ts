/**
 * The posts contract: request bodies (strict: unknown fields are refused), the query of the list,
 * and the post object every post route answers with. The same schemas validate requests and
 * generate /openapi.json.
 */
import { MAX_POST_TEXT_LENGTH, postTextLength } from '../../domain/schedule-rules.ts';
import { z } from '@hono/zod-openapi';
import { PLATFORMS } from '../../domain/platform.ts';
import { POST_STATUSES, TARGET_STATUSES } from '../../domain/post.ts';
import type { Post, PostTarget } from '../../domain/post.ts';
import {
  COMMENT_STATUSES,
  effectiveFirstComment,
  effectiveText,
  MAX_THREAD_PARTS,
} from '../../domain/post-content.ts';
import { storableText, uuidSchema } from './common-schemas.ts';
import { instantSchema, scheduledAtSchema } from './timestamp-schema.ts';

export const MAX_MEDIA_ITEMS = 10;
export const MAX_TARGETS = 10;

const PLATFORM_INPUTS = [...PLATFORMS, 'twitter'] as const;

/**
 * A free-text field counted in code points, as the store and the database's check count (zod's max
 * counts UTF-16 units). `minLength` 1 for fields whose absence is spelled by leaving them out.
 */
function freeText(field: string, what: string, minLength = 0) {
  return storableText(
    z.string({
      error: (issue) =>
        issue.input === undefined
          ? `${field} is required: ${what}, a string of up to ${MAX_POST_TEXT_LENGTH} characters`
          : `${field} must be a string of up to ${MAX_POST_TEXT_LENGTH} characters`,
    }).refine(
      (text) => postTextLength(text) <= MAX_POST_TEXT_LENGTH,
      { error: `${field} is longer than ${MAX_POST_TEXT_LENGTH} characters; shorten it` },
    ).refine((text) => text.trim().length >= minLength, {
      error: `${field} is empty; write ${what} or leave ${field} out`,
    }),
    field,
  );
}

const textSchema = freeText('text', 'the words of the post').openapi({
  example: 'Launching today! 🚀',
  maxLength: MAX_POST_TEXT_LENGTH,
});
const targetTextSchema = freeText('text', "this target's own text").openapi({
  description: "This target's own text, replacing the post's text for this platform",
  maxLength: MAX_POST_TEXT_LENGTH,
});
const firstCommentSchema = freeText('firstComment', 'the comment', 1).openapi({
  description: 'Posted as a comment on the post once it is live (LinkedIn and Instagram comment, X reply)',
  example: 'Link in the comments: https://example.com/launch',
});
const threadSchema = z.array(freeText('each part', 'the words of the part', 1), {
  error: () => 'thread must be a list of texts, e.g. ["1/2 First part", "2/2 Second part"]',
}).min(2, { error: 'a thread has at least 2 parts; for one part, send text instead' })
  .max(MAX_THREAD_PARTS, { error: `a thread has at most ${MAX_THREAD_PARTS} parts` })
  .openapi({
    description:
      'X only: the parts of a thread, in order; part 1 is the post, each next part replies to the one before',
  });

const mediaItemSchema = z.strictObject({
  url: storableText(
    z.url({
      protocol: /^https?$/,
      error: 'url must be an absolute http(s) URL of the image, e.g. https://…/a.jpg',
    }),
    'url',
  ),
  altText: storableText(
    z.string({ error: 'altText must be a string' }).max(1500, {
      error: 'altText is longer than 1500 characters',
    }),
    'altText',
  ).optional(),
}).openapi('MediaItem');

const mediaSchema = z.array(mediaItemSchema, {
  error: () => 'media must be a list of pictures, e.g. [{ "url": "https://…/a.jpg", "altText": "…" }]',
}).max(MAX_MEDIA_ITEMS, {
  error: `at most ${MAX_MEDIA_ITEMS} media items`,
});

const targetSchema = z.strictObject({
  accountId: uuidSchema('accountId'),
  text: targetTextSchema.optional(),
  thread: threadSchema.optional(),
  threadSplit: z.boolean({ error: 'threadSplit must be true or false' }).optional().openapi({
    description: "X only: split this target's text (its own, else the post's) into a numbered thread",
  }),
  firstComment: firstCommentSchema.optional(),
}).superRefine((value, ctx) => {
  if (value.thread !== undefined && value.text !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'send text or thread, not both (part 1 of the thread is the post)',
      path: ['thread'],
    });
  }
  if (value.thread !== undefined && value.threadSplit === true) {
    ctx.addIssue({
      code: 'custom',
      message: 'threadSplit splits a text into a thread; with thread given, leave it out',
      path: ['threadSplit'],
    });
  }
}).openapi('PostTargetInput');

const platformTextSchema = z.strictObject({
  x: targetTextSchema.optional(),
  instagram: targetTextSchema.optional(),
  linkedin: targetTextSchema.optional(),
}, { error: () => 'platformText must be an object such as { "x": "…", "linkedin": "…" }' }).openapi({
  description: "With platforms: each platform's own text, replacing the post's text there",
});

const targetsSchema = z.array(targetSchema, {
  error: () => 'targets must be a list of accounts, e.g. [{ "accountId": "…" }] (GET /accounts lists them)',
})
  .min(1, {
    error: 'list at least one target account, e.g. [{ "accountId": "…" }] (GET /accounts lists them)',
  })
  .max(MAX_TARGETS, { error: `at most ${MAX_TARGETS} targets` });

const platformsSchema = z.array(
  z.enum(PLATFORM_INPUTS, {
    error: (issue) =>
      `unknown platform ${JSON.stringify(issue.input)}; use one of ${
        PLATFORMS.join(', ')
      } ("twitter" means x)`,
  }),
  {
    error: () => `platforms must be a list, e.g. ["x", "linkedin"] (one or more of ${PLATFORMS.join(', ')})`,
  },
).min(1, { error: 'list at least one platform, e.g. ["x"]' }).openapi({
  description: "Shorthand for targets: the caller's single connected account on each platform",
});

function oneWayToTarget(
  value: { targets?: unknown; platforms?: unknown },
  ctx: { addIssue(issue: { code: 'custom'; message: string; path: string[] }): void },
  required: boolean,
) {
  if (value.targets !== undefined && value.platforms !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'send either targets or platforms, not both',
      path: ['platforms'],
    });
  } else if (required && value.targets === undefined && value.platforms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'say where to publish: targets: [{ "accountId": "…" }] or platforms: ["x", "linkedin"]',
      path: ['targets'],
    });
  }
}

/** platformText names platforms; it goes with `platforms` (or, on PATCH, the post's targets). */
function platformTextFits(
  value: { platformText?: object | undefined; targets?: unknown; platforms?: unknown },
  ctx: { addIssue(issue: { code: 'custom'; message: string; path: string[] }): void },
) {
  if (value.platformText !== undefined && value.targets !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'platformText goes with platforms; with targets, give each target its own text',
      path: ['platformText'],
    });
  }
}

export const createPostBodySchema = z.strictObject({
  text: textSchema,
  scheduledAt: scheduledAtSchema,
  targets: targetsSchema.optional(),
  platforms: platformsSchema.optional(),
  platformText: platformTextSchema.optional(),
  firstComment: firstCommentSchema.optional(),
  media: mediaSchema.optional(),
}, { error: (issue) => issue.code === 'invalid_type' ? 'the body must be a JSON object' : undefined })
  .superRefine((value, ctx) => {
    oneWayToTarget(value, ctx, true);
    platformTextFits(value, ctx);
  })
  .openapi('CreatePost');

export const updatePostBodySchema = z.strictObject({
  text: textSchema.optional(),
  scheduledAt: scheduledAtSchema.optional(),
  targets: targetsSchema.optional(),
  platforms: platformsSchema.optional(),
  platformText: platformTextSchema.optional(),
  firstComment: firstCommentSchema.nullable().optional().openapi({
    description: "The post's first comment; null removes it",
  }),
  media: mediaSchema.optional(),
}, { error: (issue) => issue.code === 'invalid_type' ? 'the body must be a JSON object' : undefined })
  .superRefine((value, ctx) => {
    oneWayToTarget(value, ctx, false);
    platformTextFits(value, ctx);
    if (Object.keys(value).length === 0) {
      ctx.addIssue({
        code: 'custom',
        message:
          'send at least one of text, scheduledAt, media, targets, platforms, platformText or firstComment',
        path: [],
      });
    }
  })
  .openapi('UpdatePost');

export type CreatePostBody = z.infer<typeof createPostBodySchema>;
export type UpdatePostBody = z.infer<typeof updatePostBodySchema>;

export const listPostsQuerySchema = z.strictObject({
  status: z.enum(POST_STATUSES, {
    error: (issue) => `status must be one of ${POST_STATUSES.join(', ')}, got ${JSON.stringify(issue.input)}`,
  }).optional(),
  from: instantSchema.optional().openapi({ description: 'Inclusive lower bound on scheduledAt' }),
  to: instantSchema.optional().openapi({ description: 'Exclusive upper bound on scheduledAt' }),
  limit: z.string().regex(/^\d+$/, { error: 'limit must be a whole number from 1 to 100' })
    .refine((v) => Number(v) >= 1 && Number(v) <= 100, {
      error: 'limit must be a whole number from 1 to 100',
    })
    .optional().openapi({ example: '20' }),
  cursor: storableText(z.string().max(500, { error: 'cursor is not one this API returned' }), 'cursor')
    .optional()
    .openapi({ description: 'nextCursor of the previous page' }),
});

const isoDateTime = z.string().openapi({ format: 'date-time' });

const threadPartResponseSchema = z.object({
  text: z.string(),
  externalId: z.string().nullable().openapi({ description: "The platform's id once the part is live" }),
  url: z.string().nullable(),
}).openapi('ThreadPart');

const commentResponseSchema = z.object({
  text: z.string(),
  status: z.enum(COMMENT_STATUSES).openapi({
    description: 'pending (waits for the post, or its next attempt), publishing, published, failed or ' +
      'unconfirmed (may be live; not posted again). Its failure never fails the post.',
  }),
  externalId: z.string().nullable(),
  externalUrl: z.string().nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  attempts: z.number().int(),
  nextAttemptAt: isoDateTime.nullable(),
}).openapi('FirstComment');

export const targetResponseSchema = z.object({
  id: z.string(),
  accountId: z.string().nullable(),
  platform: z.enum(PLATFORMS),
  status: z.enum(TARGET_STATUSES),
  text: z.string().openapi({
    description: "What this target publishes: its own text, else the post's (a thread: part 1)",
  }),
  ownText: z.boolean().openapi({ description: "true when the text is this target's own, not the post's" }),
  thread: z.array(threadPartResponseSchema).nullable(),
  comment: commentResponseSchema.nullable(),
  externalId: z.string().nullable(),
  externalUrl: z.string().nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  attempts: z.number().int(),
  nextAttemptAt: isoDateTime.nullable(),
  publishedAt: isoDateTime.nullable(),
}).openapi('PostTarget');

export const postResponseSchema = z.object({
  id: z.string(),
  status: z.enum(POST_STATUSES),
  version: z.number().int(),
  text: z.string(),
  firstComment: z.string().nullable(),
  media: z.array(z.object({ url: z.string(), altText: z.string().optional() })),
  scheduledAt: isoDateTime,
  publishedAt: isoDateTime.nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  queued: z.boolean().nullable().openapi({
    description: 'true: this request put the job on the queue; false: enqueueing failed and the ' +
      'reconciler will enqueue it (the post is stored); null: this request did not touch the queue',
  }),
  targets: z.array(targetResponseSchema),
}).openapi('Post');

export const postPageSchema = z.object({
  items: z.array(postResponseSchema),
  nextCursor: z.string().nullable(),
}).openapi('PostPage');

/** The ETag header of every post response, for the routes' OpenAPI entries. */
export const postEtagHeader = {
  ETag: { description: 'The post version, e.g. "3"', schema: { type: 'string' as const } },
};

export type PostResponse = z.infer<typeof postResponseSchema>;

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

export function toPostResponse(post: Post, queued: boolean | null): PostResponse {
  return {
    id: post.id,
    status: post.status,
    version: post.version,
    text: post.text,
    firstComment: post.firstComment,
    media: post.media.map((
      m,
    ) => (m.altText === undefined ? { url: m.url } : { url: m.url, altText: m.altText })),
    scheduledAt: post.scheduledAt.toISOString(),
    publishedAt: iso(post.publishedAt),
    errorCode: post.errorCode,
    errorMessage: post.errorMessage,
    createdAt: post.createdAt.toISOString(),
    updatedAt: post.updatedAt.toISOString(),
    queued,
    targets: post.targets.map((t) => ({
      id: t.id,
      accountId: t.accountId,
      platform: t.platform,
      status: t.status,
      text: effectiveText(post, t),
      ownText: t.text !== null || t.thread !== null,
      thread: t.thread ? t.thread.map((p) => ({ text: p.text, externalId: p.externalId, url: p.url })) : null,
      comment: commentOf(post, t),
      externalId: t.externalId,
      externalUrl: t.externalUrl,
      errorCode: t.errorCode,
      errorMessage: t.errorMessage,
      attempts: t.attempts,
      nextAttemptAt: iso(t.nextAttemptAt),
      publishedAt: iso(t.publishedAt),
    })),
  };
}

function commentOf(post: Post, t: PostTarget): PostResponse['targets'][number]['comment'] {
  const text = effectiveFirstComment(post, t);
  if (text === null) return null;
  const c = t.comment;
  return {
    text,
    status: c?.status ?? 'pending',
    externalId: c?.externalId ?? null,
    externalUrl: c?.externalUrl ?? null,
    errorCode: c?.errorCode ?? null,
    errorMessage: c?.errorMessage ?? null,
    attempts: c?.attempts ?? 0,
    nextAttemptAt: iso(c?.nextAttemptAt ?? null),
  };
}
