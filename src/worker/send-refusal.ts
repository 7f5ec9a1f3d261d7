/**
 * What is wrong before any request is made — no account, one to reconnect, no publisher, content the
 * platform's rules refuse: the target fails at once with a reason the creator can act on.
 */
import type { Post, PostTarget, SocialAccount } from '../domain/post.ts';
import type { Publisher } from '../platforms/publisher.ts';
import { sendContent } from '../domain/post-content.ts';
import type { FailureDecision } from './failure-policy.ts';

/** Problems found before any request: they fail the target at once (it was claimed to record them). */
export function refuseBeforeSending(
  post: Post,
  target: PostTarget,
  account: SocialAccount | null,
  publisher: Publisher | undefined,
): FailureDecision | null {
  if (!account) {
    return {
      action: 'fail',
      code: 'account_disconnected',
      message:
        `the ${target.platform} account was disconnected before publishing; reconnect it and schedule again`,
    };
  }
  if (account.status === 'needs_reconnect') {
    return {
      action: 'fail',
      code: 'auth_expired',
      message: `the ${target.platform} account needs to be reconnected before it can publish`,
    };
  }
  if (!publisher) {
    return {
      action: 'fail',
      code: 'unknown',
      message: `no publisher is configured for ${target.platform}`,
    };
  }
  // What this send carries: the target's own text, or its thread's next part.
  const violations = publisher.validate(sendContent(post, target));
  if (violations.length > 0) {
    const media = violations.every((v) => v.path.startsWith('media'));
    return {
      action: 'fail',
      code: media ? 'media_invalid' : 'content_invalid',
      message: violations.map((v) => v.message).join('; '),
    };
  }
  return null;
}
