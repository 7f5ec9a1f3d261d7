/**
 * The Hono environment of the API: what middleware puts on the context for the handlers.
 */
export interface AppEnv {
  Variables: {
    /** The caller: the verified JWT's `sub` (set by requireUser). */
    userId: string;
    /** Per request, from hono/request-id (echoed as X-Request-Id and in every problem body). */
    requestId: string;
    /** The raw JSON body text (set by requireJsonBody), hashed for Idempotency-Key. */
    rawBody: string;
  };
}
