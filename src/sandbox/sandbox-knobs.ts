/**
 * Shared state and knobs of the sandbox platforms (X, Instagram, LinkedIn on one local server).
 * Every platform sandbox receives the same SandboxKnobs and uses it for:
 *
 * - the clock: `knobs.now()` (tests move it with `advanceClock(ms)` to expire tokens without waiting);
 * - `knobs.middleware(platform, render)`: install first on each platform app. It logs the request,
 *   applies latency, and serves injected faults (see FaultRule) before the handler runs — except
 *   `drop`, which lets the handler run (the post IS recorded) and then closes the connection unanswered;
 * - quotas: `consumeQuota(name, key, { limit, windowMs })`, fixed windows, limits overridable by name
 *   with `setQuota(name, limit)`;
 * - tokens: `knobs.tokens` issues, expires, rotates and revokes OAuth tokens for every platform;
 * - `recordPublished(...)` / `published(platform?)`: what each platform received and made live;
 * - settings: free-form, namespaced per platform (`'linkedin.unescapedText'`), read with
 *   `setting(name, fallback)` and changed through the control API;
 * - ids: `nextId(name)` — a per-name counter.
 *
 * Accept-then-drop needs the raw socket. Under @hono/node-server it is `c.env.incoming.socket`; the
 * default dropper destroys it. Where no socket is reachable (in-process `app.request`), the answer is
 * sent with a body stream that errors, which a client sees as a connection lost mid-answer.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Platform } from '../domain/platform.ts';

export type SandboxPlatform = Platform;

/**
 * - `status`: answer with `status` (default 503) before the handler runs
 * - `rate_limit`: the platform's rate-limit answer, reset `resetAfterSeconds` from now (default 900)
 * - `timeout`: never answer; hang until the client gives up (or the sandbox closes: then 504)
 * - `drop`: run the handler (the request takes effect), then close the connection without answering
 */
export type FaultMode = 'status' | 'rate_limit' | 'timeout' | 'drop';

export interface FaultRuleInput {
  platform: SandboxPlatform;
  mode: FaultMode;
  /**
   * Platform-relative path without query (`/2/tweets`, not `/x/2/tweets`). Exact match, or a prefix
   * when it ends with `*`. (Default: '*', every path)
   */
  path?: string;
  /** Upper-case HTTP method. (Default: any) */
  method?: string;
  /** How many matching requests it applies to. (Default: 1) */
  times?: number;
  /** For `status`. (Default: 503) */
  status?: number;
  /**
   * For `status`: answer with exactly this body instead of the platform's error envelope (an HTML
   * error page, truncated JSON: answers an adapter cannot understand).
   */
  body?: string;
  /** For `status` with `body`. (Default: text/html) */
  contentType?: string;
  /** For `rate_limit`. (Default: 900) */
  resetAfterSeconds?: number;
}

export interface FaultRule extends Required<Omit<FaultRuleInput, 'method' | 'body' | 'contentType'>> {
  id: number;
  method: string | null;
  body: string | null;
  contentType: string;
  /** Requests it still applies to. */
  remaining: number;
}

/** How a platform renders injected faults in its own envelope. Missing entries use generic JSON. */
export interface FaultRenderers {
  serverError?(c: Context, status: number): Response | Promise<Response>;
  rateLimited?(c: Context, resetAt: Date): Response | Promise<Response>;
}

export interface QuotaCheck {
  limit: number;
  used: number;
  remaining: number;
  resetAt: Date;
  /** True when this call was refused (nothing was consumed). */
  exceeded: boolean;
}

export interface TokenRecord {
  platform: SandboxPlatform;
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
  platform: SandboxPlatform;
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
  checkAccess(platform: SandboxPlatform, accessToken: string): AccessCheck;
  /**
   * Spends `refreshToken` and issues a new pair in the same family (rotation). A second use of the same
   * refresh token is `spent`; with `revokeFamilyOnReuse` it also revokes the family's live tokens.
   */
  rotate(
    platform: SandboxPlatform,
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
  expire(platform: SandboxPlatform, accessToken: string): boolean;
  /** Revokes one token, or with `family: true` every token of its family. */
  revoke(platform: SandboxPlatform, token: string, options?: { family?: boolean }): boolean;
  find(platform: SandboxPlatform, token: string): TokenRecord | null;
  /** Every record of a platform (newest last). */
  list(platform?: SandboxPlatform): TokenRecord[];
  /** Every use of a refresh token, successful or not (tests count them). */
  refreshAttempts(platform?: SandboxPlatform): RefreshAttempt[];
  /** Records a refresh attempt that did not go through `rotate` (Instagram's token refresh). */
  noteRefreshAttempt(attempt: Omit<RefreshAttempt, 'at'>): void;
}

export interface RefreshAttempt {
  platform: SandboxPlatform;
  /** First 6 characters only: enough to tell tokens apart, never the whole secret. */
  tokenPrefix: string;
  outcome: RotateResult['status'] | 'refreshed' | 'rejected';
  at: Date;
}

export interface PublishedRecord {
  platform: SandboxPlatform;
  /** The platform's id for the new post (tweet id, IG media id, LinkedIn URN). */
  id: string;
  /** The account it was published as. */
  subject: string;
  /** The text as the platform shows it (after LinkedIn's little-text parsing, etc.). */
  text: string;
  /** Media ids or URLs as the platform received them. */
  media: string[];
  /** The request body as received, for the web page and tests. */
  received: unknown;
  url: string | null;
  publishedAt: Date;
}

export interface RequestRecord {
  platform: SandboxPlatform;
  method: string;
  /** Platform-relative path, without the query string. */
  path: string;
  status: number | null;
  /** The fault that served it, if any. */
  fault: FaultMode | null;
  at: Date;
}

export interface SandboxClient {
  clientId: string;
  clientSecret: string;
}

export interface SandboxKnobsOptions {
  /** The base clock; `advanceClock` adds to it. (Default: () => new Date()) */
  now?: () => Date;
  /** OAuth apps the sandbox accepts. (Default: `sandbox-<platform>-client` / `sandbox-<platform>-secret`) */
  clients?: Partial<Record<SandboxPlatform, SandboxClient>>;
  /** Replaces the connection dropper (see module doc). Return false when it could not drop. */
  dropConnection?: (c: Context) => boolean;
}

export interface SandboxKnobs {
  now(): Date;
  advanceClock(ms: number): void;
  client(platform: SandboxPlatform): SandboxClient;

  /** Latency added to every request of a platform (or of all platforms). */
  setLatency(ms: number, platform?: SandboxPlatform): void;
  latency(platform: SandboxPlatform): number;

  injectFault(input: FaultRuleInput): FaultRule;
  faults(): FaultRule[];
  clearFaults(): void;
  /** Consumes one use of the first rule matching the request, or returns null. */
  takeFault(platform: SandboxPlatform, method: string, path: string): FaultRule | null;

  setQuota(name: string, limit: number): void;
  /** Counts one use against `name` for `key` in a fixed window; refused when the limit is reached. */
  consumeQuota(name: string, key: string, defaults: { limit: number; windowMs: number }): QuotaCheck;
  /** The same, without consuming. */
  peekQuota(name: string, key: string, defaults: { limit: number; windowMs: number }): QuotaCheck;

  readonly tokens: TokenRegistry;

  recordPublished(record: Omit<PublishedRecord, 'publishedAt'> & { publishedAt?: Date }): PublishedRecord;
  published(platform?: SandboxPlatform): PublishedRecord[];

  requests(platform?: SandboxPlatform): RequestRecord[];

  setting<T>(name: string, fallback: T): T;
  setSettings(values: Record<string, unknown>): void;
  settings(): Record<string, unknown>;

  nextId(name: string): number;

  /** Hono middleware for a platform app: request log, latency, faults (install it first). */
  middleware(platform: SandboxPlatform, render?: FaultRenderers): MiddlewareHandler;
  /** Answers every hanging `timeout` request (504) — call before closing the server. */
  releaseHangs(): void;
  /** Clears faults, quotas, tokens, published posts, requests, settings and the clock offset. */
  reset(): void;
}

const MAX_REQUEST_LOG = 2000;

export function createSandboxKnobs(options: SandboxKnobsOptions = {}): SandboxKnobs {
  const baseNow = options.now ?? (() => new Date());
  let clockOffsetMs = 0;
  const latencies = new Map<SandboxPlatform | '*', number>();
  let faultRules: FaultRule[] = [];
  let faultSeq = 0;
  const quotaLimits = new Map<string, number>();
  const quotaWindows = new Map<string, { start: number; used: number }>();
  let publishedRecords: PublishedRecord[] = [];
  let requestLog: RequestRecord[] = [];
  let settingValues: Record<string, unknown> = {};
  const counters = new Map<string, number>();
  const hangs = new Set<() => void>();
  const dropConnection = options.dropConnection ?? dropNodeConnection;

  const now = () => new Date(baseNow().getTime() + clockOffsetMs);
  const tokens = createTokenRegistry(now);

  function quota(name: string, key: string, defaults: { limit: number; windowMs: number }, consume: boolean) {
    const limit = quotaLimits.get(name) ?? defaults.limit;
    const at = now().getTime();
    const id = `${name}\u0000${key}`;
    let window = quotaWindows.get(id);
    if (!window || at >= window.start + defaults.windowMs) {
      window = { start: at, used: 0 };
      quotaWindows.set(id, window);
    }
    const exceeded = window.used >= limit;
    if (consume && !exceeded) window.used += 1;
    return {
      limit,
      used: window.used,
      remaining: Math.max(0, limit - window.used),
      resetAt: new Date(window.start + defaults.windowMs),
      exceeded,
    };
  }

  const knobs: SandboxKnobs = {
    now,
    advanceClock(ms) {
      clockOffsetMs += ms;
    },
    client(platform) {
      return options.clients?.[platform] ??
        { clientId: `sandbox-${platform}-client`, clientSecret: `sandbox-${platform}-secret` };
    },
    setLatency(ms, platform) {
      latencies.set(platform ?? '*', Math.max(0, ms));
    },
    latency(platform) {
      return latencies.get(platform) ?? latencies.get('*') ?? 0;
    },
    injectFault(input) {
      const rule: FaultRule = {
        id: ++faultSeq,
        platform: input.platform,
        mode: input.mode,
        path: input.path ?? '*',
        method: input.method ? input.method.toUpperCase() : null,
        times: input.times ?? 1,
        remaining: input.times ?? 1,
        status: input.status ?? 503,
        resetAfterSeconds: input.resetAfterSeconds ?? 900,
        body: input.body ?? null,
        contentType: input.contentType ?? 'text/html',
      };
      faultRules.push(rule);
      return rule;
    },
    faults() {
      return faultRules.map((r) => ({ ...r }));
    },
    clearFaults() {
      faultRules = [];
    },
    takeFault(platform, method, path) {
      const rule = faultRules.find((r) =>
        r.platform === platform && r.remaining > 0 &&
        (r.method === null || r.method === method.toUpperCase()) &&
        pathMatches(r.path, path)
      );
      if (!rule) return null;
      rule.remaining -= 1;
      if (rule.remaining === 0) faultRules = faultRules.filter((r) => r !== rule);
      return { ...rule };
    },
    setQuota(name, limit) {
      quotaLimits.set(name, limit);
    },
    consumeQuota: (name, key, defaults) => quota(name, key, defaults, true),
    peekQuota: (name, key, defaults) => quota(name, key, defaults, false),
    tokens,
    recordPublished(record) {
      const full: PublishedRecord = { ...record, publishedAt: record.publishedAt ?? now() };
      publishedRecords.push(full);
      return full;
    },
    published(platform) {
      return publishedRecords.filter((r) => platform === undefined || r.platform === platform);
    },
    requests(platform) {
      return requestLog.filter((r) => platform === undefined || r.platform === platform);
    },
    setting<T>(name: string, fallback: T): T {
      return name in settingValues ? settingValues[name] as T : fallback;
    },
    setSettings(values) {
      settingValues = { ...settingValues, ...values };
    },
    settings() {
      return { ...settingValues };
    },
    nextId(name) {
      const next = (counters.get(name) ?? 0) + 1;
      counters.set(name, next);
      return next;
    },
    middleware(platform, render = {}) {
      return async function sandboxMiddleware(c, next) {
        const path = platformPath(platform, c.req.path);
        const entry: RequestRecord = {
          platform,
          method: c.req.method,
          path,
          status: null,
          fault: null,
          at: now(),
        };
        requestLog.push(entry);
        if (requestLog.length > MAX_REQUEST_LOG) requestLog = requestLog.slice(-MAX_REQUEST_LOG);

        const latencyMs = knobs.latency(platform);
        if (latencyMs > 0) await sleepUnlessAborted(latencyMs, c.req.raw.signal);

        const fault = knobs.takeFault(platform, c.req.method, path);
        entry.fault = fault?.mode ?? null;
        if (fault?.mode === 'status') {
          c.res = fault.body !== null
            ? new Response(fault.body, {
              status: fault.status,
              headers: { 'content-type': fault.contentType },
            })
            : await (render.serverError?.(c, fault.status) ?? genericError(fault.status));
          entry.status = c.res.status;
          return;
        }
        if (fault?.mode === 'rate_limit') {
          const resetAt = new Date(Math.ceil(now().getTime() / 1000) * 1000 + fault.resetAfterSeconds * 1000);
          c.res = await (render.rateLimited?.(c, resetAt) ?? genericRateLimited(resetAt, now()));
          entry.status = c.res.status;
          return;
        }
        if (fault?.mode === 'timeout') {
          await new Promise<void>((resolve) => {
            const done = () => {
              hangs.delete(done);
              resolve();
            };
            hangs.add(done);
            c.req.raw.signal.addEventListener('abort', done, { once: true });
          });
          c.res = genericError(504);
          return;
        }
        await next();
        entry.status = c.res.status;
        if (fault?.mode === 'drop') {
          entry.status = null;
          if (!dropConnection(c)) c.res = brokenResponse(c.res);
          else c.res = new Response(null, { status: 204 }); // never written: the socket is gone
        }
      };
    },
    releaseHangs() {
      for (const release of [...hangs]) release();
    },
    reset() {
      clockOffsetMs = 0;
      latencies.clear();
      faultRules = [];
      quotaLimits.clear();
      quotaWindows.clear();
      publishedRecords = [];
      requestLog = [];
      settingValues = {};
      counters.clear();
      tokens.clear();
      knobs.releaseHangs();
    },
  };
  return knobs;
}

/** `/x/2/tweets` → `/2/tweets` when the app is mounted under `/x`; unchanged otherwise. */
export function platformPath(platform: SandboxPlatform, path: string): string {
  const prefix = `/${platform}`;
  if (path === prefix) return '/';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

function pathMatches(pattern: string, path: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  return pattern === path;
}

function genericError(status: number): Response {
  return Response.json({ error: 'sandbox injected failure', status }, { status });
}

function genericRateLimited(resetAt: Date, at: Date): Response {
  const seconds = Math.max(0, Math.ceil((resetAt.getTime() - at.getTime()) / 1000));
  return Response.json({ error: 'Too Many Requests', status: 429 }, {
    status: 429,
    headers: {
      'retry-after': String(seconds),
      'x-rate-limit-reset': String(Math.floor(resetAt.getTime() / 1000)),
    },
  });
}

/** @hono/node-server puts the Node request in `c.env.incoming`; destroying its socket drops the answer. */
function dropNodeConnection(c: Context): boolean {
  const env = c.env as { incoming?: { socket?: { destroy?: () => void } } } | undefined;
  const socket = env?.incoming?.socket;
  if (!socket || typeof socket.destroy !== 'function') return false;
  socket.destroy();
  return true;
}

/** The status and headers go out, then the body fails: the client loses the answer mid-way. */
function brokenResponse(original: Response): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.error(new Error('sandbox dropped the connection'));
    },
  });
  return new Response(body, { status: original.status, headers: original.headers });
}

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

function randomToken(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return prefix +
    btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function createTokenRegistry(now: () => Date): TokenRegistry & { clear(): void } {
  let records: TokenRecord[] = [];
  const byAccess = new Map<string, TokenRecord>();
  const byRefresh = new Map<string, TokenRecord>();
  /** Refresh tokens already exchanged, pointing at the record they were spent from. */
  const spent = new Map<string, TokenRecord>();
  let attempts: RefreshAttempt[] = [];
  const key = (platform: SandboxPlatform, token: string) => `${platform}\u0000${token}`;

  function note(platform: SandboxPlatform, token: string, outcome: RefreshAttempt['outcome']) {
    attempts.push({ platform, tokenPrefix: token.slice(0, 6), outcome, at: now() });
  }

  const registry: TokenRegistry & { clear(): void } = {
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

  function revokeFamily(platform: SandboxPlatform, family: string) {
    for (const r of records) if (r.platform === platform && r.family === family) r.revoked = true;
  }
  return registry;
}
