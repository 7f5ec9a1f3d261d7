/** The platforms SoloSpark publishes to. Ids are identical in code, job data, rows and logs. */
export const PLATFORMS = ['x', 'instagram', 'linkedin'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** Input aliases, normalised at the boundary (`twitter` is what many creators still call X). */
const PLATFORM_ALIASES: Readonly<Record<string, Platform>> = { twitter: 'x' };

export function isPlatform(value: unknown): value is Platform {
  return typeof value === 'string' && (PLATFORMS as readonly string[]).includes(value);
}

/** Returns the canonical platform id for an input name or alias, or null when it names no platform. */
export function normalizePlatform(input: string): Platform | null {
  const lower = input.trim().toLowerCase();
  if (isPlatform(lower)) return lower;
  // Own keys only: `constructor` or `__proto__` must not find Object.prototype's members.
  return Object.hasOwn(PLATFORM_ALIASES, lower) ? PLATFORM_ALIASES[lower]! : null;
}
