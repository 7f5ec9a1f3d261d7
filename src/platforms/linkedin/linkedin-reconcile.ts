/**
 * Finding what an earlier, ambiguous LinkedIn send left behind, so a post is never published twice.
 *
 * What LinkedIn allows: the author's recent posts can be listed only with r_member_social /
 * r_organization_social (often not granted: 403), and a repeat of the same author + commentary is
 * refused with 422 naming the live post, with or without images. So:
 * 1. When the listing is allowed: a post with the same (escaped) commentary, created in the send
 *    window [sentAfter − skew, now + skew] (or of unknown age), not another target's, is adopted.
 *    A listing that reaches past the window without one means nothing went out — unless a post
 *    with the same commentary blocks a re-send (another target's, or older): then `unknown`.
 * 2. Otherwise the same commentary is sent again, images and all; that re-send IS the look-up.
 *    422 naming a URN → that post is live: adopted, unless it is another target's (`unknown`) or
 *    the listing shows it older than the window. 201 → the first send never went out and this
 *    one is the post. Anything else (5xx, timeout, a media failure) → `unknown`.
 * 3. An empty commentary (media only) escapes the duplicate check, so a re-send could publish
 *    twice: `unknown` unless the listing found the post.
 */
import { isPublishError, mayAnswerLater } from '../publish-error.ts';
import type { PublishRequest, ReconcileRequest, ReconcileResult } from '../publisher.ts';
import {
  AUTHOR_POSTS_PAGE,
  type AuthorPost,
  type CreatePostResult,
  type LinkedInApi,
} from './linkedin-api.ts';
import { escapeLittleText } from './linkedin-little-text.ts';
import { linkedInAuthor, linkedInPublished } from './linkedin-post-send.ts';

/** Clock skew allowed between the database (sentAfter), this process and LinkedIn's createdAt. */
const SKEW_MS = 60_000;

export interface LinkedInReconcileDeps {
  api: LinkedInApi;
  now: () => Date;
  /** The publisher's own send: the re-send that lets LinkedIn's duplicate check answer. */
  send: (request: PublishRequest) => Promise<CreatePostResult>;
}

export async function reconcileLinkedInPost(
  deps: LinkedInReconcileDeps,
  request: ReconcileRequest,
): Promise<ReconcileResult> {
  const { api, now, send } = deps;
  const author = linkedInAuthor(request);
  const commentary = escapeLittleText(request.content.text);
  const taken = new Set(request.takenExternalIds);
  const sendWindow = { from: request.sentAfter.getTime() - SKEW_MS, until: now().getTime() + SKEW_MS };
  const mediaOnly = commentary.trim() === '';
  const posts = await api.postsByAuthor(author, request.account.tokens.accessToken, request.signal);
  if (posts) {
    const same = posts.filter((p) => p.commentary === commentary);
    const match = same.find((p) =>
      !taken.has(p.id) && inWindow(p, sendWindow) && !(mediaOnly && p.createdAt === null)
    );
    if (match) return { status: 'published', published: linkedInPublished(match.id) };
    if (coversWindow(posts, sendWindow.from)) {
      const blocking = mediaOnly ? undefined : same[0];
      if (!blocking) return { status: 'not_published' };
      return {
        status: 'unknown',
        reason: taken.has(blocking.id)
          ? `the only LinkedIn post with this text, ${blocking.id}, belongs to another target of this account`
          : `LinkedIn already shows this text as ${blocking.id}, posted before this send, so a re-send would be refused as its duplicate`,
      };
    }
  }
  if (mediaOnly) {
    return {
      status: 'unknown',
      reason: 'the post has no text, so LinkedIn’s duplicate check cannot tell whether it went out, and ' +
        (posts ? 'it is not among the author’s recent posts' : 'this app may not list the author’s posts'),
    };
  }
  let result;
  try {
    result = await send(request);
  } catch (err) {
    if (!isPublishError(err)) throw err;
    return {
      status: 'unknown',
      reason: `re-sending to let LinkedIn find a duplicate failed: ${err.message}`,
      retryable: mayAnswerLater(err),
    };
  }
  if (result.ok) return { status: 'published', published: linkedInPublished(result.id) };
  const existing = result.error.existingExternalId;
  if (result.error.code !== 'duplicate_content' || !existing) {
    return {
      status: 'unknown',
      reason: `re-sending to let LinkedIn find a duplicate failed: ${result.error.message}`,
      retryable: mayAnswerLater(result.error),
    };
  }
  if (taken.has(existing)) {
    return {
      status: 'unknown',
      reason:
        `LinkedIn names ${existing} as the live post with this text, but it belongs to another target of this account`,
    };
  }
  const listed = posts?.find((p) => p.id === existing);
  if (listed?.createdAt && listed.createdAt.getTime() < sendWindow.from) {
    return {
      status: 'unknown',
      reason:
        `LinkedIn names ${existing} as the live post with this text, but it was posted before this send`,
    };
  }
  return { status: 'published', published: linkedInPublished(existing) };
}

/** Created in the send window; a post whose creation time is unknown cannot be ruled out. */
function inWindow(post: AuthorPost, sendWindow: { from: number; until: number }): boolean {
  if (post.createdAt === null) return true;
  const at = post.createdAt.getTime();
  return at >= sendWindow.from && at <= sendWindow.until;
}

/** The listing (newest first) is complete back to `from` when it is short, or reaches past it. */
function coversWindow(posts: readonly AuthorPost[], from: number): boolean {
  if (posts.length < AUTHOR_POSTS_PAGE) return true;
  const oldest = posts[posts.length - 1]!.createdAt;
  return oldest !== null && oldest.getTime() < from;
}
