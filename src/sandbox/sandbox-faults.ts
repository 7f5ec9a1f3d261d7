/**
 * Injected faults: the rules tests, the control API and the chaos soak add, and how a request is
 * matched against them. The middleware (sandbox-middleware.ts) consumes a matching rule per request
 * and serves it.
 */
import type { Context } from 'hono';
import type { Platform } from '../domain/platform.ts';

/**
 * - `status`: answer with `status` (default 503) before the handler runs
 * - `rate_limit`: the platform's rate-limit answer, reset `resetAfterSeconds` from now (default 900)
 * - `timeout`: never answer; hang until the client gives up (or the sandbox closes: then 504)
 * - `drop`: run the handler (the request takes effect), then close the connection without answering
 */
export type FaultMode = 'status' | 'rate_limit' | 'timeout' | 'drop';

export interface FaultRuleInput {
  platform: Platform;
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

export interface SandboxFaults {
  injectFault(input: FaultRuleInput): FaultRule;
  /** Copies: callers cannot change the live rules. */
  faults(): FaultRule[];
  clearFaults(): void;
  /** Consumes one use of the first rule matching the request, or returns null. */
  takeFault(platform: Platform, method: string, path: string): FaultRule | null;
}

export function createSandboxFaults(): SandboxFaults {
  let faultRules: FaultRule[] = [];
  // Never reset, so a rule id stays unique across `clearFaults` and knob resets.
  let faultSeq = 0;

  return {
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
  };
}

function pathMatches(pattern: string, path: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  return pattern === path;
}
