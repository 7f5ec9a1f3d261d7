/**
 * What a post request must pass before the posts routes write: a schedule time not in the past, a
 * post the caller owns, an If-Match naming the version they read, a post still editable — and how a
 * lost race with another edit is answered (412 or 409).
 */
import { isScheduledInPast } from '../../domain/schedule-rules.ts';
import { AppError, hasErrorCode } from '../../domain/error-codes.ts';
import type { Post } from '../../domain/post.ts';
import type { PostStore } from '../../store/post-store.ts';
import { toInstant } from '../schemas/timestamp-schema.ts';

/** The instant `value` names (`now` is `at`); schedule_in_past when it is before `at`. */
export function checkScheduledAt(value: string, at: Date): Date {
  const scheduledAt = toInstant(value, at);
  if (isScheduledInPast(scheduledAt, at)) {
    throw new AppError(
      'schedule_in_past',
      `scheduledAt ${value} is in the past; choose a time after now (${at.toISOString()}), or "now" to publish at once`,
      { path: 'scheduledAt' },
    );
  }
  return scheduledAt;
}

/** The caller's post; post_not_found when it is missing or another user's. */
export async function ownedPost(store: PostStore, id: string, userId: string): Promise<Post> {
  const post = await store.getPost(id, userId);
  if (!post) {
    throw new AppError('post_not_found', `no post ${id} belongs to you; GET /posts lists yours`, {
      postId: id,
    });
  }
  return post;
}

/** The version an If-Match header names: null without the header, 'any' for `*`. */
export function parseIfMatch(header: string | undefined): number | 'any' | null {
  if (header === undefined) return null;
  const value = header.trim();
  if (value === '*') return 'any';
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(value);
  if (!match) {
    throw new AppError(
      'precondition_failed',
      `If-Match ${JSON.stringify(header)} names no version of this post; send the ETag you read, e.g. "3"`,
      { path: 'If-Match' },
    );
  }
  return Number(match[1]);
}

export function checkIfMatch(expected: number | 'any' | null, post: Post): void {
  if (typeof expected === 'number' && expected !== post.version) {
    throw new AppError(
      'precondition_failed',
      `the post is at version ${post.version}, not ${expected}: it changed since you read it; GET it and apply your change again`,
      { postId: post.id, version: post.version, path: 'If-Match' },
    );
  }
}

export function notEditable(post: Post): AppError {
  return new AppError(
    'post_not_editable',
    `post ${post.id} is ${post.status}: publishing has begun or finished, so it can no longer change or be cancelled`,
    { postId: post.id, status: post.status },
  );
}

/** A lost race with another edit: 412 when the caller named a version, else 409. */
export function versionError(err: unknown, ifMatchSent: boolean): unknown {
  if (!hasErrorCode(err, 'version_conflict')) return err;
  const message = err instanceof Error ? err.message : 'the post changed while this request ran';
  return ifMatchSent
    ? new AppError('precondition_failed', message, { path: 'If-Match' }, { cause: err })
    : new AppError('version_conflict', `${message}; retry the request`, {}, { cause: err });
}
