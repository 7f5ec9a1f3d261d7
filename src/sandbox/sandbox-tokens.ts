/**
 * The OAuth token registry shared by the sandbox platforms: issues, expires, rotates and revokes
 * access/refresh tokens, and records every refresh attempt so tests can count them. It reads the
 * sandbox clock (`now`) so `advanceClock` expires tokens without waiting.
 */
import type { Platform } from '../domain/platform.ts';

export interface TokenRecord {
  platform: Platform;
  accessToken: string;
  refreshToken: string | null;
  /** Who the token acts for: X user id, Instagram user id, LinkedIn member URN. */
  subject: string;
  scopes: string[];
  clientId: string | null;
  issuedAt: Date;
  expiresAt: Date;
  refreshExpiresAt: Date | null;
  /** Tokens issued from one authorization share a family (X may revoke a whole family). */
  family: string;
  revoked: boolean;
}

export interface IssueTokenInput {
  platform: Platform;
  subject: string;
  scopes?: string[];
  clientId?: string | null;
  /** Lifetime of the access token. */
  accessTtlMs: number;
  /** Lifetime of the refresh token; null or absent: it does not expire (if one is issued). */
  refreshTtlMs?: number | null;
  /** Issue a refresh token. (Default: true when refreshTtlMs or refreshToken is given) */
  withRefresh?: boolean;
  /** Fixed values (demo accounts, tests); random otherwise. */
  accessToken?: string;
  refreshToken?: string;
  /** Continue a family (refresh); a new family otherwise. */
  family?: string;
  /** Keeps a refresh-token expiry instead of computing one (LinkedIn: refreshing does not extend it). */
  refreshExpiresAt?: Date | null;
}

export type AccessCheck =
  | { status: 'valid'; record: TokenRecord }
  | { status: 'expired'; record: TokenRecord }
  | { status: 'revoked'; record: TokenRecord }
  | { status: 'unknown' };

export type RotateResult =
  | { status: 'rotated'; record: TokenRecord; previous: TokenRecord }
  /** The refresh token was already used once. */
  | { status: 'spent'; record: TokenRecord }
  | { status: 'expired'; record: TokenRecord }
  | { status: 'revoked'; record: TokenRecord }
  | { status: 'unknown' };

export interface TokenRegistry {
  issue(input: IssueTokenInput): TokenRecord;
  checkAccess(platform: Platform, accessToken: string): AccessCheck;
  /**
   * Spends `refreshToken` and issues a new pair in the same family (rotation). A second use of the same
   * refresh token is `spent`; with `revokeFamilyOnReuse` it also revokes the family's live tokens.
   */
  rotate(
    platform: Platform,
    refreshToken: string,
    options: {
      accessTtlMs: number;
      refreshTtlMs?: number | null;
      /** Keep the spent token's refresh expiry (LinkedIn: refreshing does not extend it). */
      keepRefreshExpiry?: boolean;
      /** Reusing a spent refresh token revokes the whole family (reported for X). */
      revokeFamilyOnReuse?: boolean;
      /** The access token issued with the spent refresh token stops working at once. (Default: false) */
      revokePreviousAccess?: boolean;
    },
  ): RotateResult;
  /** Makes an access token expired now (the refresh token stays usable). */
  expire(platform: Platform, accessToken: string): boolean;
  /** Revokes one token, or with `family: true` every token of its family. */
  revoke(platform: Platform, token: string, options?: { family?: boolean }): boolean;
  find(platform: Platform, token: string): TokenRecord | null;
  /** Every record of a platform (newest last). */
  list(platform?: Platform): TokenRecord[];
  /** Every use of a refresh token, successful or not (tests count them). */
  refreshAttempts(platform?: Platform): RefreshAttempt[];
  /** Records a refresh attempt that did not go through `rotate` (Instagram's token refresh). */
  noteRefreshAttempt(attempt: Omit<RefreshAttempt, 'at'>): void;
}

export interface RefreshAttempt {
  platform: Platform;
  /** First 6 characters only: enough to tell tokens apart, never the whole secret. */
  tokenPrefix: string;
  outcome: RotateResult['status'] | 'refreshed' | 'rejected';
  at: Date;
}

/** The registry plus `clear()`, which only the knobs' `reset()` should call. */
export type ClearableTokenRegistry = TokenRegistry & { clear(): void };

function randomToken(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return prefix +
    btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function createTokenRegistry(now: () => Date): ClearableTokenRegistry {
  let records: TokenRecord[] = [];
  const byAccess = new Map<string, TokenRecord>();
  const byRefresh = new Map<string, TokenRecord>();
  /** Refresh tokens already exchanged, pointing at the record they were spent from. */
  const spent = new Map<string, TokenRecord>();
  let attempts: RefreshAttempt[] = [];
  const key = (platform: Platform, token: string) => `${platform}\u0000${token}`;

  function note(platform: Platform, token: string, outcome: RefreshAttempt['outcome']) {
    attempts.push({ platform, tokenPrefix: token.slice(0, 6), outcome, at: now() });
  }

  const registry: ClearableTokenRegistry = {
    issue(input) {
      const issuedAt = now();
      const hasRefresh = input.withRefresh ??
        (input.refreshToken !== undefined ||
          (input.refreshTtlMs !== undefined && input.refreshTtlMs !== null));
      const record: TokenRecord = {
        platform: input.platform,
        accessToken: input.accessToken ?? randomToken(`${input.platform}-at-`),
        refreshToken: hasRefresh ? input.refreshToken ?? randomToken(`${input.platform}-rt-`) : null,
        subject: input.subject,
        scopes: input.scopes ?? [],
        clientId: input.clientId ?? null,
        issuedAt,
        expiresAt: new Date(issuedAt.getTime() + input.accessTtlMs),
        refreshExpiresAt: input.refreshExpiresAt !== undefined
          ? input.refreshExpiresAt
          : hasRefresh && input.refreshTtlMs
          ? new Date(issuedAt.getTime() + input.refreshTtlMs)
          : null,
        family: input.family ?? crypto.randomUUID(),
        revoked: false,
      };
      records.push(record);
      byAccess.set(key(record.platform, record.accessToken), record);
      if (record.refreshToken) byRefresh.set(key(record.platform, record.refreshToken), record);
      return record;
    },
    checkAccess(platform, accessToken) {
      const record = byAccess.get(key(platform, accessToken));
      if (!record) return { status: 'unknown' };
      if (record.revoked) return { status: 'revoked', record };
      if (now().getTime() >= record.expiresAt.getTime()) return { status: 'expired', record };
      return { status: 'valid', record };
    },
    rotate(platform, refreshToken, options) {
      const spentFrom = spent.get(key(platform, refreshToken));
      if (spentFrom) {
        note(platform, refreshToken, 'spent');
        if (options.revokeFamilyOnReuse) revokeFamily(platform, spentFrom.family);
        return { status: 'spent', record: spentFrom };
      }
      const record = byRefresh.get(key(platform, refreshToken));
      if (!record) {
        note(platform, refreshToken, 'unknown');
        return { status: 'unknown' };
      }
      if (record.revoked) {
        note(platform, refreshToken, 'revoked');
        return { status: 'revoked', record };
      }
      if (record.refreshExpiresAt && now().getTime() >= record.refreshExpiresAt.getTime()) {
        note(platform, refreshToken, 'expired');
        return { status: 'expired', record };
      }
      byRefresh.delete(key(platform, refreshToken));
      spent.set(key(platform, refreshToken), record);
      if (options.revokePreviousAccess) record.revoked = true;
      const next = registry.issue({
        platform,
        subject: record.subject,
        scopes: record.scopes,
        clientId: record.clientId,
        accessTtlMs: options.accessTtlMs,
        refreshTtlMs: options.refreshTtlMs ?? null,
        refreshToken: randomToken(`${platform}-rt-`),
        family: record.family,
        refreshExpiresAt: options.keepRefreshExpiry ? record.refreshExpiresAt : undefined,
      });
      note(platform, refreshToken, 'rotated');
      return { status: 'rotated', record: next, previous: record };
    },
    expire(platform, accessToken) {
      const record = byAccess.get(key(platform, accessToken));
      if (!record) return false;
      record.expiresAt = new Date(Math.min(record.expiresAt.getTime(), now().getTime() - 1));
      return true;
    },
    revoke(platform, token, options = {}) {
      const record = byAccess.get(key(platform, token)) ?? byRefresh.get(key(platform, token)) ??
        spent.get(key(platform, token));
      if (!record) return false;
      if (options.family) revokeFamily(platform, record.family);
      else record.revoked = true;
      return true;
    },
    find(platform, token) {
      return byAccess.get(key(platform, token)) ?? byRefresh.get(key(platform, token)) ?? null;
    },
    list(platform) {
      return records.filter((r) => platform === undefined || r.platform === platform);
    },
    refreshAttempts(platform) {
      return attempts.filter((a) => platform === undefined || a.platform === platform);
    },
    noteRefreshAttempt(attempt) {
      attempts.push({ ...attempt, tokenPrefix: attempt.tokenPrefix.slice(0, 6), at: now() });
    },
    clear() {
      records = [];
      byAccess.clear();
      byRefresh.clear();
      spent.clear();
      attempts = [];
    },
  };

  function revokeFamily(platform: Platform, family: string) {
    for (const r of records) if (r.platform === platform && r.family === family) r.revoked = true;
  }
  return registry;
}
