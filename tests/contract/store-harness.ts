/**
 * What every store contract suite (posts, accounts, idempotency keys, OAuth states) shares: the
 * harness an adapter's test file hands in, the fixed clock of the fixtures, and the fixtures that
 * create accounts and posts through the store under test.
 */
import assert from 'node:assert/strict';
import type { Platform } from '../../src/domain/platform.ts';
import type { AccountStore } from '../../src/store/account-store.ts';
import type { PostsAndTargets } from '../../src/store/posts-and-targets.ts';

export interface StoreHarness<S> {
  store: S;
  /** A user id the store accepts as an owner (Postgres: a row in auth.users). */
  createUser(): Promise<string>;
  cleanup(): Promise<void>;
}

/** A harness whose store clock a suite can set, for records it must make in the past. */
export interface ClockedHarness<S> extends StoreHarness<S> {
  /** The time the store's clock answers from now on; null = the real clock again. */
  setClock(at: Date | null): void;
}

/** A harness for the suites about claims, which must age them by the store's clock. */
export interface ClaimsHarness<S> extends StoreHarness<S> {
  /** Makes every claim made so far `ms` older by the store's clock (as if that much time passed). */
  ageClaims(ms: number): Promise<void>;
  /**
   * Puts a rolled-up post back to `publishing`, its targets as they are: what a worker that died
   * between a post's last settle and its roll-up leaves behind (the reconciler finishes it).
   */
  unrollPost(postId: string): Promise<void>;
}

export interface ContractOptions {
  /** A reason to skip the suite (e.g. no database), or false. */
  skip?: string | false;
}

/** A clock that answers a set time, or the real one while none is set. */
export function settableClock(): { now: () => Date; set: (at: Date | null) => void } {
  let fixed: Date | null = null;
  return {
    now: () => fixed ? new Date(fixed) : new Date(),
    set: (at) => {
      fixed = at;
    },
  };
}

export const HOUR = 3_600_000;
export const BASE = Date.parse('2030-01-01T00:00:00.000Z');
export const at = (hours: number) => new Date(BASE + hours * HOUR);

export function expectCode(code: string) {
  return (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, `expected ${code}, got ${String(err)}`);
    return true;
  };
}

/**
 * Accounts and posts made through the store under test. `harness` is read on each call: suites
 * build theirs in `before`.
 */
export function storeFixtures(harness: () => StoreHarness<AccountStore & PostsAndTargets>) {
  let accountSeq = 0;
  function account(userId: string, platform: Platform = 'x') {
    accountSeq += 1;
    return harness().store.createAccount({
      userId,
      platform,
      externalId: `ext-${accountSeq}-${crypto.randomUUID()}`,
      displayName: `Account ${accountSeq}`,
      scopes: ['post.write'],
      tokens: {
        accessToken: `access-${accountSeq}`,
        refreshToken: `refresh-${accountSeq}`,
        expiresAt: at(1),
      },
    });
  }

  /** A user with an X and a LinkedIn account and a post scheduled to both. */
  async function scenario(scheduledAt = at(24)) {
    const userId = await harness().createUser();
    const x = await account(userId, 'x');
    const linkedin = await account(userId, 'linkedin');
    const post = await harness().store.createPost({
      userId,
      text: 'Hello world',
      media: [{ url: 'https://cdn.example.test/a.jpg', altText: 'a cat' }],
      scheduledAt,
      accountIds: [x.id, linkedin.id],
    });
    return { userId, x, linkedin, post };
  }

  return { account, scenario };
}
