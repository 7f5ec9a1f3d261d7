/**
 * What recording a thread's part and settling a first comment write, shared by both adapters so their
 * rows cannot drift (as settlement-rules.ts is for targets). Pure.
 */
import type { PostTarget } from '../domain/post.ts';
import type { CommentStatus, TargetComment, ThreadPart } from '../domain/post-content.ts';
import { MAX_THREAD_PARTS } from '../domain/post-content.ts';
import { MAX_POST_TEXT_LENGTH, postTextLength } from '../domain/schedule-rules.ts';
import { checkDate } from './input-checks.ts';
import { checkStorableText } from './storable-text-checks.ts';
import type { CommentSettlement, TargetContent, ThreadPartRecord } from './posts-and-targets.ts';
import { truncateMessage } from './settlement-rules.ts';
import { storeError } from './store-errors.ts';

/** The comment fields a settlement sets (besides the claim, which the adapter clears). */
export function settledCommentFields(
  settlement: CommentSettlement,
): Omit<TargetComment, 'attempts' | 'claimToken' | 'claimedAt' | 'firstSentAt'> {
  const status: CommentStatus = settlement.status;
  if (settlement.status === 'published') {
    return {
      status,
      nextAttemptAt: null,
      externalId: settlement.externalId,
      externalUrl: settlement.externalUrl,
      errorCode: null,
      errorMessage: null,
    };
  }
  return {
    status,
    nextAttemptAt: settlement.status === 'pending' ? new Date(settlement.nextAttemptAt) : null,
    externalId: null,
    externalUrl: null,
    errorCode: settlement.errorCode,
    errorMessage: truncateMessage(settlement.errorMessage),
  };
}

export function checkCommentSettlement(targetId: string, settlement: CommentSettlement): void {
  if (settlement.status === 'published' && !settlement.externalId) {
    throw storeError('validation_failed', `a published comment of target ${targetId} needs its id`, {
      targetId,
      path: 'externalId',
    });
  }
  if (settlement.status === 'pending') checkDate(settlement.nextAttemptAt, 'nextAttemptAt');
}

/** Throws unless `part` names a part of the thread not yet live, with an id. */
export function checkThreadPart(target: Pick<PostTarget, 'id' | 'thread'>, part: ThreadPartRecord): void {
  const thread = target.thread;
  if (!thread || !Number.isInteger(part.index) || part.index < 0 || part.index >= thread.length) {
    throw storeError('validation_failed', `target ${target.id} has no thread part ${part.index}`, {
      targetId: target.id,
      path: 'index',
    });
  }
  if (!part.externalId) {
    throw storeError('validation_failed', `a live part of target ${target.id} needs its post id`, {
      targetId: target.id,
      path: 'externalId',
    });
  }
}

/** The thread with `part` live. */
export function withLivePart(thread: readonly ThreadPart[], part: ThreadPartRecord): ThreadPart[] {
  return thread.map((p, i) => (i === part.index ? { ...p, externalId: part.externalId, url: part.url } : p));
}

/** What a new target stores of its content: columns of its own, and whether a comment waits for it. */
export function storedContent(
  content: TargetContent | undefined,
  postFirstComment: string | null | undefined,
): { text: string | null; thread: ThreadPart[] | null; firstComment: string | null; hasComment: boolean } {
  const thread = content?.thread
    ? content.thread.map((text) => ({ text, externalId: null, url: null }))
    : null;
  const firstComment = content?.firstComment ?? null;
  return {
    text: thread ? null : content?.text ?? null,
    thread,
    firstComment,
    hasComment: (firstComment ?? postFirstComment ?? null) !== null,
  };
}

/**
 * The store's own checks of a post's first comment and its targets' content (the API checks the
 * platforms' rules first): strings within the columns' limits, storable, a thread of 2..25 parts, and
 * one content per account.
 */
export function checkContentInput(
  firstComment: unknown,
  contents: readonly (TargetContent | undefined)[] | undefined,
  accountIds: readonly string[] | undefined,
): void {
  checkOptionalText(firstComment, 'firstComment');
  if (contents === undefined) return;
  if (!Array.isArray(contents) || accountIds === undefined || contents.length !== accountIds.length) {
    throw storeError(
      'validation_failed',
      'targetContents must list one entry per account, in the order of accountIds',
      { path: 'targetContents' },
    );
  }
  for (const [i, content] of contents.entries()) {
    if (content === undefined) continue;
    checkOptionalText(content.text, `targetContents[${i}].text`);
    checkOptionalText(content.firstComment, `targetContents[${i}].firstComment`);
    const thread = content.thread;
    if (thread === undefined || thread === null) continue;
    if (!Array.isArray(thread) || thread.length < 2 || thread.length > MAX_THREAD_PARTS) {
      throw storeError(
        'validation_failed',
        `targetContents[${i}].thread must hold 2 to ${MAX_THREAD_PARTS} parts`,
        { path: `targetContents[${i}].thread` },
      );
    }
    if (content.text !== undefined && content.text !== null) {
      throw storeError('validation_failed', `targetContents[${i}] has both text and thread; send one`, {
        path: `targetContents[${i}]`,
      });
    }
    for (const [n, part] of thread.entries()) {
      if (typeof part !== 'string') {
        throw storeError('validation_failed', `targetContents[${i}].thread[${n}] must be a string`, {
          path: `targetContents[${i}].thread[${n}]`,
        });
      }
      checkOptionalText(part, `targetContents[${i}].thread[${n}]`);
    }
  }
}

function checkOptionalText(value: unknown, path: string): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || value.length === 0 || postTextLength(value) > MAX_POST_TEXT_LENGTH) {
    throw storeError(
      'validation_failed',
      `${path} must be a string of 1 to ${MAX_POST_TEXT_LENGTH} characters`,
      { path },
    );
  }
  checkStorableText(value, path);
}
