/**
 * A first comment on a live Instagram post (docs/platform-apis.md §2.9): its rules, the send, and the
 * look-up after a send whose answer was lost.
 *
 * Rules: the text is required and at most 2200 characters (code points) [I: Meta answers
 * "(#100) The message is too long" past it, exileum/meta-mcp#251; the reference names no limit].
 * Hashtag, @mention and URL limits for comments are not documented [U], so none is enforced here:
 * Instagram's refusal, if any, comes back classified.
 *
 * Link: Graph API comments have no permalink, so a comment's `url` is its media's permalink (best
 * effort: null when it cannot be read; the comment is live either way).
 *
 * Look-up (reconcileComment): the media's comments are listed (newest first is not documented, so
 * every page is read, up to a bound). A comment by this account (`from.id`, or the username from
 * `/me`) with the same text (NFC, trimmed), timestamped in [sentAfter − skew, now + skew], not
 * another target's, is ours — when it is the only one. Two look-alikes, one whose author or time is
 * not given, or a listing cut short → `unknown`; none in a complete listing → `not_published`.
 */
import { isPublishError, mayAnswerLater, PublishError } from '../publish-error.ts';
import type {
  CommentReconcileRequest,
  CommentRequest,
  ContentViolation,
  Published,
  ReconcileResult,
} from '../publisher.ts';
import type { InstagramApi } from './instagram-api.ts';
import type { InstagramCommentApi, ListedIgComment } from './instagram-comment-api.ts';
import { SKEW_MS } from './instagram-reconcile.ts';

export const MAX_COMMENT_LENGTH = 2200;
const MAX_PAGES = 4;

export interface InstagramCommentDeps {
  api: InstagramApi;
  comments: InstagramCommentApi;
  now: () => Date;
}

export function validateInstagramComment(text: string): ContentViolation[] {
  const violations: ContentViolation[] = [];
  const add = (rule: string, message: string) =>
    violations.push({ platform: 'instagram', rule, path: 'firstComment', message });
  if (text.trim() === '') add('text_required', 'firstComment must not be empty on Instagram');
  const length = Array.from(text).length;
  if (length > MAX_COMMENT_LENGTH) {
    add(
      'text_too_long',
      `Instagram allows ${MAX_COMMENT_LENGTH} characters in a comment; firstComment has ${length}`,
    );
  }
  return violations;
}

export async function sendInstagramComment(
  deps: InstagramCommentDeps,
  request: CommentRequest,
): Promise<Published> {
  const violations = validateInstagramComment(request.text);
  if (violations.length > 0) {
    throw new PublishError('content_invalid', violations.map((v) => v.message).join('; '), {
      platform: 'instagram',
      platformCode: violations.map((v) => v.rule).join(','),
    });
  }
  const token = request.account.tokens.accessToken;
  const id = await deps.comments.createComment(request.on, request.text, token, request.signal);
  return { externalId: id, url: await mediaPermalink(deps, request) };
}

export async function reconcileInstagramComment(
  deps: InstagramCommentDeps,
  request: CommentReconcileRequest,
): Promise<ReconcileResult> {
  const token = request.account.tokens.accessToken;
  const wanted = normalize(request.text);
  const taken = new Set(request.takenExternalIds);
  const from = request.sentAfter.getTime() - SKEW_MS;
  const until = deps.now().getTime() + SKEW_MS;
  const sure: ListedIgComment[] = [];
  const maybe: ListedIgComment[] = [];
  let complete = false;
  let username: string | null | undefined;
  try {
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const listed = await deps.comments.listComments(request.on, token, request.signal, after);
      for (const comment of listed.comments) {
        if (taken.has(comment.id) || comment.text === null || normalize(comment.text) !== wanted) continue;
        const at = comment.timestamp?.getTime() ?? null;
        if (at !== null && (at < from || at > until)) continue;
        if (comment.fromId === null && comment.username !== null && username === undefined) {
          username = (await deps.api.me(token, request.signal)).username;
        }
        const ours = comment.fromId !== null
          ? comment.fromId === request.account.externalId
          : comment.username !== null && username
          ? comment.username === username
          : null;
        if (ours === false) continue;
        (ours === null || at === null ? maybe : sure).push(comment);
      }
      if (!listed.next) {
        complete = true;
        break;
      }
      after = listed.next;
    }
  } catch (err) {
    if (!isPublishError(err)) throw err;
    return {
      status: 'unknown',
      reason: `listing the media’s comments failed: ${err.message}`,
      retryable: mayAnswerLater(err),
    };
  }
  if (sure.length === 1 && maybe.length === 0) {
    return {
      status: 'published',
      published: { externalId: sure[0]!.id, url: await mediaPermalink(deps, request) },
    };
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
    reason: `the media has more than ${MAX_PAGES} pages of comments; this one may be among the rest`,
  };
}

/** The media's permalink, or null: a missing link must not turn a live comment into a failure. */
async function mediaPermalink(deps: InstagramCommentDeps, request: CommentRequest): Promise<string | null> {
  try {
    return await deps.api.permalink(request.on, request.account.tokens.accessToken, request.signal);
  } catch (err) {
    if (!isPublishError(err)) throw err;
    return null;
  }
}

function normalize(text: string): string {
  return text.normalize('NFC').trim();
}
