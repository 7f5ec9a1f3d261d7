/**
 * What a PATCH /posts/{id} leaves each target publishing, checked against its platform's rules before
 * anything is written (target-content-plan.ts). Targets named anew (`targets`, `platforms`) take the
 * body's content; otherwise each keeps its own, and `platformText` replaces the text of the targets
 * on the platforms it names. Returns the targets to store when they change, else null (the targets
 * are left as they are and only the post's fields change).
 */
import type { Post, PostTarget } from '../../domain/post.ts';
import type { PostChanges } from '../../store/post-store.ts';
import type { ApiDeps } from '../api-deps.ts';
import { PLAIN_CONTENT_RULES } from '../content-validator.ts';
import { resolveTargets } from '../resolve-targets.ts';
import type { UpdatePostBody } from '../schemas/post-schemas.ts';
import {
  contentProblems,
  ownContentOfRequest,
  planTargets,
  throwContentProblems,
  unusedPlatformText,
} from '../target-content-plan.ts';
import type { PlannedTarget, TargetContentInput } from '../target-content-plan.ts';
import type { ProblemError } from '../validation-error.ts';
import { invalidInput } from '../validation-error.ts';

export async function planChangedTargets(
  deps: Pick<ApiDeps, 'store' | 'validateContent' | 'contentRules'>,
  userId: string,
  post: Post,
  body: UpdatePostBody,
  changes: PostChanges,
): Promise<PlannedTarget[] | null> {
  const rules = deps.contentRules ?? PLAIN_CONTENT_RULES;
  let accounts: { id: string; platform: PostTarget['platform'] }[];
  let own: (TargetContentInput | undefined)[];
  let paths: (string | null)[];
  let replace = false;
  if (body.targets !== undefined || body.platforms !== undefined) {
    accounts = await resolveTargets(deps.store, userId, body);
    ({ own, paths } = ownContentOfRequest(body, accounts));
    replace = true;
  } else {
    const kept = post.targets.filter((t) => t.accountId !== null);
    accounts = kept.map((t) => ({ id: t.accountId!, platform: t.platform }));
    own = kept.map(storedOwnContent);
    paths = kept.map((t, i) => (storedOwnContent(t) === undefined ? null : `targets[${i}]`));
    for (const [i, account] of accounts.entries()) {
      const text = body.platformText?.[account.platform];
      if (text === undefined) continue;
      own[i] = {
        ...(own[i]?.firstComment === undefined ? {} : { firstComment: own[i]!.firstComment }),
        text,
      };
      paths[i] = `platformText.${account.platform}`;
      replace = true;
    }
  }
  const unused = unusedPlatformText(body.platformText, accounts.map((a) => a.platform));
  if (unused.length > 0) throw invalidInput(unused);
  const errors: ProblemError[] = [];
  const firstComment = changes.firstComment === undefined ? post.firstComment : changes.firstComment;
  const plans = planTargets(
    accounts,
    own,
    paths,
    { text: changes.text ?? post.text, firstComment },
    rules,
    errors,
  );
  errors.push(...contentProblems(deps.validateContent, rules, plans, changes.media ?? post.media));
  throwContentProblems(errors);
  return replace ? plans : null;
}

/** A stored target's content of its own, as a request would give it; undefined: none. */
function storedOwnContent(t: PostTarget): TargetContentInput | undefined {
  if (t.text === null && t.thread === null && t.firstComment === null) return undefined;
  return {
    ...(t.text === null ? {} : { text: t.text }),
    ...(t.thread === null ? {} : { thread: t.thread.map((p) => p.text) }),
    ...(t.firstComment === null ? {} : { firstComment: t.firstComment }),
  };
}
