/**
 * Liveness, readiness, the OpenAPI document and a reference page to read it.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { coerceError } from '../../domain/error-codes.ts';
import type { AppEnv } from '../app-env.ts';
import type { ApiDeps } from '../api-deps.ts';
import { problemResponses } from '../schemas/common-schemas.ts';

/** The file name of Scalar's bundle beside the page: `<page path>/scalar.js`. */
export const REFERENCE_SCRIPT_NAME = 'scalar.js';

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

  app.get('/reference', (c) => {
    const here = c.req.url;
    return c.html(referencePage({
      specUrl: new URL('openapi.json', here).pathname,
      scriptUrl: new URL(`reference/${REFERENCE_SCRIPT_NAME}`, here).pathname,
    }));
  });
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

/**
 * The reference page: a header that always links to /openapi.json, and Scalar's interactive reference
 * over it once `scriptUrl` (Scalar's standalone bundle, served from the installed package by the Node
 * API server and the dev stack: src/app/reference-script.ts) has loaded. Nothing comes from a CDN, and
 * Scalar's cloud features stay off, so the page works on a machine without internet. Where
 * the script is not served (the Edge Functions), or scripts are off, the page says so and keeps the
 * link, instead of staying blank.
 */
function referencePage(urls: { specUrl: string; scriptUrl: string }): string {
  const spec = escapeHtml(urls.specUrl);
  const config = JSON.stringify({
    url: urls.specUrl,
    // Everything that would reach Scalar's cloud stays off: web fonts, telemetry, the AI agent, MCP,
    // the developer tools (configure, share, deploy).
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    mcp: { disabled: true },
    showDeveloperTools: 'never',
  }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>SoloSpark Publisher API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{margin:0;font-family:system-ui,sans-serif;color:#1f2328}
#contract{padding:.5rem 1rem;border-bottom:1px solid #d0d7de;background:#f6f8fa;font-size:.9rem}
#fallback{padding:1rem;max-width:44rem;line-height:1.5}
</style></head>
<body>
<header id="contract">SoloSpark Publisher API &middot; OpenAPI 3.1 document:
<a href="${spec}">${spec}</a></header>
<main id="fallback">
<h1>SoloSpark Publisher API</h1>
<p id="fallback-status" hidden></p>
<noscript><p>Scripts are off, so the interactive reference cannot run.</p></noscript>
<p>Every route, request body and answer is described in the machine-readable contract at
<a href="${spec}">${spec}</a>; open it in any OpenAPI viewer or editor.</p>
</main>
<div id="app"></div>
<script src="${escapeHtml(urls.scriptUrl)}"></script>
<script>
(function () {
  var status = document.getElementById('fallback-status');
  if (!window.Scalar || typeof window.Scalar.createApiReference !== 'function') {
    status.textContent = 'The interactive reference is not available here (its script did not load: ' +
      'it is served by the Node API server and the dev stack). The contract below has everything.';
    status.hidden = false;
    return;
  }
  try {
    var config = ${config};
    // "Test Request" and the examples go to this server: the folder the contract is served from.
    config.baseServerURL = new URL('.', new URL(config.url, location.href)).href.slice(0, -1);
    window.Scalar.createApiReference('#app', config);
    document.getElementById('fallback').hidden = true;
  } catch (err) {
    status.textContent = 'The interactive reference failed to start (' + err + ').';
    status.hidden = false;
  }
})();
</script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
