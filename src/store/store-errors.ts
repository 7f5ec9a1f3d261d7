/**
 * The typed errors every store adapter throws, built in one place so memory and Postgres name the
 * same code with the same message and context.
 */
import type { ErrorCode } from '../domain/error-codes.ts';
import { AppError } from '../domain/error-codes.ts';
import type { PostStatus, TargetStatus } from '../domain/post.ts';

export class StoreError extends AppError {}

export function storeError(
  code: ErrorCode,
  message: string,
  context: Record<string, unknown> = {},
): StoreError {
  return new StoreError(code, message, context);
}

export function postNotFound(id: string): StoreError {
  return storeError('post_not_found', `post ${id} does not exist or belongs to another user`, { postId: id });
}

export function accountNotFound(id: string): StoreError {
  return storeError(
    'account_not_found',
    `social account ${id} does not exist or belongs to another user; list the connected accounts and use one of their ids`,
    { accountId: id },
  );
}

export function postNotEditable(id: string, status: PostStatus): StoreError {
  return storeError(
    'post_not_editable',
    `post ${id} is ${status}: only a scheduled post can change; publishing has begun or the post is finished`,
    { postId: id, status },
  );
}

export function postNotRetryable(id: string, status: PostStatus): StoreError {
  return storeError(
    'post_not_editable',
    `post ${id} is ${status}: only a failed or partially published post can be retried`,
    { postId: id, status },
  );
}

export function nothingToRetry(id: string): StoreError {
  return storeError(
    'nothing_to_retry',
    `post ${id} has no failed target whose account is still connected; reconnect the account and schedule a new post`,
    { postId: id },
  );
}

export function versionConflict(id: string, expected: number, actual: number): StoreError {
  return storeError(
    'version_conflict',
    `post ${id} is at version ${actual}, not ${expected}: it changed since you read it; reload and apply the change again`,
    { postId: id, expectedVersion: expected, version: actual },
  );
}

export function claimLost(targetId: string, status: TargetStatus | null): StoreError {
  return storeError(
    'claim_lost',
    `target ${targetId} is no longer held by this claim (now ${
      status ?? 'gone'
    }); another worker or the reconciler took it`,
    { targetId, status },
  );
}

/** Turns the cipher's failure into a StoreError naming the account. */
export function tokenDecryptFailed(accountId: string, cause: unknown): StoreError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(
    'token_decrypt_failed',
    `tokens of social account ${accountId} cannot be decrypted: ${reason}`,
    { accountId },
    { cause },
  );
}

/**
 * Runs a write that names `userId`, turning Postgres' foreign-key refusal of a user that auth.users
 * does not hold — a token that outlived its user, deleted meanwhile — into `user_unknown` (the API
 * answers 401: sign in again), instead of a database error.
 */
export async function asKnownUser<T>(userId: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const { code, constraint_name: constraint } = err as { code?: unknown; constraint_name?: unknown };
    if (code === '23503' && typeof constraint === 'string' && constraint.endsWith('user_id_fkey')) {
      throw storeError(
        'user_unknown',
        `user ${userId} does not exist (deleted after the token was issued?); sign in again`,
        { userId },
      );
    }
    throw err;
  }
}
