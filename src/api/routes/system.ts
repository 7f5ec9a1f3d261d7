/**
 * Liveness, readiness, the OpenAPI document and a reference page to read it.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { coerceError } from '../../domain/error-codes.ts';
import type { AppEnv } from '../app-env.ts';
import type { ApiDeps } from '../api-deps.ts';
import { problemResponses } from '../schemas/common-schemas.ts';

const readySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({ database: z.enum(['ok', 'failing']), redis: z.enum(['ok', 'failing']) }),
}).openapi('Readiness');

export function registerSystemRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps, readyTimeoutMs: number) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      summary: 'Liveness: the process answers',
      responses: {
        200: {
          description: 'Alive',
          content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
        },
      },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/ready',
      summary: 'Readiness: the database and Redis answer',
      security: [{ bearerAuth: [] }],
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: readySchema } } },
        503: {
          description: 'A dependency does not answer',
          content: { 'application/json': { schema: readySchema } },
        },
        ...problemResponses(401),
      },
    }),
    async (c) => {
      const [database, redis] = await Promise.all([
        probe(() => deps.store.ping(), readyTimeoutMs),
        probe(() => deps.postScheduler.ping(), readyTimeoutMs),
      ]);
      for (const [name, result] of [['database', database], ['redis', redis]] as const) {
        if (result !== true) deps.logger.warn({ err: result, dependency: name }, 'readiness check failing');
      }
      const checks = {
        database: database === true ? 'ok' as const : 'failing' as const,
        redis: redis === true ? 'ok' as const : 'failing' as const,
      };
      if (database === true && redis === true) return c.json({ status: 'ready' as const, checks }, 200);
      c.header('Retry-After', '5');
      return c.json({ status: 'not_ready' as const, checks }, 503);
    },
  );

  app.get('/reference', (c) => c.html(referencePage(new URL('openapi.json', c.req.url).pathname)));
}

/** true, or the error (a timeout counts as failing). */
async function probe(check: () => Promise<void>, timeoutMs: number): Promise<true | Error> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return true;
  } catch (err) {
    return coerceError(err);
  } finally {
    clearTimeout(timer);
  }
}

/** An interactive reference (Scalar, loaded from its CDN) over /openapi.json. */
function referencePage(specUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>SoloSpark Publisher API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<noscript>The machine-readable contract is at <a href="${specUrl}">${specUrl}</a>.</noscript>
<script id="api-reference" data-url="${specUrl}"></script>
<script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference@1"></script>
</body>
</html>`;
}
