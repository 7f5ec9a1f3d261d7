/**
 * The whole Store: every port the API, the worker and the reconciler use, plus the connection's
 * lifecycle. Each port lives in its own module with its Postgres and memory adapters beside it:
 *
 * - PostsAndTargets (posts-and-targets.ts): posts, targets, claims, attempts, reconcile candidates
 * - AccountStore (account-store.ts): social accounts and their encrypted tokens
 * - IdempotencyKeyStore (idempotency-key-store.ts): remembered Idempotency-Key requests
 * - OAuthStateStore (oauth-state-store.ts): pending OAuth connections
 *
 * `createPostgresPostStore` and `createMemoryPostStore` compose the adapters into one PostStore. The
 * types are re-exported here so callers that take the whole store keep one import; new code should
 * depend on the ports it needs.
 */
import type { AttemptOutcome } from '../domain/post.ts';
import type { AccountStore } from './account-store.ts';
import type { IdempotencyKeyStore } from './idempotency-key-store.ts';
import type { OAuthStateStore } from './oauth-state-store.ts';
import type { PostsAndTargets } from './posts-and-targets.ts';

export { StoreError, storeError } from './store-errors.ts';
export type { AccountStore, NewAccount } from './account-store.ts';
export type {
  IdempotencyKeyStore,
  IdempotencyRecord,
  IdempotencyReservation,
} from './idempotency-key-store.ts';
export type {
  ConsumeOAuthState,
  NewOAuthState,
  OAuthStateRecord,
  OAuthStateStore,
} from './oauth-state-store.ts';
export type {
  AttemptDetails,
  ClaimedTarget,
  ClaimTakeover,
  CommentSettlement,
  ListPostsQuery,
  NewPost,
  PendingTargetRef,
  PostChanges,
  PostClaim,
  PostPage,
  PostsAndTargets,
  ReconcileCandidates,
  SettledTarget,
  TargetContent,
  TargetSettlement,
  ThreadPartRecord,
} from './posts-and-targets.ts';
export type { AttemptOutcome };

/** The connection's lifecycle, shared by every port of one store. */
export interface StoreLifecycle {
  /** Resolves when storage answers; throws otherwise (readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type PostStore =
  & PostsAndTargets
  & AccountStore
  & IdempotencyKeyStore
  & OAuthStateStore
  & StoreLifecycle;
