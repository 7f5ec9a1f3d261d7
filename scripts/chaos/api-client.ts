/**
 * The soak's calls to the API: POST /posts (with an Idempotency-Key, retried on a lost answer so a
 * Redis or network hiccup does not make the soak forget a post it created), PATCH and DELETE (never
 * retried: their first answer is what the oracle holds the system to). Answers are summarised as
 * `{ status, code, body }`; status 0 means no HTTP answer came.
 */
import type { PostResponse } from '../../src/api/schemas/post-schemas.ts';
import { sleep } from './waiting.ts';

export interface ApiAnswer {
  /** HTTP status, or 0 when no answer came (network error, timeout). */
  status: number;
  /** The problem+json `code` of an error answer. */
  code: string | null;
  post: PostResponse | null;
}

export interface NewPostInput {
  text: string;
  scheduledAt: string;
  accountIds: readonly string[];
  media: readonly string[];
}

export interface ApiClient {
  createPost(token: string, input: NewPostInput, idempotencyKey: string): Promise<ApiAnswer>;
  editText(token: string, postId: string, text: string): Promise<ApiAnswer>;
  cancel(token: string, postId: string): Promise<ApiAnswer>;
}

const REQUEST_TIMEOUT_MS = 10_000;
const CREATE_TRIES = 3;

export function createApiClient(baseUrl: string): ApiClient {
  async function call(method: string, path: string, token: string, body?: unknown, headers = {}) {
    try {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      let parsed: unknown = null;
      try {
        parsed = text === '' ? null : JSON.parse(text);
      } catch {
        parsed = null;
      }
      const ok = response.status >= 200 && response.status < 300;
      return {
        status: response.status,
        code: ok ? null : ((parsed as { code?: string } | null)?.code ?? null),
        post: ok && parsed && typeof parsed === 'object' ? parsed as PostResponse : null,
      } satisfies ApiAnswer;
    } catch {
      return { status: 0, code: 'no_answer', post: null } satisfies ApiAnswer;
    }
  }

  return {
    async createPost(token, input, idempotencyKey) {
      const body = {
        text: input.text,
        scheduledAt: input.scheduledAt,
        targets: input.accountIds.map((accountId) => ({ accountId })),
        ...(input.media.length > 0 ? { media: input.media.map((url) => ({ url })) } : {}),
      };
      let answer: ApiAnswer = { status: 0, code: 'no_answer', post: null };
      for (let attempt = 1; attempt <= CREATE_TRIES; attempt++) {
        answer = await call('POST', '/posts', token, body, { 'idempotency-key': idempotencyKey });
        // Same key, same body: a retry replays the first answer, never creates a second post.
        const retryable = answer.status === 0 || answer.status >= 500 ||
          answer.code === 'idempotency_in_progress';
        if (!retryable) return answer;
        await sleep(300 * attempt);
      }
      return answer;
    },
    editText: (token, postId, text) => call('PATCH', `/posts/${postId}`, token, { text }),
    cancel: (token, postId) => call('DELETE', `/posts/${postId}`, token),
  };
}
