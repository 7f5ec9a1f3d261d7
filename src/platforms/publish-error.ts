/**
 * The one error a platform adapter throws. Adapters classify every platform answer once, from
 * structured fields (status, the platform's error code, rate-limit headers), into a code people see
 * and a kind the worker acts on (src/worker/failure-policy.ts).
 */
import { AppError } from '../domain/error-codes.ts';
import type { Platform } from '../domain/platform.ts';

export const PUBLISH_ERROR_CODES = [
  'auth_expired',
  'auth_revoked',
  'permission_denied',
  'rate_limited',
  'content_invalid',
  'media_invalid',
  'media_unreachable',
  'duplicate_content',
  'post_missing',
  'quota_exceeded',
  'platform_unavailable',
  'network',
  'unknown',
  'outcome_unknown',
] as const;
export type PublishErrorCode = (typeof PUBLISH_ERROR_CODES)[number];

/**
 * What the worker does about it:
 * - rate_limited: wait until `retryAt`; does not count as a failed attempt
 * - transient: retry with backoff (5xx, or a network error before the request left us)
 * - auth: the creator must reconnect (after a refresh was tried); retrying cannot help
 * - rejected: the platform refused this content; the message explains why
 * - outcome_unknown: sent, but no answer; it may be live, so never blindly re-send (reconcile)
 */
export type PublishFailureKind = 'rate_limited' | 'transient' | 'auth' | 'rejected' | 'outcome_unknown';

const KIND_BY_CODE: Readonly<Record<PublishErrorCode, PublishFailureKind>> = {
  auth_expired: 'auth',
  auth_revoked: 'auth',
  permission_denied: 'rejected',
  rate_limited: 'rate_limited',
  content_invalid: 'rejected',
  media_invalid: 'rejected',
  media_unreachable: 'rejected',
  duplicate_content: 'rejected',
  post_missing: 'rejected',
  quota_exceeded: 'rate_limited',
  platform_unavailable: 'transient',
  network: 'transient',
  unknown: 'rejected',
  outcome_unknown: 'outcome_unknown',
};

export interface PublishErrorDetails {
  platform: Platform;
  /**
   * Overrides the kind the code implies, for a code whose cause may pass or last: `media_unreachable`
   * is `rejected` for a 404 or a private host, `transient` for a timeout or a 503 from the media host.
   * (Default: the code's kind)
   */
  kind?: PublishFailureKind;
  /** When the platform says we may try again (rate_limited, quota_exceeded). */
  retryAt?: Date | null;
  /** The platform's HTTP status, when it answered. */
  platformStatus?: number | null;
  /** The platform's own error code (e.g. LinkedIn's DUPLICATE_POST, Instagram's 9004). */
  platformCode?: string | null;
  /** The platform's own message, bounded. */
  platformMessage?: string | null;
  /** For `duplicate_content` where the platform names the existing post (LinkedIn). */
  existingExternalId?: string | null;
  cause?: unknown;
}

export class PublishError extends AppError {
  override readonly code: PublishErrorCode;
  readonly kind: PublishFailureKind;
  readonly retryable: boolean;
  readonly platform: Platform;
  readonly retryAt: Date | null;
  readonly platformStatus: number | null;
  readonly platformCode: string | null;
  readonly platformMessage: string | null;
  readonly existingExternalId: string | null;

  constructor(code: PublishErrorCode, message: string, details: PublishErrorDetails) {
    super(code, message, { platform: details.platform, platformStatus: details.platformStatus ?? null }, {
      cause: details.cause,
    });
    this.code = code;
    this.kind = details.kind ?? KIND_BY_CODE[code];
    this.retryable = this.kind === 'transient' || this.kind === 'rate_limited';
    this.platform = details.platform;
    this.retryAt = details.retryAt ?? null;
    this.platformStatus = details.platformStatus ?? null;
    this.platformCode = details.platformCode ?? null;
    this.platformMessage = details.platformMessage === undefined || details.platformMessage === null
      ? null
      : excerpt(details.platformMessage);
    this.existingExternalId = details.existingExternalId ?? null;
  }
}

/**
 * True when asking the platform again later may settle what this failure left open: it was
 * unreachable, throttled, answered 5xx, or timed out. A look-up that failed so is retried, not given up.
 */
export function mayAnswerLater(err: unknown): boolean {
  if (isPublishError(err)) return err.retryable || err.kind === 'outcome_unknown';
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

/** True for a PublishError, also across module copies (checks the name, as BullMQ does). */
export function isPublishError(err: unknown): err is PublishError {
  return err instanceof PublishError ||
    (typeof err === 'object' && err !== null && (err as Error).name === 'PublishError' && 'kind' in err);
}

const MAX_EXCERPT = 500;

/** A bounded excerpt of a platform body or message for the attempt log (never unbounded text). */
export function excerpt(text: string, max = MAX_EXCERPT): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
