/**
 * Turns bad input into one AppError listing every problem as `{ path, message }`, with paths written
 * the way a person reads them: `targets[0].accountId`.
 */
import type { ZodError } from 'zod';
import { AppError } from '../domain/error-codes.ts';
import type { ErrorCode } from '../domain/error-codes.ts';

/** One problem with the input. Declared here (not in error-response.ts) so neither module imports the other. */
export interface ProblemError {
  path: string;
  message: string;
  [extra: string]: unknown;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function errorsFromZod(error: ZodError, prefix: readonly PropertyKey[] = []): ProblemError[] {
  const errors: ProblemError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push({
          path: formatPath([...prefix, ...issue.path, key]),
          message: `${key} is not a field of this request; remove it (field names are camelCase)`,
        });
      }
      continue;
    }
    errors.push({ path: formatPath([...prefix, ...issue.path]) || '(body)', message: issue.message });
  }
  return errors;
}

export function invalidInput(
  errors: ProblemError[],
  code: ErrorCode = 'validation_failed',
  detail?: string,
): AppError {
  const summary = detail ??
    `the request has ${errors.length} problem${errors.length === 1 ? '' : 's'}: ` +
      errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  return new AppError(code, summary, { errors });
}
