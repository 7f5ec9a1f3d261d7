/**
 * Classifies a failed Instagram comment call. The Graph envelope is read exactly as for publishing
 * (classifyInstagramError: code, subcode, is_transient, usage headers); only two answers read
 * differently on a comment:
 * - 100/33 "Object with ID … does not exist, cannot be loaded due to missing permissions": the media
 *   is gone, or not this account's → `post_missing` naming the media (no retry brings it back);
 * - a missing permission names the comment scope, instagram_business_manage_comments.
 */
import { PublishError } from '../publish-error.ts';
import { classifyInstagramError, type InstagramErrorInput, parseGraphError } from './instagram-errors.ts';

export interface InstagramCommentErrorInput extends InstagramErrorInput {
  mediaId: string;
}

export function classifyInstagramCommentError(input: InstagramCommentErrorInput): PublishError {
  const base = classifyInstagramError(input);
  const graph = parseGraphError(input.json);
  const details = {
    platform: 'instagram' as const,
    platformStatus: base.platformStatus,
    platformCode: base.platformCode,
    platformMessage: base.platformMessage,
  };
  if (graph?.code === 100 && graph.subcode === 33) {
    return new PublishError(
      'post_missing',
      `Instagram has no media ${input.mediaId} this account can comment on (deleted, or not its own) ` +
        `while ${input.action} (code 100/33); the first comment cannot be posted`,
      details,
    );
  }
  if (base.code === 'permission_denied') {
    return new PublishError(
      'permission_denied',
      `Instagram refused ${input.action}: the token lacks instagram_business_manage_comments or the account ` +
        `is restricted (code ${base.platformCode ?? input.status}); reconnect to grant comment access`,
      details,
    );
  }
  return base;
}
