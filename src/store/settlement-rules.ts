/**
 * What settling a target and rolling up a post write, shared by both adapters so their rows cannot
 * drift: the allowed settlements, the fields each sets, the attempt-log outcome and the post's
 * roll-up fields. Pure.
 */
import { toStorableText } from '../domain/storable-text.ts';
import type { AttemptOutcome, Post, PostStatus, PostTarget, TargetStatus } from '../domain/post.ts';
import { canPostMove, canTargetMove, rollUpPostStatus } from '../domain/post.ts';
import { checkDate } from './input-checks.ts';
import type { AttemptDetails, TargetSettlement } from './posts-and-targets.ts';
import { storeError } from './store-errors.ts';

/** post_target_attempts.error_message has a check of at most 2000 characters. */
export const MAX_ATTEMPT_MESSAGE_LENGTH = 2000;

/** The attempt-log outcome of a settlement. */
export function attemptOutcomeOf(settlement: TargetSettlement): AttemptOutcome {
  switch (settlement.status) {
    case 'published':
      return settlement.outcome ?? 'published';
    case 'failed':
    case 'partially_published':
      return 'failed';
    case 'pending':
      return settlement.deferred ? 'deferred' : 'retrying';
    case 'unconfirmed':
      return 'unconfirmed';
  }
}

/** Throws invalid_transition unless a publishing target may move to the settlement's status. */
export function checkSettlement(targetId: string, settlement: TargetSettlement): void {
  const to = (settlement as { status: TargetStatus }).status;
  if (!canTargetMove('publishing', to)) {
    throw storeError(
      'invalid_transition',
      `target ${targetId} cannot move from publishing to ${String(to)}`,
      {
        targetId,
        from: 'publishing',
        to,
      },
    );
  }
  if (settlement.status === 'published' && !settlement.externalId) {
    throw storeError(
      'validation_failed',
      `a published settlement of target ${targetId} needs the platform's post id`,
      {
        targetId,
        path: 'externalId',
      },
    );
  }
  if (settlement.status === 'pending') checkDate(settlement.nextAttemptAt, 'nextAttemptAt');
}

/**
 * A platform's (or our own) error message as it can be stored: at most MAX_ATTEMPT_MESSAGE_LENGTH
 * UTF-16 units, never cut inside a surrogate pair, NUL and lone surrogates replaced (a platform may
 * answer anything; Postgres refuses NUL and the message must still be kept).
 */
export function truncateMessage(message: string | null): string | null {
  if (message === null) return message;
  const storable = toStorableText(message);
  if (storable.length <= MAX_ATTEMPT_MESSAGE_LENGTH) return storable;
  return `${toStorableText(storable.slice(0, MAX_ATTEMPT_MESSAGE_LENGTH - 1)).replace(/\uFFFD$/, '')}…`;
}

/** The target fields a settlement sets (besides attempts and the claim, which the adapter handles). */
export function settledFields(settlement: TargetSettlement, attempt: AttemptDetails): Partial<PostTarget> {
  switch (settlement.status) {
    case 'published':
      return {
        status: 'published',
        externalId: settlement.externalId,
        externalUrl: settlement.externalUrl,
        publishedAt: new Date(attempt.finishedAt),
        nextAttemptAt: null,
        errorCode: null,
        errorMessage: null,
      };
    case 'pending':
      return {
        status: 'pending',
        nextAttemptAt: new Date(settlement.nextAttemptAt),
        errorCode: settlement.errorCode,
        errorMessage: truncateMessage(settlement.errorMessage),
      };
    case 'failed':
    case 'partially_published':
    case 'unconfirmed':
      return {
        status: settlement.status,
        nextAttemptAt: null,
        errorCode: settlement.errorCode,
        errorMessage: truncateMessage(settlement.errorMessage),
      };
  }
}

/**
 * The post's published_at (latest target's) and error fields (first failed target's, else first
 * unconfirmed one's) once its targets settle into `status`.
 */
/** What the roll-up reads of a target. */
export type RollUpTarget = Pick<PostTarget, 'status' | 'publishedAt' | 'errorCode' | 'errorMessage'>;

/**
 * The status a post in `current` rolls up to from its targets, or null when it does not roll up (a
 * target is still to send, or the post is not publishing). Both adapters' rollUpPost and the last
 * settle decide by this.
 */
export function rollUpTo(
  current: PostStatus,
  targets: readonly Pick<RollUpTarget, 'status'>[],
): PostStatus | null {
  const status = rollUpPostStatus(targets);
  return status && current === 'publishing' && canPostMove(current, status) ? status : null;
}

export function rolledUpFields(status: Post['status'], list: readonly RollUpTarget[]): Partial<Post> {
  const published = list.filter((t) =>
    (t.status === 'published' || t.status === 'partially_published') && t.publishedAt !== null
  );
  const latest = published.reduce<Date | null>(
    (max, t) => (max === null || t.publishedAt! > max ? t.publishedAt! : max),
    null,
  );
  const failing = status === 'published'
    ? undefined
    : list.find((t) => t.status === 'failed') ?? list.find((t) => t.status === 'partially_published') ??
      list.find((t) => t.status === 'unconfirmed');
  return {
    publishedAt: latest ? new Date(latest) : null,
    errorCode: failing?.errorCode ?? null,
    errorMessage: failing?.errorMessage ?? null,
  };
}
