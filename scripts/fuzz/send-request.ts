/**
 * Sends one fuzz request to the API over HTTP (loopback) and reads the whole answer. No retries:
 * the first answer is the one judged. A request that gets no answer within the timeout, or whose
 * connection fails, is reported with status 0.
 */
import type { FuzzRequest } from './fuzz-request.ts';

export interface Answer {
  /** 0: no HTTP answer. */
  status: number;
  contentType: string | null;
  headers: Headers;
  text: string;
  /** The parsed JSON body, when the answer is JSON; undefined otherwise (or unparseable). */
  json: unknown;
  ms: number;
  /** Why no answer came (status 0). */
  error: string | null;
}

const REQUEST_TIMEOUT_MS = 15_000;

export async function sendRequest(baseUrl: string, request: FuzzRequest): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body as BodyInit | null,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type');
    let json: unknown = undefined;
    if (contentType && /json/i.test(contentType) && text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return {
      status: response.status,
      contentType,
      headers: response.headers,
      text,
      json,
      ms: performance.now() - started,
      error: null,
    };
  } catch (err) {
    const error = err instanceof Error
      ? `${err.message}${err.cause ? ` (${String(err.cause)})` : ''}`
      : String(err);
    return {
      status: 0,
      contentType: null,
      headers: new Headers(),
      text: '',
      json: undefined,
      ms: performance.now() - started,
      error,
    };
  }
}
