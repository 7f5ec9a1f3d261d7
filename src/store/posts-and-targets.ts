/**
 * The posts-and-targets port: posts, their per-account targets, the claims workers take on them, the
 * attempt log and what the reconciler looks at. Adapters: postgres-posts.ts and memory-posts.ts; the
 * contract suite tests/contract/posts.contract.ts holds both to the same behaviour.
 *
 * Every state change is a compare-and-set on the current status (and claim token / version), so
 * concurrent callers cannot both win; a lost race is a typed StoreError, never a silent no-op.
 * Methods taking `userId` scope to that owner: another user's row is "not found".
 */
import type {
  AttemptRecord,
  MediaItem,
  Post,
  PostStatus,
  PostTarget,
  SocialAccount,
} from '../domain/post.ts';
import type { Platform } from '../domain/platform.ts';

/** How many of each kind `findReconcileCandidates` returns when the caller gives no limit. */
export const DEFAULT_RECONCILE_LIMIT = 500;

/** What one target publishes beyond the post's own content (all optional: the post's is used). */
export interface TargetContent {
  /** The target's own text (null or absent: the post's). */
  text?: string | null;
  /** An X thread's parts, part 1 first (2..MAX_THREAD_PARTS). */
  thread?: readonly string[] | null;
  /** The target's own first comment (null or absent: the post's). */
  firstComment?: string | null;
}

export interface NewPost {
  userId: string;
  text: string;
  /** Posted as a comment on each target once it is live (unless the target has its own). */
  firstComment?: string | null;
  media: MediaItem[];
  scheduledAt: Date;
  /** One target per account; the platform is the account's. At least one. */
  accountIds: string[];
  /** Per account, in the order of accountIds: what that target publishes of its own. */
  targetContents?: readonly (TargetContent | undefined)[];
  /**
   * The platforms the content meets the rules of (the API checks them before it knows the accounts'
   * platforms): an account on another platform refuses the post with content_invalid, in the same
   * atomic step as the accounts' checks. (Default: every platform)
   */
  platforms?: readonly Platform[];
}

export interface PostChanges {
  text?: string;
  media?: MediaItem[];
  scheduledAt?: Date;
  /** Null removes the post's first comment. */
  firstComment?: string | null;
  /**
   * Replaces the targets (all still pending) with one per account; a target kept for an account keeps
   * its id and takes its new content from targetContents (absent: none of its own).
   */
  accountIds?: string[];
  /** With accountIds, in its order. */
  targetContents?: readonly (TargetContent | undefined)[];
}

export interface ListPostsQuery {
  status?: PostStatus;
  /** Inclusive lower bound on scheduledAt. */
  from?: Date;
  /** Exclusive upper bound on scheduledAt. */
  to?: Date;
  /** 1..100, default 20. */
  limit?: number;
  /** Opaque, from a previous page's nextCursor. */
  cursor?: string;
}

export interface PostPage {
  items: Post[];
  nextCursor: string | null;
}

/** The result of `claimPost`: whether this job may publish the post's targets. */
export type PostClaim =
  | { outcome: 'claimed'; post: Post } // scheduled -> publishing by this call
  | { outcome: 'already_publishing'; post: Post } // an earlier run (crash, retry) began it; continue
  | { outcome: 'stale'; post: Post | null }; // cancelled, edited (version moved on), finished or gone

/** How a claimed target ends, recorded with one attempt-log row in the same transaction. */
export type TargetSettlement =
  | {
    status: 'published';
    externalId: string;
    externalUrl: string | null;
    outcome?: 'published' | 'reconciled';
  }
  | { status: 'failed'; errorCode: string; errorMessage: string }
  /** A thread cut short: its first parts are live (the target keeps part 1's id and link). */
  | { status: 'partially_published'; errorCode: string; errorMessage: string }
  /** Back to pending for a later attempt; `deferred` (rate limit) gives the attempt back. */
  | { status: 'pending'; errorCode: string; errorMessage: string; nextAttemptAt: Date; deferred?: boolean }
  | { status: 'unconfirmed'; errorCode: string; errorMessage: string };

/**
 * A target just claimed, with the account it publishes to (null once disconnected), read by the claim
 * itself: the send needs nothing else from the store.
 */
export type ClaimedTarget = PostTarget & { account: SocialAccount | null };

/**
 * A target just settled, and whether that left no target of its post to send (`postSettled`: every
 * target settled, judged after every earlier settle of the post committed). The settle that leaves
 * none rolls the post up itself (`postStatus`: the status it set); null when it did not (a later settle
 * will, or the post was not `publishing`, or that step failed after the settle: rollUpPost does it).
 */
export type SettledTarget = PostTarget & { postSettled: boolean; postStatus: PostStatus | null };

/** How a claimed first comment ends (its target stays as it is). */
export type CommentSettlement =
  | { status: 'published'; externalId: string; externalUrl: string | null }
  | { status: 'failed' | 'unconfirmed'; errorCode: string; errorMessage: string }
  /** Back to pending for a later attempt; `deferred` (rate limit) gives the attempt back. */
  | { status: 'pending'; errorCode: string; errorMessage: string; nextAttemptAt: Date; deferred?: boolean };

/** A live part of a thread being recorded (recordThreadPart). */
export interface ThreadPartRecord {
  /** 0-based position in the thread. */
  index: number;
  externalId: string;
  url: string | null;
  /** `reconciled`: found live by a look-up after an unknown outcome. */
  outcome: 'published' | 'reconciled';
  /**
   * True when the holder goes on to send the next part at once: the claim is renewed (claimedAt and
   * firstSentAt = now, by the store's clock) and the next part's first attempt is counted. False: the
   * next part's attempts start at 0 and its send window is unknown until its claim.
   */
  renew: boolean;
}

export interface AttemptDetails {
  startedAt: Date;
  finishedAt: Date;
  /** The platform's HTTP status, when it answered. */
  platformStatus?: number | null;
}

/** A `pending` target of a `publishing` post, as the reconciler needs it to re-add its publish job. */
export interface PendingTargetRef {
  id: string;
  postId: string;
  /** The post's current version (publish jobs carry it; a job of another version is dropped). */
  version: number;
  /** When its next attempt is due (a retry or rate-limit deferral); null: at once. */
  nextAttemptAt: Date | null;
  accountId: string | null;
  platform: Platform;
}

/**
 * What `takeOverClaim` found: `taken` (the target is now held under a new token; its claimedAt is the
 * takeover), `held` (the claim is younger than the cut-off: a live run may still be sending — leave it
 * alone for `heldForMs` more), or `gone` (no longer publishing under that token: it was settled).
 */
export type ClaimTakeover =
  | { outcome: 'taken'; target: PostTarget }
  | { outcome: 'held'; retryInMs: number }
  | { outcome: 'gone' };

export interface ReconcileCandidates {
  /** Posts still `scheduled` (due or not): each must have a job in the queue. */
  scheduled: Pick<Post, 'id' | 'version' | 'scheduledAt'>[];
  /** Targets claimed (`publishing`) longer ago than the cut-off, by the store's clock: their worker died or hung. */
  stuckTargets: PostTarget[];
  /**
   * Pending targets of `publishing` posts, soonest due first (nextAttemptAt, else the post's
   * scheduledAt): each must have a publish job. Without one (Redis lost its data, or the enqueue after
   * the fan-out or after `retryFailedTargets` failed) the post would stay `publishing` forever.
   */
  pendingTargets: PendingTargetRef[];
  /**
   * Ids of `publishing` posts whose targets are all settled, soonest scheduled first: the roll-up never
   * ran (the worker died between the last settle and the roll-up).
   */
  unrolledPostIds: string[];
  /** First comments claimed (`publishing`) longer ago than the cut-off: their worker died or hung. */
  stuckComments: PendingTargetRef[];
  /**
   * First comments still `pending` on a published target, soonest due first: each must have a
   * publish job (its target's), or it would never be posted.
   */
  pendingComments: PendingTargetRef[];
}

/** The thread-part and first-comment methods (memory-content-progress.ts, postgres-content-progress.ts). */
export type ContentProgress = Pick<
  PostsAndTargets,
  'recordThreadPart' | 'claimComment' | 'settleComment' | 'takeOverComment'
>;

export interface PostsAndTargets {
  /** Creates the post and one pending target per account, in one transaction. */
  createPost(input: NewPost): Promise<Post>;
  /** The post with its targets; with `userId`, only if that user owns it. */
  getPost(id: string, userId?: string): Promise<Post | null>;
  /** The owner's posts, newest scheduledAt first, cursor-paginated. */
  listPosts(userId: string, query?: ListPostsQuery): Promise<PostPage>;
  /**
   * Applies changes to a `scheduled` post and bumps its version. `expectedVersion` guards against
   * lost updates (version_conflict); a post no longer scheduled is post_not_editable.
   */
  updatePost(id: string, userId: string, changes: PostChanges, expectedVersion?: number): Promise<Post>;
  /** Cancels a `scheduled` post and its pending targets. Idempotent for an already cancelled post. */
  cancelPost(id: string, userId: string): Promise<Post>;

  /**
   * Re-queues a `failed` or `partially_published` post's failed targets (never published or
   * unconfirmed ones): those targets go back to `pending` with a fresh attempt count, the post to
   * `publishing`, and its version is bumped so a new job id is used. Throws post_not_found,
   * post_not_editable (wrong status) or nothing_to_retry (no failed target with an account).
   */
  retryFailedTargets(id: string, userId: string): Promise<Post>;

  /** Compare-and-set `scheduled -> publishing` for exactly this version (see PostClaim). */
  claimPost(id: string, version: number): Promise<PostClaim>;
  /**
   * Compare-and-set `pending -> publishing` under a new claim token; counts the attempt. `claimedAt`
   * is the store's own clock at the moment the row changed (Postgres: `clock_timestamp()`), never the
   * caller's: every judgement of a claim's age (takeOverClaim, the reconciler) uses the same clock,
   * whatever the skew between worker machines or a slow round trip.
   * Null when the target is not pending (another claimer won, or it is settled or cancelled).
   * Claims asked for in the same tick may share one statement (postgres-target-claims.ts); each is
   * still its own compare-and-set.
   */
  claimTarget(targetId: string): Promise<ClaimedTarget | null>;
  /**
   * Takes a `publishing` target held under `claimToken` for a new run (a new token, claimedAt = now),
   * only when that claim is older than `abandonAfterMs` by the store's clock — a run that claimed it
   * more recently may still be sending and is left alone. Atomic: of several takers, one wins.
   */
  takeOverClaim(targetId: string, claimToken: string, abandonAfterMs: number): Promise<ClaimTakeover>;
  /**
   * Notes on a `publishing` target held under `claimToken` what its holder learned (e.g. the platform
   * refused a re-send as a duplicate, so a copy is live), for the run that takes it over. False when
   * the claim is no longer held.
   */
  noteOnClaim(
    targetId: string,
    claimToken: string,
    errorCode: string,
    errorMessage: string,
  ): Promise<boolean>;
  /**
   * Platform post ids stored for other targets of this account that were published at or after
   * `since` (at most 1000): a reconcile must never adopt a post another target already owns.
   */
  listTakenExternalIds(accountId: string, exceptTargetId: string, since: Date): Promise<string[]>;
  /**
   * Settles a target held under `claimToken` and appends the attempt log row, atomically, and says
   * whether the post has no target left to send (SettledTarget). Settles of one post's targets are
   * serialised, so exactly the last of them sees `postSettled`, and that one rolls the post up as
   * rollUpPost would (`postStatus`).
   * Throws claim_lost if the target is no longer `publishing` under that token.
   */
  settleTarget(
    targetId: string,
    claimToken: string,
    settlement: TargetSettlement,
    attempt: AttemptDetails,
  ): Promise<SettledTarget>;
  /**
   * Records a live part of the thread of a target held under `claimToken` (and an attempt-log row
   * with its id), in one compare-and-set; part 1's id and link become the target's. The target stays
   * `publishing` under the same claim (see ThreadPartRecord.renew). Throws claim_lost.
   */
  recordThreadPart(
    targetId: string,
    claimToken: string,
    part: ThreadPartRecord,
    attempt: AttemptDetails,
  ): Promise<PostTarget>;
  /**
   * Compare-and-set of a first comment `pending -> publishing` under a new claim token, only while its
   * target is published; counts the attempt; the comment's claimedAt (and firstSentAt, if unset) is the
   * store's clock. Null when it is not pending or its target not published.
   */
  claimComment(targetId: string): Promise<PostTarget | null>;
  /** Settles a first comment held under `claimToken`. Throws claim_lost when it is not held. */
  settleComment(targetId: string, claimToken: string, settlement: CommentSettlement): Promise<PostTarget>;
  /** takeOverClaim for a first comment (its own claim token and age). */
  takeOverComment(targetId: string, claimToken: string, abandonAfterMs: number): Promise<ClaimTakeover>;
  /** Sets the post status from its targets once all are settled (see rollUpPostStatus). */
  rollUpPost(id: string): Promise<Post>;
  /** `scheduled -> failed` with a reason (e.g. missed); pending targets fail with it. Null if not scheduled. */
  failScheduledPost(
    id: string,
    version: number,
    errorCode: string,
    errorMessage: string,
  ): Promise<Post | null>;
  /** What the reconciler must look at; `limit` (default DEFAULT_RECONCILE_LIMIT) applies to each list. */
  findReconcileCandidates(stuckForMs: number, limit?: number): Promise<ReconcileCandidates>;
  listAttempts(targetId: string): Promise<AttemptRecord[]>;
}
