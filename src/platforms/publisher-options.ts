/**
 * Checks shared by every publisher factory's options, so each platform adds only its own rules and
 * all of them report every problem at once with the same wording.
 */
import { AppError } from '../domain/error-codes.ts';

export interface CommonPublisherOptions {
  allowPrivateMediaHosts: boolean;
  fetch?: typeof fetch;
  clientId: string | null;
  clientSecret: string | null;
}

/** Appends the problems of the options every publisher shares to `problems`. */
export function checkCommonPublisherOptions(options: CommonPublisherOptions, problems: string[]): void {
  if (typeof options.allowPrivateMediaHosts !== 'boolean') {
    problems.push('allowPrivateMediaHosts must be a boolean');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    problems.push('fetch must be a function');
  }
  for (const name of ['clientId', 'clientSecret'] as const) {
    const value = options[name];
    if (value !== null && (typeof value !== 'string' || value === '')) {
      problems.push(`${name} must be a non-empty string, or null when the OAuth app is not configured`);
    }
  }
}

/** Throws config_invalid naming the factory and every problem, when there are any. */
export function throwOptionProblems(factory: string, problems: string[]): void {
  if (problems.length > 0) {
    throw new AppError('config_invalid', `${factory}: ${problems.join('; ')}`, { problems });
  }
}

export function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
