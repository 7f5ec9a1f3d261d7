/**
 * Shared state and knobs of the sandbox platforms (X, Instagram, LinkedIn on one local server).
 * Every platform sandbox receives the same SandboxKnobs and uses it for:
 *
 * - the clock: `knobs.now()` (tests move it with `advanceClock(ms)` to expire tokens without waiting);
 * - `knobs.middleware(platform, render)`: install first on each platform app. It logs the request,
 *   applies latency, and serves injected faults (sandbox-faults.ts) — see sandbox-middleware.ts;
 * - quotas: `consumeQuota(name, key, { limit, windowMs })`, fixed windows, limits overridable by name
 *   with `setQuota(name, limit)` (sandbox-quotas.ts);
 * - tokens: `knobs.tokens` issues, expires, rotates and revokes OAuth tokens for every platform
 *   (sandbox-tokens.ts);
 * - `recordPublished(...)` / `published(platform?)`: what each platform received and made live, and
 *   `requests(platform?)`, the request log (sandbox-records.ts);
 * - settings: free-form, namespaced per platform (`'linkedin.unescapedText'`), read with
 *   `setting(name, fallback)` and changed through the control API;
 * - ids: `nextId(name)` — a per-name counter;
 * - `previews`: the images it served or received, for the page's thumbnails (sandbox-media-previews.ts).
 *
 * This module owns the clock, latency, settings and ids, and composes the rest into one object so
 * `reset()` can clear everything at once.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Platform } from '../domain/platform.ts';
import type { FaultRenderers, FaultRule, FaultRuleInput } from './sandbox-faults.ts';
import { createSandboxFaults } from './sandbox-faults.ts';
import { createSandboxMiddleware } from './sandbox-middleware.ts';
import type { MediaPreviews } from './sandbox-media-previews.ts';
import { createMediaPreviews } from './sandbox-media-previews.ts';
import type { QuotaCheck } from './sandbox-quotas.ts';
import { createSandboxQuotas } from './sandbox-quotas.ts';
import type { PublishedRecord, RequestRecord } from './sandbox-records.ts';
import { createSandboxRecords } from './sandbox-records.ts';
import type { TokenRegistry } from './sandbox-tokens.ts';
import { createTokenRegistry } from './sandbox-tokens.ts';

export type SandboxPlatform = Platform;

export interface SandboxClient {
  clientId: string;
  clientSecret: string;
}

export interface SandboxKnobsOptions {
  /** The base clock; `advanceClock` adds to it. (Default: () => new Date()) */
  now?: () => Date;
  /** OAuth apps the sandbox accepts. (Default: `sandbox-<platform>-client` / `sandbox-<platform>-secret`) */
  clients?: Partial<Record<SandboxPlatform, SandboxClient>>;
  /** Replaces the connection dropper (see sandbox-middleware.ts). Return false when it could not drop. */
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

  /** Images the sandbox served or received, kept for its page's thumbnails. */
  readonly previews: MediaPreviews;

  /** Hono middleware for a platform app: request log, latency, faults (install it first). */
  middleware(platform: SandboxPlatform, render?: FaultRenderers): MiddlewareHandler;
  /** Answers every hanging `timeout` request (504) — call before closing the server. */
  releaseHangs(): void;
  /** Clears faults, quotas, tokens, published posts, requests, settings, previews and the clock offset. */
  reset(): void;
}

export function createSandboxKnobs(options: SandboxKnobsOptions = {}): SandboxKnobs {
  const baseNow = options.now ?? (() => new Date());
  let clockOffsetMs = 0;
  const latencies = new Map<SandboxPlatform | '*', number>();
  let settingValues: Record<string, unknown> = {};
  const counters = new Map<string, number>();

  const now = () => new Date(baseNow().getTime() + clockOffsetMs);
  const tokens = createTokenRegistry(now);
  const faults = createSandboxFaults();
  const quotas = createSandboxQuotas(now);
  const records = createSandboxRecords(now);
  const previews = createMediaPreviews();
  // Latency and faults are read through `knobs` at request time, as callers see them.
  const requestPipeline = createSandboxMiddleware({
    now,
    latency: (platform) => knobs.latency(platform),
    takeFault: (platform, method, path) => knobs.takeFault(platform, method, path),
    logRequest: records.logRequest,
    dropConnection: options.dropConnection,
  });

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
    injectFault: faults.injectFault,
    faults: faults.faults,
    clearFaults: faults.clearFaults,
    takeFault: faults.takeFault,
    setQuota: quotas.setQuota,
    consumeQuota: quotas.consumeQuota,
    peekQuota: quotas.peekQuota,
    tokens,
    recordPublished: records.recordPublished,
    published: records.published,
    requests: records.requests,
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
    previews,
    middleware: requestPipeline.middleware,
    releaseHangs: requestPipeline.releaseHangs,
    reset() {
      clockOffsetMs = 0;
      latencies.clear();
      faults.clearFaults();
      quotas.clear();
      records.clear();
      settingValues = {};
      counters.clear();
      tokens.clear();
      previews.clear();
      knobs.releaseHangs();
    },
  };
  return knobs;
}
