/**
 * Stores the post POST /posts asks for, after its body and time were validated.
 *
 * With `targets: [{ accountId }]` it takes one statement: the content is checked against every
 * platform's rules first, then the store creates the post only if each account is the caller's,
 * active and on a platform whose rules the content meets (NewPost.platforms), atomically. When the
 * store refuses, the accounts are read to answer exactly as the two steps would (every account
 * problem, else every content rule broken); the store's own error stands only if the accounts changed
 * in between. With `platforms: [...]`, or an account listed twice, the two steps run as they read:
 * resolve the accounts, check the content for their platforms, store.
 */
import { hasErrorCode } from '../../domain/error-codes.ts';
import type { ErrorCode } from '../../domain/error-codes.ts';
import { PLATFORMS } from '../../domain/platform.ts';
import type { MediaItem, Post } from '../../domain/post.ts';
import type { ApiDeps } from '../api-deps.ts';
import { checkContent, resolveTargets } from '../resolve-targets.ts';
import type { TargetInput } from '../resolve-targets.ts';

export interface NewPostRequest {
  userId: string;
  text: string;
  media: MediaItem[];
  scheduledAt: Date;
  targets: TargetInput;
}

/** The store's refusals that the two-step path words for the caller (accounts, then content). */
const REFUSALS: readonly ErrorCode[] = ['account_not_found', 'validation_failed', 'content_invalid'];

export async function storeNewPost(
  deps: Pick<ApiDeps, 'store' | 'validateContent'>,
  request: NewPostRequest,
): Promise<Post> {
  const { store, validateContent } = deps;
  const { userId, text, media, scheduledAt, targets } = request;
  const content = { text, media };
  const accountIds = targets.targets?.map((t) => t.accountId.toLowerCase());
  if (accountIds && new Set(accountIds).size === accountIds.length) {
    const platforms = PLATFORMS.filter((platform) => validateContent(platform, content).length === 0);
    try {
      return await store.createPost({ userId, text, media, scheduledAt, accountIds, platforms });
    } catch (err) {
      if (!REFUSALS.some((code) => hasErrorCode(err, code))) throw err;
      const accounts = await resolveTargets(store, userId, targets);
      checkContent(validateContent, accounts.map((a) => a.platform), content);
      throw err;
    }
  }
  const accounts = await resolveTargets(store, userId, targets);
  checkContent(validateContent, accounts.map((a) => a.platform), content);
  return await store.createPost({ userId, text, media, scheduledAt, accountIds: accounts.map((a) => a.id) });
}
