/**
 * The one error the client throws. `code` is the API's stable problem `code` (`schedule_in_past`,
 * `post_not_editable`, …) when the API answered, or a client-side code when it could not:
 * `network_error` (the request did not reach the API), `relay_error` (the Supabase gateway failed)
 * or `unexpected_response` (an answer that is not the API's problem+json).
 */
import type { ErrorCode } from '../domain/error-codes.ts';
import type { Problem } from './client-types.ts';

export type ClientErrorCode = 'network_error' | 'relay_error' | 'unexpected_response';

export class PublisherApiError extends Error {
  readonly code: ErrorCode | ClientErrorCode;
  /** HTTP status, or null when no answer came. */
  readonly status: number | null;
  /** The problem body, when the API sent one. */
  readonly problem: Problem | null;

  constructor(
    code: ErrorCode | ClientErrorCode,
    message: string,
    details: { status?: number | null; problem?: Problem | null; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'PublisherApiError';
    this.code = code;
    this.status = details.status ?? null;
    this.problem = details.problem ?? null;
  }

  /** Field-level problems of a 422 (`[{ path, message, platform?, rule? }]`), else empty. */
  get errors(): NonNullable<Problem['errors']> {
    return this.problem?.errors ?? [];
  }
}

/** Turns the `error` of a supabase-js `functions.invoke` result into a PublisherApiError. */
export async function toPublisherApiError(error: unknown): Promise<PublisherApiError> {
  const name = (error as { name?: unknown } | null)?.name;
  const context = (error as { context?: unknown } | null)?.context;
  if (name === 'FunctionsHttpError' && context instanceof Response) {
    const text = await context.text().catch(() => '');
    const problem = parseProblem(text);
    if (problem) {
      return new PublisherApiError(problem.code, problem.detail, {
        status: context.status,
        problem,
        cause: error,
      });
    }
    return new PublisherApiError(
      'unexpected_response',
      `the API answered HTTP ${context.status} without a problem body: ${text.slice(0, 200)}`,
      { status: context.status, cause: error },
    );
  }
  if (name === 'FunctionsRelayError') {
    const status = context instanceof Response ? context.status : null;
    return new PublisherApiError('relay_error', 'the Supabase gateway could not reach the function', {
      status,
      cause: error,
    });
  }
  if (name === 'FunctionsFetchError') {
    const reason = (context as { message?: unknown } | null)?.message;
    return new PublisherApiError(
      'network_error',
      `the request did not reach the API${typeof reason === 'string' ? ` (${reason})` : ''}`,
      { cause: error },
    );
  }
  return new PublisherApiError(
    'unexpected_response',
    error instanceof Error ? error.message : String(error),
    { cause: error },
  );
}

function parseProblem(text: string): Problem | null {
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    return typeof body.code === 'string' && typeof body.detail === 'string' && typeof body.status === 'number'
      ? (body as Problem)
      : null;
  } catch {
    return null;
  }
}
