/**
 * The port every platform adapter implements. An adapter knows HTTP and its platform, and nothing of
 * BullMQ, the database or Hono. It returns or throws PublishError; it never logs.
 */
import type { AccountTokens, MediaItem } from '../domain/post.ts';
import type { Platform } from '../domain/platform.ts';

export interface PublishContent {
  text: string;
  media: readonly MediaItem[];
  /**
   * X threads: the platform id of the post this one answers (the thread's previous part), sent as
   * `reply.in_reply_to_tweet_id`. Absent for a post that starts a conversation.
   */
  replyTo?: string;
}

/** One broken platform rule, e.g. { rule: 'text_too_long', message: 'X allows 280 weighted characters; this text has 301' }. */
export interface ContentViolation {
  platform: Platform;
  rule: string;
  message: string;
  /** Where in the content, e.g. "text" or "media[2].url". */
  path: string;
}

/** The account as an adapter sees it: ids and decrypted tokens, for the duration of one call. */
export interface PublishAccount {
  id: string;
  /** X user id, Instagram user id, LinkedIn author URN (urn:li:person:… / urn:li:organization:…). */
  externalId: string;
  tokens: AccountTokens;
}

export interface PublishRequest {
  postId: string;
  targetId: string;
  content: PublishContent;
  account: PublishAccount;
  /** 1 for the first attempt. */
  attempt: number;
  signal: AbortSignal;
}

/**
 * A look-up after a send whose outcome is unknown. The send window is `sentAfter` (when the ambiguous
 * send began, by the database's clock) to now; a post found outside it is not this send.
 */
export interface ReconcileRequest extends PublishRequest {
  sentAfter: Date;
  /**
   * Platform ids already stored as the externalId of another target of this account (posted in or
   * near the window): never adopted, however well they match.
   */
  takenExternalIds: readonly string[];
}

/**
 * A first comment on a post that is live: LinkedIn `POST /rest/socialActions/{urn}/comments`,
 * Instagram `POST /{ig-media-id}/comments`, X a reply. See docs/platform-apis.md.
 */
export interface CommentRequest {
  postId: string;
  targetId: string;
  /** The platform's id of the live post: X post id, Instagram media id, LinkedIn share/ugcPost URN. */
  on: string;
  text: string;
  account: PublishAccount;
  /** 1 for the first attempt. */
  attempt: number;
  signal: AbortSignal;
}

/** A look-up after a comment send whose outcome is unknown (the same window rules as ReconcileRequest). */
export interface CommentReconcileRequest extends CommentRequest {
  sentAfter: Date;
  /** Comment ids already recorded for other targets: never adopted. */
  takenExternalIds: readonly string[];
}

export interface Published {
  externalId: string;
  url: string | null;
}

/**
 * What the platform says about an earlier send whose outcome we never learned:
 * `published` (adopt it, never send again), `not_published` (safe to send), `unknown` (cannot tell:
 * the worker marks the target unconfirmed rather than risk a duplicate).
 */
export type ReconcileResult =
  | { status: 'published'; published: Published }
  | { status: 'not_published' }
  | {
    status: 'unknown';
    reason: string;
    /** True when the platform could not be asked just now (down, throttled): asking later may tell. */
    retryable?: boolean;
  };

export interface OAuthStart {
  state: string;
  redirectUri: string;
  /** PKCE S256 challenge, for platforms that use it (X). */
  codeChallenge?: string;
}

export interface ConnectedAccount {
  externalId: string;
  displayName: string | null;
  scopes: string[];
  tokens: AccountTokens;
}

export interface Publisher {
  readonly platform: Platform;
  readonly maxTextLength: number;
  /** The platform's own length count (X weights URLs and CJK; LinkedIn counts code points). */
  textLength(text: string): number;
  /** Every rule the content breaks on this platform (empty when it may be sent). */
  validate(content: PublishContent): ContentViolation[];
  publish(request: PublishRequest): Promise<Published>;
  /**
   * A first comment's length as the platform counts it, and its limit, when they differ from a post's
   * (LinkedIn: 1250 code points). (Default: textLength and maxTextLength)
   */
  readonly maxCommentLength?: number;
  commentLength?(text: string): number;
  /** Every rule a first comment's text breaks on this platform (path `firstComment`). */
  validateComment(text: string): ContentViolation[];
  /** Posts a comment on a live post; returns the comment's id and link. Throws PublishError. */
  comment(request: CommentRequest): Promise<Published>;
  /** Looks for an earlier comment send whose outcome is unknown; absent when the platform cannot tell. */
  reconcileComment?(request: CommentReconcileRequest): Promise<ReconcileResult>;
  /** Looks for the result of an ambiguous earlier send; absent when the platform cannot tell. */
  reconcile?(request: ReconcileRequest): Promise<ReconcileResult>;
  /** True when the account's tokens should be refreshed before use. */
  needsRefresh(tokens: AccountTokens, now: Date): boolean;
  /** New tokens (rotating refresh tokens: the old refresh token is spent). Throws PublishError. */
  refresh(account: PublishAccount, signal: AbortSignal): Promise<AccountTokens>;
  authorizationUrl(start: OAuthStart): string;
  exchangeCode(
    params: { code: string; redirectUri: string; codeVerifier?: string },
    signal: AbortSignal,
  ): Promise<ConnectedAccount>;
}
