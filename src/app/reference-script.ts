/**
 * Serves Scalar's standalone bundle from the installed `@scalar/api-reference` package at
 * `/reference/scalar.js` (and under `/functions/v1/`, beside the gateway copy of the page), so the
 * reference page (src/api/routes/system.ts) needs no CDN. Used by the Node API server and the dev
 * stack; the Edge Functions do not ship the 5 MB bundle, and their page falls back to its link to
 * /openapi.json.
 *
 * The file is read once, on the first request, and kept with a gzip copy (CompressionStream) for
 * clients that accept it.
 */
import { readFile } from 'node:fs/promises';
import { REFERENCE_SCRIPT_NAME } from '../api/routes/system.ts';
import { GATEWAY_BASE_PATH } from './build-api.ts';

const PATHS = new Set([
  `/reference/${REFERENCE_SCRIPT_NAME}`,
  `${GATEWAY_BASE_PATH}/reference/${REFERENCE_SCRIPT_NAME}`,
]);

interface LoadedScript {
  raw: Uint8Array;
  gzip: Uint8Array;
  etag: string;
}

export interface ReferenceScript {
  handles(pathname: string): boolean;
  fetch(request: Request): Promise<Response>;
}

/** Where the bundle lies in the package (its `exports` do not list it, so it is found from the main entry). */
export function referenceScriptUrl(): URL {
  return new URL('./browser/standalone.js', import.meta.resolve('@scalar/api-reference'));
}

export function createReferenceScript(options: { file?: URL } = {}): ReferenceScript {
  let loaded: Promise<LoadedScript> | null = null;
  const load = async (): Promise<LoadedScript> => {
    const raw = new Uint8Array(await readFile(options.file ?? referenceScriptUrl()));
    const gzip = new Uint8Array(
      await new Response(new Blob([raw as BlobPart]).stream().pipeThrough(new CompressionStream('gzip')))
        .arrayBuffer(),
    );
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw as BufferSource));
    const etag = `"${Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, '0')).join('')}"`;
    return { raw, gzip, etag };
  };

  return {
    handles: (pathname) => PATHS.has(pathname),
    async fetch(request) {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
      }
      let script: LoadedScript;
      try {
        script = await (loaded ??= load());
      } catch (err) {
        loaded = null; // try again next time (e.g. the package is being reinstalled)
        return new Response(
          `// the API reference script is missing: ${
            err instanceof Error ? err.message : String(err)
          }; run npm install (it comes with @scalar/api-reference)\n`,
          { status: 503, headers: { 'content-type': 'text/javascript; charset=utf-8' } },
        );
      }
      const headers = new Headers({
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'public, max-age=3600',
        etag: script.etag,
        vary: 'accept-encoding',
      });
      if (request.headers.get('if-none-match') === script.etag) {
        return new Response(null, { status: 304, headers });
      }
      const gzip = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '');
      if (gzip) headers.set('content-encoding', 'gzip');
      const body = gzip ? script.gzip : script.raw;
      headers.set('content-length', String(body.byteLength));
      return new Response(request.method === 'HEAD' ? null : body as BodyInit, { headers });
    },
  };
}
