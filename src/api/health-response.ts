/** The liveness answer: the API's GET /health and every Edge Function's /<name>/health. */
export function healthResponse(): Response {
  return Response.json({ status: 'ok' }, { status: 200 });
}
