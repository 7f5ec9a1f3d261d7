/**
 * The plan of a new post (POST /posts, POST /posts/validate): its accounts resolved (throws the 422
 * POST /posts answers when one is wrong), each target's effective content, and every platform rule
 * that content breaks — returned, not thrown, so validate can show them beside the counts.
 */
import type { MediaItem } from '../../domain/post.ts';
import type { ApiDeps } from '../api-deps.ts';
import { PLAIN_CONTENT_RULES } from '../content-validator.ts';
import { resolveTargets } from '../resolve-targets.ts';
import type { CreatePostBody } from '../schemas/post-schemas.ts';
import {
  contentProblems,
  ownContentOfRequest,
  planTargets,
  unusedPlatformText,
} from '../target-content-plan.ts';
import type { PlannedTarget } from '../target-content-plan.ts';
import type { ProblemError } from '../validation-error.ts';
import { invalidInput } from '../validation-error.ts';

export interface PostPlan {
  plans: PlannedTarget[];
  /** Every platform rule broken (content_invalid when not empty). */
  contentErrors: ProblemError[];
}

export async function planNewPost(
  deps: Pick<ApiDeps, 'store' | 'validateContent' | 'contentRules'>,
  userId: string,
  body: Pick<CreatePostBody, 'text' | 'firstComment' | 'targets' | 'platforms' | 'platformText'>,
  media: readonly MediaItem[],
): Promise<PostPlan> {
  const rules = deps.contentRules ?? PLAIN_CONTENT_RULES;
  const accounts = await resolveTargets(deps.store, userId, body);
  const unused = unusedPlatformText(body.platformText, accounts.map((a) => a.platform));
  if (unused.length > 0) throw invalidInput(unused);
  const { own, paths } = ownContentOfRequest(body, accounts);
  const contentErrors: ProblemError[] = [];
  const plans = planTargets(
    accounts,
    own,
    paths,
    { text: body.text, firstComment: body.firstComment ?? null },
    rules,
    contentErrors,
  );
  contentErrors.push(...contentProblems(deps.validateContent, rules, plans, media));
  return { plans, contentErrors };
}
