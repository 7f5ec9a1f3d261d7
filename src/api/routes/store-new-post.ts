/**
 * Stores the post POST /posts asks for, after its body and time were validated.
 *
 * With `targets: [{ accountId }]` and no content of a target's own, it takes one statement: the
 * content is checked against every platform's rules first, then the store creates the post only if
 * each account is the caller's, active and on a platform whose rules the content meets
 * (NewPost.platforms), atomically. When the store refuses, the accounts are read to answer exactly as
 * the two steps would (every account problem, else every content rule broken); the store's own error
 * stands only if the accounts changed in between. Otherwise — `platforms: [...]`, a target with its
 * own text, thread or first comment, or an account listed twice — the two steps run as they read:
 * resolve the accounts, check each target's content for its platform (target-content-plan.ts), store.
 */
import { hasErrorCode } from '../../domain/error-codes.ts';
import type { ErrorCode } from '../../domain/error-codes.ts';
import { PLATFORMS } from '../../domain/platform.ts';
import type { MediaItem, Post } from '../../domain/post.ts';
import type { ApiDeps } from '../api-deps.ts';
import { PLAIN_CONTENT_RULES } from '../content-validator.ts';
import type { CreatePostBody } from '../schemas/post-schemas.ts';
import { throwContentProblems } from '../target-content-plan.ts';
import { planNewPost } from './plan-new-post.ts';

export interface NewPostRequest {
  userId: string;
  text: string;
  media: MediaItem[];
  scheduledAt: Date;
  body: CreatePostBody;
}

/** The store's refusals that the two-step path words for the caller (accounts, then content). */
const REFUSALS: readonly ErrorCode[] = ['account_not_found', 'validation_failed', 'content_invalid'];

export async function storeNewPost(
  deps: Pick<ApiDeps, 'store' | 'validateContent' | 'contentRules'>,
  request: NewPostRequest,
): Promise<Post> {
  const { store, validateContent } = deps;
  const rules = deps.contentRules ?? PLAIN_CONTENT_RULES;
  const { userId, text, media, scheduledAt, body } = request;
  const firstComment = body.firstComment ?? null;
  const content = { text, media };
  const accountIds = body.targets?.map((t) => t.accountId.toLowerCase());
  const plain = body.targets?.every((t) => Object.keys(t).length === 1) ?? false;
  if (accountIds && plain && new Set(accountIds).size === accountIds.length) {
    const platforms = PLATFORMS.filter((platform) =>
      validateContent(platform, content).length === 0 &&
      (firstComment === null || rules.validateComment(platform, firstComment).length === 0)
    );
    try {
      return await store.createPost({
        userId,
        text,
        media,
        scheduledAt,
        accountIds,
        platforms,
        firstComment,
      });
    } catch (err) {
      if (!REFUSALS.some((code) => hasErrorCode(err, code))) throw err;
      throwContentProblems((await planNewPost(deps, userId, body, media)).contentErrors);
      throw err;
    }
  }
  const { plans, contentErrors } = await planNewPost(deps, userId, body, media);
  throwContentProblems(contentErrors);
  return await store.createPost({
    userId,
    text,
    media,
    scheduledAt,
    firstComment,
    accountIds: plans.map((p) => p.accountId),
    targetContents: plans.map((p) => p.content),
  });
}
