/**
 * The rows the Postgres adapter reads (snake_case, as in supabase/migrations) and their mapping to
 * the domain types. postgres.js parses timestamptz to Date, int4 to number, jsonb to objects and
 * returns uuid as a lowercase string; bigint ids are selected as text.
 */
import type { Platform } from '../domain/platform.ts';
import type {
  AccountStatus,
  AttemptOutcome,
  AttemptRecord,
  MediaItem,
  Post,
  PostStatus,
  PostTarget,
  SocialAccount,
  TargetStatus,
} from '../domain/post.ts';
import type { CommentStatus, TargetComment, ThreadPart } from '../domain/post-content.ts';

export interface PostRow {
  id: string;
  user_id: string;
  text: string;
  media: MediaItem[];
  scheduled_at: Date;
  first_comment: string | null;
  status: PostStatus;
  version: number;
  error_code: string | null;
  error_message: string | null;
  published_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface TargetRow {
  id: string;
  post_id: string;
  user_id: string;
  account_id: string | null;
  platform: Platform;
  status: TargetStatus;
  text: string | null;
  thread: ThreadPart[] | null;
  first_comment: string | null;
  comment_status: CommentStatus | null;
  comment_attempts: number;
  comment_next_attempt_at: Date | null;
  comment_claim_token: string | null;
  comment_claimed_at: Date | null;
  comment_first_sent_at: Date | null;
  comment_external_id: string | null;
  comment_external_url: string | null;
  comment_error_code: string | null;
  comment_error_message: string | null;
  attempts: number;
  next_attempt_at: Date | null;
  claim_token: string | null;
  claimed_at: Date | null;
  first_sent_at: Date | null;
  external_id: string | null;
  external_url: string | null;
  error_code: string | null;
  error_message: string | null;
  published_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The account columns safe to read anywhere: never the token ciphertexts. */
export interface AccountRow {
  id: string;
  user_id: string;
  platform: Platform;
  external_id: string;
  display_name: string | null;
  status: AccountStatus;
  scopes: string[];
  token_expires_at: Date | null;
  refreshed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface AccountSecretRow {
  id: string;
  access_token_ciphertext: string;
  refresh_token_ciphertext: string | null;
  token_expires_at: Date | null;
}

export interface AttemptRow {
  id: string;
  target_id: string;
  post_id: string;
  user_id: string;
  attempt: number;
  outcome: AttemptOutcome;
  started_at: Date;
  finished_at: Date;
  duration_ms: number;
  platform_status: number | null;
  error_code: string | null;
  error_message: string | null;
  external_id: string | null;
}

export function toPost(row: PostRow, targets: PostTarget[]): Post {
  return {
    id: row.id,
    userId: row.user_id,
    text: row.text,
    firstComment: row.first_comment,
    media: row.media,
    scheduledAt: row.scheduled_at,
    status: row.status,
    version: row.version,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    publishedAt: row.published_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    targets,
  };
}

export function toTarget(row: TargetRow): PostTarget {
  return {
    id: row.id,
    postId: row.post_id,
    userId: row.user_id,
    accountId: row.account_id,
    platform: row.platform,
    status: row.status,
    text: row.text,
    thread: row.thread,
    firstComment: row.first_comment,
    comment: toComment(row),
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    externalId: row.external_id,
    externalUrl: row.external_url,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    publishedAt: row.published_at,
    claimToken: row.claim_token,
    claimedAt: row.claimed_at,
    firstSentAt: row.first_sent_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toComment(row: TargetRow): TargetComment | null {
  if (row.comment_status === null) return null;
  return {
    status: row.comment_status,
    attempts: row.comment_attempts,
    nextAttemptAt: row.comment_next_attempt_at,
    externalId: row.comment_external_id,
    externalUrl: row.comment_external_url,
    errorCode: row.comment_error_code,
    errorMessage: row.comment_error_message,
    claimToken: row.comment_claim_token,
    claimedAt: row.comment_claimed_at,
    firstSentAt: row.comment_first_sent_at,
  };
}

export function toAccount(row: AccountRow): SocialAccount {
  return {
    id: row.id,
    userId: row.user_id,
    platform: row.platform,
    externalId: row.external_id,
    displayName: row.display_name,
    status: row.status,
    scopes: row.scopes,
    tokenExpiresAt: row.token_expires_at,
    refreshedAt: row.refreshed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    id: row.id,
    targetId: row.target_id,
    postId: row.post_id,
    userId: row.user_id,
    attempt: row.attempt,
    outcome: row.outcome,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
    platformStatus: row.platform_status,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    externalId: row.external_id,
  };
}
