/**
 * What each target sends: its effective text (the target's own, else the post's), an X thread's parts
 * and the part to send next, and its first comment. Pure rules shared by the API (validation, responses),
 * the stores (what to write) and the worker (what to send).
 */
import type { MediaItem, Post, PostTarget, TargetComment, ThreadPart } from './post.ts';

export { COMMENT_STATUSES } from './post.ts';
export type { CommentStatus, TargetComment, ThreadPart } from './post.ts';

/** X allows a conversation of any length; SoloSpark keeps a thread to this many parts. */
export const MAX_THREAD_PARTS = 25;

/** The text a target publishes: its thread's first part, its own text, else the post's. */
export function effectiveText(post: Pick<Post, 'text'>, target: Pick<PostTarget, 'text' | 'thread'>): string {
  return target.thread?.[0]?.text ?? target.text ?? post.text;
}

/** The first comment a target posts once live, or null. */
export function effectiveFirstComment(
  post: Pick<Post, 'firstComment'>,
  target: Pick<PostTarget, 'firstComment'>,
): string | null {
  return target.firstComment ?? post.firstComment;
}

/** Index of the thread's first part not yet live (0 for a single post; parts.length when all are). */
export function nextPartIndex(target: Pick<PostTarget, 'thread'>): number {
  if (!target.thread) return 0;
  const i = target.thread.findIndex((p) => p.externalId === null);
  return i === -1 ? target.thread.length : i;
}

/** How many parts of the thread are live (0 for a single post). */
export function liveParts(target: Pick<PostTarget, 'thread'>): number {
  return target.thread ? target.thread.filter((p) => p.externalId !== null).length : 0;
}

/**
 * What the next send of this target carries: for a thread, its first part not yet live (media on
 * part 1 only) answering the part before it; otherwise the effective text and the post's media.
 */
export function sendContent(
  post: Pick<Post, 'text' | 'media'>,
  target: Pick<PostTarget, 'text' | 'thread'>,
): { text: string; media: readonly MediaItem[]; replyTo?: string } {
  if (!target.thread) return { text: effectiveText(post, target), media: post.media };
  const i = Math.min(nextPartIndex(target), target.thread.length - 1);
  const part = target.thread[i]!;
  if (i === 0) return { text: part.text, media: post.media };
  return { text: part.text, media: [], replyTo: target.thread[i - 1]!.externalId! };
}

/** The id the first comment answers: the post (a thread's last live part on X, so it reads last). */
export function commentAnchor(target: Pick<PostTarget, 'thread' | 'externalId'>): string | null {
  if (target.thread) {
    const live = target.thread.filter((p) => p.externalId !== null);
    return live.at(-1)?.externalId ?? null;
  }
  return target.externalId;
}

/** A new thread's parts, none live. */
export function newThread(texts: readonly string[]): ThreadPart[] {
  return texts.map((text) => ({ text, externalId: null, url: null }));
}

/** A new comment's state, waiting for its post. */
export function newComment(): TargetComment {
  return {
    status: 'pending',
    attempts: 0,
    nextAttemptAt: null,
    externalId: null,
    externalUrl: null,
    errorCode: null,
    errorMessage: null,
    claimToken: null,
    claimedAt: null,
    firstSentAt: null,
  };
}
