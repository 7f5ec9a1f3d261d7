/**
 * A first comment on a live LinkedIn post (docs/platform-apis.md §3.9): its rules, the send, and the
 * look-up after a send whose answer was lost.
 *
 * Rules: the text is required and at most 1250 characters (code points). A comment's `message.text`
 * is sent as the creator wrote it: comments carry mentions as `message.attributes`, not as the
 * posts' little text, so nothing is escaped [U: the docs show plain text; no report of comments
 * being cut at reserved characters].
 *
 * Look-up (reconcileComment): the post's comments are listed (this needs r_member_social or
 * r_organization_social, which most apps lack: then `unknown`). A comment by the same actor with
 * the same text, created in the send window [sentAfter − skew, now + skew], not already another
 * target's, is ours — when it is the only one. Two look-alikes, one of unknown age or author, or a
 * listing that stops short of its end → `unknown`: we never guess. None in a complete listing →
 * `not_published`.
 */
import { isPublishError, mayAnswerLater } from '../publish-error.ts';
import type {
  CommentReconcileRequest,
  CommentRequest,
  ContentViolation,
  Published,
  ReconcileResult,
} from '../publisher.ts';
import type { LinkedInCommentApi, ListedComment } from './linkedin-comment-api.ts';
import { linkedInAuthor, linkedInPublished } from './linkedin-post-send.ts';

/** [I: third-party LinkedIn tools (Publora, linken) state 1250; LinkedIn's reference names no limit] */
export const MAX_COMMENT_LENGTH = 1250;
/** Pages of COMMENTS_PAGE comments read before giving up as `unknown` (a busy post). */
const MAX_PAGES = 4;
/** Clock skew allowed between the database (sentAfter), this process and LinkedIn's created.time. */
const SKEW_MS = 60_000;

export function validateLinkedInComment(text: string): ContentViolation[] {
  const violations: ContentViolation[] = [];
  const add = (rule: string, message: string) =>
    violations.push({ platform: 'linkedin', rule, path: 'firstComment', message });
  if (text.trim() === '') add('text_required', 'firstComment must not be empty on LinkedIn');
  const length = Array.from(text).length;
  if (length > MAX_COMMENT_LENGTH) {
    add(
      'text_too_long',
      `LinkedIn allows ${MAX_COMMENT_LENGTH} characters in a comment; firstComment has ${length}`,
    );
  }
  return violations;
}

/** Posts the comment as the account's author on `request.on`; its URN and a link to it. */
export async function sendLinkedInComment(
  api: LinkedInCommentApi,
  request: CommentRequest,
): Promise<Published> {
  const actor = linkedInAuthor(request);
  const id = await api.createComment(
    { actor, object: request.on, message: { text: request.text } },
    request.account.tokens.accessToken,
    request.signal,
  );
  return linkedInCommentPublished(request.on, id);
}

/**
 * The comment's link: LinkedIn's "copy link to comment" form, the post's page with `commentUrn`
 * [U: not in the API reference]; the post's own page when the id is not a comment URN.
 */
export function linkedInCommentPublished(post: string, commentId: string): Published {
  const postUrl = linkedInPublished(post).url!;
  return {
    externalId: commentId,
    url: commentId.startsWith('urn:li:comment:')
      ? `${postUrl}?commentUrn=${encodeURIComponent(commentId)}`
      : postUrl,
  };
}

export async function reconcileLinkedInComment(
  deps: { api: LinkedInCommentApi; now: () => Date },
  request: CommentReconcileRequest,
): Promise<ReconcileResult> {
  const actor = linkedInAuthor(request);
  const wanted = normalize(request.text);
  const taken = new Set(request.takenExternalIds);
  const from = request.sentAfter.getTime() - SKEW_MS;
  const until = deps.now().getTime() + SKEW_MS;
  const sure: ListedComment[] = [];
  const maybe: ListedComment[] = [];
  let complete = false;
  try {
    for (let page = 0, start = 0; page < MAX_PAGES; page++) {
      const listed = await deps.api.listComments(
        request.on,
        start,
        request.account.tokens.accessToken,
        request.signal,
      );
      if (!listed) {
        return {
          status: 'unknown',
          reason: 'LinkedIn does not let this app list the post’s comments (r_member_social / ' +
            'r_organization_social not granted), so whether the comment went out cannot be checked',
        };
      }
      for (const comment of listed.comments) {
        if (taken.has(comment.id) || comment.text === null || normalize(comment.text) !== wanted) continue;
        if (comment.actor !== null && comment.actor !== actor) continue;
        const at = comment.createdAt?.getTime() ?? null;
        if (at !== null && (at < from || at > until)) continue;
        (comment.actor === null || at === null ? maybe : sure).push(comment);
      }
      start += listed.comments.length;
      if (
        listed.comments.length < listed.count || (listed.total !== null && start >= listed.total)
      ) {
        complete = true;
        break;
      }
    }
  } catch (err) {
    if (!isPublishError(err)) throw err;
    return {
      status: 'unknown',
      reason: `listing the post’s comments failed: ${err.message}`,
      retryable: mayAnswerLater(err),
    };
  }
  if (sure.length === 1 && maybe.length === 0) {
    return { status: 'published', published: linkedInCommentPublished(request.on, sure[0]!.id) };
  }
  if (sure.length + maybe.length > 0) {
    return {
      status: 'unknown',
      reason: `${sure.length + maybe.length} comments on ${request.on} look like this one ` +
        `(${[...sure, ...maybe].map((c) => c.id).join(', ')}); none is adopted without certainty`,
    };
  }
  return complete ? { status: 'not_published' } : {
    status: 'unknown',
    reason: `the post has more than ${MAX_PAGES} pages of comments; this one may be among the rest`,
  };
}

function normalize(text: string): string {
  return text.normalize('NFC').trim();
}
