/**
 * POST /posts/validate: the body of POST /posts checked as POST /posts checks it — the same schema,
 * time, accounts and per-target platform rules (plan-new-post.ts) — without storing or enqueueing
 * anything. It answers 200 whatever the verdict, with each target's effective text, its length and
 * limit as the platform counts them, a thread's parts, the first comment, and every problem with the
 * message a 422 of POST /posts would carry; `code` is the code that 422 would have. The creator app
 * calls it while the creator types.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../../domain/error-codes.ts';
import type { MediaItem } from '../../domain/post.ts';
import { PLATFORMS } from '../../domain/platform.ts';
import type { AppEnv } from '../app-env.ts';
import type { ApiDeps } from '../api-deps.ts';
import { PLAIN_CONTENT_RULES } from '../content-validator.ts';
import { requireJsonBody } from '../middleware/require-json-body.ts';
import { problemResponses } from '../schemas/common-schemas.ts';
import { createPostBodySchema } from '../schemas/post-schemas.ts';
import type { CreatePostBody } from '../schemas/post-schemas.ts';
import { pieceProblems, piecesOf } from '../target-content-plan.ts';
import type { ProblemError } from '../validation-error.ts';
import { errorsFromZod } from '../validation-error.ts';
import { checkScheduledAt } from './post-checks.ts';
import { planNewPost } from './plan-new-post.ts';

const measured = z.object({ text: z.string(), length: z.number().int(), limit: z.number().int() });

const problemSchema = z.object({
  path: z.string(),
  message: z.string(),
  platform: z.enum(PLATFORMS).optional(),
  rule: z.string().optional(),
}).passthrough();

export const validationResultSchema = z.object({
  valid: z.boolean().openapi({ description: 'true: POST /posts would accept this body now' }),
  code: z.string().nullable().openapi({
    description:
      'The error code a POST /posts of this body would answer (422), e.g. content_invalid; null when valid',
  }),
  errors: z.array(problemSchema).openapi({ description: 'Every problem found, as a 422 would list them' }),
  targets: z.array(z.object({
    accountId: z.string(),
    platform: z.enum(PLATFORMS),
    text: z.string().openapi({
      description: "What it publishes: its own text, else the post's (a thread: part 1)",
    }),
    ownText: z.boolean(),
    length: z.number().int().openapi({ description: "The text's length as the platform counts it" }),
    limit: z.number().int(),
    parts: z.array(measured).nullable().openapi({ description: "An X thread's parts, each measured" }),
    firstComment: measured.nullable(),
    errors: z.array(problemSchema).openapi({ description: 'The problems of this target' }),
  })).openapi({ description: 'Empty when the accounts could not be resolved' }),
}).openapi('PostValidation');

export type PostValidation = z.infer<typeof validationResultSchema>;

export function registerValidatePostRoute(
  app: OpenAPIHono<AppEnv>,
  deps: ApiDeps,
  bodyLimit: MiddlewareHandler<AppEnv>,
) {
  const now = deps.now ?? (() => new Date());
  app.openapi(
    createRoute({
      method: 'post',
      path: '/posts/validate',
      summary: 'Check a post body as POST /posts would, without scheduling it',
      security: [{ bearerAuth: [] }],
      middleware: [bodyLimit, requireJsonBody()],
      request: {
        body: { content: { 'application/json': { schema: createPostBodySchema } }, required: true },
      },
      responses: {
        200: {
          description: 'The verdict, per target: effective text, length and limit, thread parts and problems',
          content: { 'application/json': { schema: validationResultSchema } },
        },
        ...problemResponses(400, 401, 413, 415),
      },
    }),
    async (c) => c.json(await validatePost(deps, c.get('userId'), c.req.valid('json'), now()), 200),
    // A body the schema refuses is a verdict here, not an error: the same problems, answered 200.
    (result, c: Context<AppEnv>) => {
      if (result.success) return;
      const errors = errorsFromZod(result.error);
      return c.json(
        { valid: false, code: 'validation_failed', errors, targets: [] } satisfies PostValidation,
        200,
      );
    },
  );
}

async function validatePost(
  deps: ApiDeps,
  userId: string,
  body: CreatePostBody,
  at: Date,
): Promise<PostValidation> {
  const rules = deps.contentRules ?? PLAIN_CONTENT_RULES;
  const errors: ProblemError[] = [];
  let code: string | null = null;
  const fail = (err: unknown) => {
    if (!(err instanceof AppError)) throw err;
    code ??= err.code;
    const listed = err.context.errors as ProblemError[] | undefined;
    errors.push(...(listed ?? [{ path: String(err.context.path ?? '(body)'), message: err.message }]));
  };
  try {
    checkScheduledAt(body.scheduledAt, at);
  } catch (err) {
    fail(err);
  }
  const media: MediaItem[] = body.media ?? [];
  let plan;
  try {
    plan = await planNewPost(deps, userId, body, media);
  } catch (err) {
    fail(err);
    return { valid: false, code, errors, targets: [] };
  }
  if (plan.contentErrors.length > 0) {
    code ??= 'content_invalid';
    errors.push(...plan.contentErrors);
  }
  const targets = plan.plans.map((p) => {
    const own = plan.contentErrors.filter((e) => p.path !== null && e.path.startsWith(p.path));
    const shared = piecesOf(p, media).flatMap((piece) =>
      pieceProblems(deps.validateContent, rules, p.platform, piece)
    );
    const measure = (text: string) => ({ text, ...rules.measure(p.platform, text) });
    const main = rules.measure(p.platform, p.text);
    return {
      accountId: p.accountId,
      platform: p.platform,
      text: p.text,
      ownText: p.ownText,
      length: main.length,
      limit: main.limit,
      parts: p.parts ? p.parts.map(measure) : null,
      firstComment: p.firstComment === null
        ? null
        : { text: p.firstComment, ...rules.measureComment(p.platform, p.firstComment) },
      errors: dedupe([...shared, ...own]),
    };
  });
  return { valid: errors.length === 0, code, errors, targets };
}

function dedupe(errors: ProblemError[]): ProblemError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path} ${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
