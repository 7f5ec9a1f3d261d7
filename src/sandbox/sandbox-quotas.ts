/**
 * Fixed-window quotas for the sandbox platforms (X's per-user tweet cap, Instagram's publishing
 * limit, …). Each platform passes its default limit and window; `setQuota(name, limit)` overrides the
 * limit by name so tests and the control API can make a quota run out quickly.
 */

export interface QuotaCheck {
  limit: number;
  used: number;
  remaining: number;
  resetAt: Date;
  /** True when this call was refused (nothing was consumed). */
  exceeded: boolean;
}

export interface QuotaDefaults {
  limit: number;
  windowMs: number;
}

export interface SandboxQuotas {
  setQuota(name: string, limit: number): void;
  /** Counts one use against `name` for `key` in a fixed window; refused when the limit is reached. */
  consumeQuota(name: string, key: string, defaults: QuotaDefaults): QuotaCheck;
  /** The same, without consuming. */
  peekQuota(name: string, key: string, defaults: QuotaDefaults): QuotaCheck;
  /** Forgets overridden limits and every window. */
  clear(): void;
}

export function createSandboxQuotas(now: () => Date): SandboxQuotas {
  const quotaLimits = new Map<string, number>();
  const quotaWindows = new Map<string, { start: number; used: number }>();

  function quota(name: string, key: string, defaults: QuotaDefaults, consume: boolean): QuotaCheck {
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

  return {
    setQuota(name, limit) {
      quotaLimits.set(name, limit);
    },
    consumeQuota: (name, key, defaults) => quota(name, key, defaults, true),
    peekQuota: (name, key, defaults) => quota(name, key, defaults, false),
    clear() {
      quotaLimits.clear();
      quotaWindows.clear();
    },
  };
}
