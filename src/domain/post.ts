/**
 * Posts and their targets, and the one state machine both follow.
 *
 * Post status
 *   scheduled ──claim at due time──> publishing ──all targets settled──> published
 *       │  │                                     ├─> partially_published
 *       │  └─ overdue > MISSED_AFTER_MS ─> failed └─> failed
 *       └─ DELETE ─> cancelled
 *   failed / partially_published ──retry of failed targets──> publishing
 *   An edit (PATCH) keeps `scheduled` and bumps `version`; any other status refuses edits.
 *
 * Target status
 *   pending ──claim (compare-and-set)──> publishing ──> published
 *      │                                     ├─> failed        (permanent error, or attempts used up)
 *      │                                     ├─> pending       (transient error: retried later)
 *      │                                     └─> unconfirmed   (sent, no answer, platform cannot tell)
 *      │                                     └─> partially_published (an X thread whose later part
 *      │                                          failed for good: its first parts stay live)
 *      ├─ post cancelled ─> cancelled
 *      └─ post missed ─> failed
 *   failed / partially_published ──retry──> pending (a thread resumes at its first part not live);
 *   unconfirmed ──reconciled later──> published | failed
 *
 * A thread's parts (X) go out one after another under the target's claim: each part is recorded live
 * before the next is sent, and recording it renews the claim for the next (post-content.ts).
 * A first comment has its own small state machine on the target (TargetComment): it waits (`pending`)
 * until the target is published, then is claimed, sent, settled and reconciled like a target, and its
 * failure never changes the target's or the post's status.
 *
 * A target is sent only while it is `publishing` under a claim token, so two workers never send
 * one target twice (invariant 2, docs/operations.md).
 */
import type { Platform } from './platform.ts';

export const POST_STATUSES = [
  'scheduled',
  'publishing',
  'published',
  'partially_published',
  'failed',
  'cancelled',
] as const;
export type PostStatus = (typeof POST_STATUSES)[number];

export const TARGET_STATUSES = [
  'pending',
  'publishing',
  'published',
  'failed',
  'cancelled',
  'unconfirmed',
  'partially_published',
] as const;
export type TargetStatus = (typeof TARGET_STATUSES)[number];

export const ACCOUNT_STATUSES = ['active', 'needs_reconnect'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/**
 * What one publish attempt ended as, in the attempt log. `deferred` is a rate limit: the target waits
 * for the platform's reset time and the attempt does not count against PUBLISH_ATTEMPTS.
 */
export const ATTEMPT_OUTCOMES = [
  'published',
  'failed',
  'retrying',
  'deferred',
  'unconfirmed',
  'reconciled',
] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

const POST_TRANSITIONS: Readonly<Record<PostStatus, readonly PostStatus[]>> = {
  scheduled: ['scheduled', 'publishing', 'cancelled', 'failed'],
  publishing: ['published', 'partially_published', 'failed'],
  published: [],
  partially_published: ['publishing'],
  failed: ['publishing'],
  cancelled: [],
};

const TARGET_TRANSITIONS: Readonly<Record<TargetStatus, readonly TargetStatus[]>> = {
  pending: ['publishing', 'cancelled', 'failed'],
  publishing: ['published', 'failed', 'pending', 'unconfirmed', 'partially_published'],
  published: [],
  failed: ['pending'],
  cancelled: [],
  unconfirmed: ['published', 'failed'],
  partially_published: ['pending'],
};

export function canPostMove(from: PostStatus, to: PostStatus): boolean {
  return POST_TRANSITIONS[from].includes(to);
}

export function canTargetMove(from: TargetStatus, to: TargetStatus): boolean {
  return TARGET_TRANSITIONS[from].includes(to);
}

/** Statuses after which a target will not be sent again without a person asking. */
export const SETTLED_TARGET_STATUSES: readonly TargetStatus[] = [
  'published',
  'failed',
  'cancelled',
  'unconfirmed',
  'partially_published',
];

export function isTargetSettled(status: TargetStatus): boolean {
  return SETTLED_TARGET_STATUSES.includes(status);
}

/**
 * The post status implied by its targets, or null while some target is still pending or publishing.
 * `published` when every target is published, `failed` when nothing is live, `partially_published`
 * otherwise (a `partially_published` target — a thread cut short — counts as something live).
 * An `unconfirmed` target counts as not published; its own status tells the creator to check.
 */
export function rollUpPostStatus(targets: readonly { status: TargetStatus }[]): PostStatus | null {
  if (targets.length === 0) return null;
  if (!targets.every((t) => isTargetSettled(t.status))) return null;
  const live = targets.filter((t) => t.status !== 'cancelled');
  if (live.length === 0) return 'cancelled';
  const published = live.filter((t) => t.status === 'published').length;
  if (published === live.length) return 'published';
  if (published === 0 && !live.some((t) => t.status === 'partially_published')) return 'failed';
  return 'partially_published';
}

/** One part of an X thread and what is live of it. */
export interface ThreadPart {
  text: string;
  /** The platform's id once this part is live; null before. */
  externalId: string | null;
  url: string | null;
}

export const COMMENT_STATUSES = ['pending', 'publishing', 'published', 'failed', 'unconfirmed'] as const;
/**
 * `pending`: waiting for the target to be published, or for its next attempt; `publishing`: claimed
 * and maybe sent; `published`: live; `failed`: given up (the post stays live); `unconfirmed`: it may be
 * live but the platform could not confirm it, so it was not sent again.
 */
export type CommentStatus = (typeof COMMENT_STATUSES)[number];

/** A first comment's progress (its text is effectiveFirstComment's). */
export interface TargetComment {
  status: CommentStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  externalId: string | null;
  externalUrl: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** Set while `publishing`: only the holder may settle the comment. */
  claimToken: string | null;
  claimedAt: Date | null;
  /** When the earliest comment send that may have gone out began: where a look-up starts. */
  firstSentAt: Date | null;
}

export interface MediaItem {
  url: string;
  altText?: string;
}

export interface PostTarget {
  id: string;
  postId: string;
  userId: string;
  /** Null once the account was disconnected (deleted) after the post was scheduled. */
  accountId: string | null;
  platform: Platform;
  status: TargetStatus;
  /** The target's own text, replacing the post's for this target; null: the post's text. */
  text: string | null;
  /**
   * An X thread: every part in order (part 1 is the post, each next one a reply to the one before),
   * with what is live of it. Null for a single post. The first part's text is the target's text.
   */
  thread: ThreadPart[] | null;
  /** The target's own first comment, replacing the post's; null: the post's (if any). */
  firstComment: string | null;
  /** The first comment's progress; null when neither the target nor the post has one. */
  comment: TargetComment | null;
  /** For a thread: the current part's attempts (each part gets PUBLISH_ATTEMPTS). */
  attempts: number;
  nextAttemptAt: Date | null;
  externalId: string | null;
  externalUrl: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  publishedAt: Date | null;
  /** Set while `publishing`: only the holder of this token may settle the target. */
  claimToken: string | null;
  claimedAt: Date | null;
  /**
   * When the earliest send that may have gone out began (the store's clock at the first claim; kept
   * by later claims, cleared when a failed target is retried): where a look-up for it starts.
   */
  firstSentAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Post {
  id: string;
  userId: string;
  text: string;
  /** Posted as a comment on each target once it is live, unless the target has its own. */
  firstComment: string | null;
  media: MediaItem[];
  scheduledAt: Date;
  status: PostStatus;
  version: number;
  errorCode: string | null;
  errorMessage: string | null;
  publishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Ordered by creation. */
  targets: PostTarget[];
}

export interface SocialAccount {
  id: string;
  userId: string;
  platform: Platform;
  /** The platform's id for the account: X user id, Instagram user id, LinkedIn author URN. */
  externalId: string;
  displayName: string | null;
  status: AccountStatus;
  scopes: string[];
  tokenExpiresAt: Date | null;
  refreshedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Plaintext tokens. Exist only in memory, between decryption and the platform call. */
export interface AccountTokens {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: Date | null;
}

export interface AttemptRecord {
  id: string;
  targetId: string;
  postId: string;
  userId: string;
  attempt: number;
  outcome: AttemptOutcome;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  platformStatus: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  externalId: string | null;
}
