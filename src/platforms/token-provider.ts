/**
 * Hands out usable tokens for an account, refreshing them when needed — once, even when several jobs
 * of one account need it at the same moment. X's refresh tokens rotate: a refresh spends the old one,
 * and reusing a spent one fails (and may revoke the whole token family), so:
 *
 * - In this process, refreshes are single-flight per account: concurrent callers share one refresh.
 * - Across processes, the new pair is stored with a compare-and-set on the refresh token it replaced
 *   (`store.updateAccountTokens(id, tokens, expectedRefreshToken)`). Before refreshing, the stored
 *   tokens are re-read: if another process already rotated them, those are used and nothing is sent.
 * - A refresh the platform refuses (spent or revoked refresh token) is first checked against the store
 *   for `raceGraceMs`: if another process stored a new pair meanwhile (it won the race at the
 *   platform), that pair is used. Otherwise the account becomes `needs_reconnect` and the error is
 *   `auth_expired` / `auth_revoked` with a message telling the creator to reconnect.
 *
 * - With a `refreshLock` (the worker passes a Redis lock per account, src/queue/refresh-lock.ts), a
 *   refresh runs only while holding the account's lock, and re-reads the store once it has it: a
 *   process that waited finds the pair the holder stored and sends nothing. Without the lock, two
 *   processes that both read the old pair before either stores could both send the refresh (the loser
 *   adopts the winner's pair as above, but a platform that revokes the token family on reuse would
 *   then kill the winner's pair too).
 *
 * Decrypted tokens are cached per account version (account-token-cache.ts), so a burst of targets of
 * one account reads and decrypts them once; every refresh and every rejection forgets the entry, and
 * the refresh path above always re-reads the store.
 *
 * Each shared refresh ends in one RefreshEvent for the listeners of `onRefresh` (the worker counts
 * them for GET /metrics): a listener, not an option, because the provider is built in the
 * composition root, which knows nothing of metrics.
 */
import type { Platform } from '../domain/platform.ts';
import type { AccountStatus, AccountTokens, SocialAccount } from '../domain/post.ts';
import type { TokenRefreshOutcome } from '../observability/metrics.ts';
import { createAccountTokenCache } from './account-token-cache.ts';
import type { AccountTokenCache } from './account-token-cache.ts';
import type { PublisherRegistry } from './registry.ts';
import type { PublishAccount } from './publisher.ts';
import { isPublishError, PublishError } from './publish-error.ts';

export interface TokenProvider {
  /** Decrypted tokens for the account, refreshed first when the publisher says they need it. */
  tokensFor(account: SocialAccount, signal: AbortSignal): Promise<AccountTokens>;
  /**
   * After the platform rejected `rejectedTokens` (401): the newer stored tokens if another job already
   * refreshed, else a refresh. Throws auth_expired (and marks the account) when none is possible.
   */
  refreshAfterRejection(
    account: SocialAccount,
    rejectedTokens: AccountTokens,
    signal: AbortSignal,
  ): Promise<AccountTokens>;
  /**
   * Calls `listener` once per shared refresh, with how it ended; returns the unsubscribe. A listener
   * that throws is ignored (it must never fail a send).
   */
  onRefresh(listener: (event: RefreshEvent) => void): () => void;
}

/**
 * One refresh, by outcome: `refreshed` at the platform (stored, or another process's pair adopted
 * after it won the compare-and-set); `adopted` another process's newer pair without asking the
 * platform; `reconnect_needed` (the account is now needs_reconnect); `error` (it failed otherwise: the
 * network, the platform, the store).
 */
export interface RefreshEvent {
  platform: Platform;
  outcome: TokenRefreshOutcome;
}

/**
 * The part of the account store the provider reads and writes, declared here so platforms/ does not
 * depend on store/ (the PostStore satisfies it).
 */
export interface AccountTokenStore {
  getAccountTokens(accountId: string): Promise<AccountTokens>;
  /** Compare-and-set on `expectedRefreshToken`; false when another process stored a pair first. */
  updateAccountTokens(
    accountId: string,
    tokens: AccountTokens,
    expectedRefreshToken?: string,
  ): Promise<boolean>;
  setAccountStatus(accountId: string, status: AccountStatus): Promise<void>;
}

export interface TokenProviderOptions {
  store: AccountTokenStore;
  publishers: PublisherRegistry;
  now?: () => Date;
  /**
   * Extra margin on top of each publisher's own: tokens are refreshed when they would need it this
   * much later. (Default: 0)
   */
  refreshSkewMs?: number;
  /** How long a refused refresh waits for another process's new pair to appear. (Default: 2000) */
  raceGraceMs?: number;
  /** The shared refresh's own deadline (it is not tied to any one caller's signal). (Default: 30 s) */
  refreshTimeoutMs?: number;
  /** Decrypted tokens per account version. (Default: a new createAccountTokenCache()) */
  cache?: AccountTokenCache;
  /** Serialises refreshes of one account across processes. (Default: none; in-process only) */
  refreshLock?: { withLock<T>(key: string, fn: () => Promise<T>): Promise<T> };
}

export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const { store, publishers } = options;
  const now = options.now ?? (() => new Date());
  const refreshSkewMs = options.refreshSkewMs ?? 0;
  const raceGraceMs = options.raceGraceMs ?? 2000;
  const refreshTimeoutMs = options.refreshTimeoutMs ?? 30_000;
  const inFlight = new Map<string, Promise<AccountTokens>>();
  const cache = options.cache ?? createAccountTokenCache();
  const listeners = new Set<(event: RefreshEvent) => void>();
  /** The errors needsReconnect made: the refreshes that ended with the account marked. */
  const reconnectErrors = new WeakSet<object>();

  function announce(platform: Platform, outcome: TokenRefreshOutcome): void {
    for (const listener of listeners) {
      try {
        listener({ platform, outcome });
      } catch {
        // A listener's failure is its own; the refresh already happened.
      }
    }
  }

  function publisherFor(account: SocialAccount) {
    return publishers[account.platform];
  }

  /** One refresh per account at a time; `from` is the pair the caller saw. */
  function refreshOnce(
    account: SocialAccount,
    from: AccountTokens,
    signal: AbortSignal,
  ): Promise<AccountTokens> {
    let shared = inFlight.get(account.id);
    if (!shared) {
      const run = () => observed(account, () => refresh(account, from));
      shared = (options.refreshLock ? options.refreshLock.withLock(account.id, run) : run()).finally(() => {
        inFlight.delete(account.id);
        cache.forget(account.id);
      });
      inFlight.set(account.id, shared);
    }
    return raceSignal(shared, signal, account);
  }

  /** Runs one refresh and announces how it ended. */
  async function observed(
    account: SocialAccount,
    run: () => Promise<{ tokens: AccountTokens; outcome: TokenRefreshOutcome }>,
  ): Promise<AccountTokens> {
    try {
      const { tokens, outcome } = await run();
      announce(account.platform, outcome);
      return tokens;
    } catch (err) {
      announce(account.platform, reconnectErrors.has(err as object) ? 'reconnect_needed' : 'error');
      throw err;
    }
  }

  async function refresh(
    account: SocialAccount,
    from: AccountTokens,
  ): Promise<{ tokens: AccountTokens; outcome: TokenRefreshOutcome }> {
    // Another process may have rotated since the caller read: use its pair, spend nothing.
    const current = await store.getAccountTokens(account.id);
    if (current.refreshToken !== from.refreshToken || current.accessToken !== from.accessToken) {
      return { tokens: current, outcome: 'adopted' };
    }
    if (!current.refreshToken) throw await needsReconnect(account, 'auth_expired', null);
    const publisher = publisherFor(account);
    const publishAccount: PublishAccount = {
      id: account.id,
      externalId: account.externalId,
      tokens: current,
    };
    let next: AccountTokens;
    try {
      next = await publisher.refresh(publishAccount, AbortSignal.timeout(refreshTimeoutMs));
    } catch (err) {
      if (!isPublishError(err) || err.kind !== 'auth') throw err;
      const adopted = await waitForRotation(account.id, current.refreshToken);
      if (adopted) return { tokens: adopted, outcome: 'adopted' };
      throw await needsReconnect(account, err.code === 'auth_revoked' ? 'auth_revoked' : 'auth_expired', err);
    }
    const stored = await store.updateAccountTokens(account.id, next, current.refreshToken);
    // Lost the compare-and-set: another process stored its pair first; the store is the truth.
    return { tokens: stored ? next : await store.getAccountTokens(account.id), outcome: 'refreshed' };
  }

  /** The stored pair once its refresh token differs from `spent`, polling for up to raceGraceMs. */
  async function waitForRotation(accountId: string, spent: string): Promise<AccountTokens | null> {
    const deadline = Date.now() + raceGraceMs;
    for (;;) {
      const stored = await store.getAccountTokens(accountId);
      if (stored.refreshToken !== spent) return stored;
      if (Date.now() >= deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, raceGraceMs)));
    }
  }

  async function needsReconnect(
    account: SocialAccount,
    code: 'auth_expired' | 'auth_revoked',
    cause: PublishError | null,
  ): Promise<PublishError> {
    await store.setAccountStatus(account.id, 'needs_reconnect');
    const what = code === 'auth_revoked'
      ? 'access was revoked'
      : 'the connection expired and could not be renewed';
    const error = new PublishError(
      code,
      `${account.platform} account ${
        account.displayName ?? account.externalId
      }: ${what}; reconnect the account to keep publishing`,
      {
        platform: account.platform,
        platformStatus: cause?.platformStatus ?? null,
        platformCode: cause?.platformCode ?? null,
        platformMessage: cause?.platformMessage ?? null,
        cause: cause ?? undefined,
      },
    );
    reconnectErrors.add(error);
    return error;
  }

  return {
    async tokensFor(account, signal) {
      const tokens = cache.get(account) ?? cache.put(account, await store.getAccountTokens(account.id));
      if (!publisherFor(account).needsRefresh(tokens, new Date(now().getTime() + refreshSkewMs))) {
        return tokens;
      }
      return refreshOnce(account, tokens, signal);
    },

    async refreshAfterRejection(account, rejectedTokens, signal) {
      cache.forget(account.id);
      const stored = await store.getAccountTokens(account.id);
      if (stored.accessToken !== rejectedTokens.accessToken) return stored;
      if (!stored.refreshToken) {
        // A refresh was needed and cannot happen: counted like one that the platform refused.
        const error = await needsReconnect(account, 'auth_expired', null);
        announce(account.platform, 'reconnect_needed');
        throw error;
      }
      return refreshOnce(account, stored, signal);
    },

    onRefresh(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

/** The shared refresh, but this caller stops waiting when its own signal aborts. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal, account: SocialAccount): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(account, signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(account, signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function abortError(account: SocialAccount, signal: AbortSignal): PublishError {
  return new PublishError(
    'network',
    `waiting for the ${account.platform} token refresh was aborted; nothing was sent`,
    {
      platform: account.platform,
      cause: signal.reason,
    },
  );
}
