/**
 * Classifies a failed LinkedIn Comments API answer (docs/platform-apis.md §3.9). Everything the Posts
 * API shares — 401 with 65600/65601/65602, 426, 429, 5xx, the input-error envelope — is classified by
 * classifyLinkedInError; only what is particular to commenting is decided here:
 * - 404: the post is gone (deleted by the creator, or never existed) → `post_missing` naming it;
 *   a retry cannot bring it back;
 * - 403: the token may not comment as this author (w_member_social for a person,
 *   w_organization_social and a page role for an organization) → `permission_denied`.
 */
import { PublishError } from '../publish-error.ts';
import { classifyLinkedInError, type LinkedInErrorInput } from './linkedin-errors.ts';

export interface LinkedInCommentErrorInput extends LinkedInErrorInput {
  /** The post the comment was for. */
  post: string;
}

export function classifyLinkedInCommentError(input: LinkedInCommentErrorInput): PublishError {
  const base = classifyLinkedInError(input);
  if (input.status === 404) {
    return new PublishError(
      'post_missing',
      `LinkedIn has no post ${input.post} to comment on (it was deleted or never existed); the first comment cannot be posted`,
      {
        platform: 'linkedin',
        platformStatus: 404,
        platformCode: base.platformCode ?? 'NOT_FOUND',
        platformMessage: base.platformMessage,
      },
    );
  }
  if (input.status === 403) {
    return new PublishError(
      'permission_denied',
      `LinkedIn refused ${input.action}: the token may not comment as this author (w_member_social for a ` +
        'person, w_organization_social and a page admin role for an organization); reconnect with the right scopes',
      {
        platform: 'linkedin',
        platformStatus: 403,
        platformCode: base.platformCode,
        platformMessage: base.platformMessage,
      },
    );
  }
  return base;
}
