/**
 * The kinds of environment variable config-schema.ts is built from (URLs, booleans, bounded whole
 * numbers, base64 keys) and the value checks its refinements use. Each message names the variable,
 * what was wrong and an example of a good value.
 */
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function show(value: unknown): string {
  return JSON.stringify(value);
}

/** A URL whose scheme is one of `schemes`. */
export function urlVar(name: string, schemes: string[], example: string) {
  const schemeList = schemes.map((s) => `${s}//`).join(' or ');
  return z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { error: (issue) => `${name} must be a ${schemeList} URL (e.g. ${example}), got ${show(issue.input)}` },
  );
}

export function booleanVar(name: string) {
  return z.enum(['true', 'false'], {
    error: (issue) => `${name} must be "true" or "false", got ${show(issue.input)}`,
  }).transform((v) => v === 'true');
}

export function intVar(name: string, min: number, max: number, defaultValue: number) {
  return z
    .string()
    .default(String(defaultValue))
    .refine((v) => /^\d+$/.test(v.trim()) && Number(v) >= min && Number(v) <= max, {
      error: (issue) => `${name} must be a whole number from ${min} to ${max}, got ${show(issue.input)}`,
    })
    .transform(Number);
}

export function base64KeyVar(name: string) {
  return z.string().refine((v) => decodeBase64(v)?.byteLength === 32, {
    error: () => `${name} must be 32 random bytes in base64 (generate one with: openssl rand -base64 32)`,
  });
}

export function decodeBase64(value: string): Uint8Array | null {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(trimmed), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export const postgresUrl = (name: string) =>
  urlVar(name, ['postgres:', 'postgresql:'], 'postgres://user:pass@host:5432/db');
export const httpUrl = (name: string, example: string) => urlVar(name, ['http:', 'https:'], example);

/**
 * A host name of one label (no dot, not an address), such as a service on a Docker network (`kong`):
 * it cannot be a public DNS name, so http:// to it does not cross the internet.
 */
export function isContainerHost(hostname: string): boolean {
  return /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(hostname) && !/^\d+$/.test(hostname);
}

/** localhost, 127.0.0.0/8 or ::1, as `URL#hostname` spells them. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '');
  } catch {
    return false;
  }
}

export function isJwks(value: string): boolean {
  try {
    const parsed = JSON.parse(value) as { keys?: unknown };
    return Array.isArray(parsed.keys) &&
      parsed.keys.every((k) => typeof k === 'object' && k !== null && 'kty' in k);
  } catch {
    return false;
  }
}
