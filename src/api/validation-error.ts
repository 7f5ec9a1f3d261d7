/**
 * Turns bad input into one AppError listing every problem as `{ path, message }`, with paths written
 * the way a person reads them: `targets[0].accountId`. The schemas word their own messages; where one
 * does not, zod's default ("Invalid input: expected string, received undefined") is put in plain
 * words here: "scheduledAt is required (a string)".
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
    const path = formatPath([...prefix, ...issue.path]) || '(body)';
    errors.push({ path, message: plainMessage(issue, path) });
  }
  return errors;
}

/** zod's default wording of a wrong or missing value, said the way the schemas say it. */
function plainMessage(issue: ZodError['issues'][number], path: string): string {
  if (issue.code !== 'invalid_type' || !issue.message.startsWith('Invalid input')) return issue.message;
  const field = path === '(body)' ? 'the body' : path;
  const expected = `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
  const received = /received (\w+)/.exec(issue.message)?.[1];
  if (received === 'undefined') return `${field} is required (${expected})`;
  return received ? `${field} must be ${expected}, not ${received}` : `${field} must be ${expected}`;
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
