/**
 * The Hono middleware every platform app installs first. It logs the request, applies latency, and
 * serves injected faults (see FaultRule) before the handler runs — except `drop`, which lets the
 * handler run (the post IS recorded) and then closes the connection unanswered.
 *
 * Accept-then-drop needs the raw socket. Under @hono/node-server it is `c.env.incoming.socket`; the
 * default dropper destroys it. Where no socket is reachable (in-process `app.request`), the answer is
 * sent with a body stream that errors, which a client sees as a connection lost mid-answer.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Platform } from '../domain/platform.ts';
import type { FaultRenderers, FaultRule } from './sandbox-faults.ts';
import type { RequestRecord } from './sandbox-records.ts';

export interface SandboxMiddlewareDeps {
  now(): Date;
  latency(platform: Platform): number;
  takeFault(platform: Platform, method: string, path: string): FaultRule | null;
  logRequest(entry: RequestRecord): void;
  /** Replaces the connection dropper (see module doc). Return false when it could not drop. */
  dropConnection?: (c: Context) => boolean;
}

export interface SandboxMiddleware {
  middleware(platform: Platform, render?: FaultRenderers): MiddlewareHandler;
  /** Answers every hanging `timeout` request (504) — call before closing the server. */
  releaseHangs(): void;
}

export function createSandboxMiddleware(deps: SandboxMiddlewareDeps): SandboxMiddleware {
  const { now } = deps;
  const hangs = new Set<() => void>();
  const dropConnection = deps.dropConnection ?? dropNodeConnection;

  return {
    middleware(platform, render = {}) {
      return async function sandboxMiddleware(c, next) {
        const path = platformPath(platform, c.req.path);
        const entry: RequestRecord = {
          platform,
          method: c.req.method,
          path,
          status: null,
          fault: null,
          at: now(),
        };
        deps.logRequest(entry);

        const latencyMs = deps.latency(platform);
        if (latencyMs > 0) await sleepUnlessAborted(latencyMs, c.req.raw.signal);

        const fault = deps.takeFault(platform, c.req.method, path);
        entry.fault = fault?.mode ?? null;
        if (fault?.mode === 'status') {
          c.res = fault.body !== null
            ? new Response(fault.body, {
              status: fault.status,
              headers: { 'content-type': fault.contentType },
            })
            : await (render.serverError?.(c, fault.status) ?? genericError(fault.status));
          entry.status = c.res.status;
          return;
        }
        if (fault?.mode === 'rate_limit') {
          const resetAt = new Date(Math.ceil(now().getTime() / 1000) * 1000 + fault.resetAfterSeconds * 1000);
          c.res = await (render.rateLimited?.(c, resetAt) ?? genericRateLimited(resetAt, now()));
          entry.status = c.res.status;
          return;
        }
        if (fault?.mode === 'timeout') {
          await new Promise<void>((resolve) => {
            const done = () => {
              hangs.delete(done);
              resolve();
            };
            hangs.add(done);
            c.req.raw.signal.addEventListener('abort', done, { once: true });
          });
          c.res = genericError(504);
          return;
        }
        await next();
        entry.status = c.res.status;
        if (fault?.mode === 'drop') {
          entry.status = null;
          if (!dropConnection(c)) c.res = brokenResponse(c.res);
          else c.res = new Response(null, { status: 204 }); // never written: the socket is gone
        }
      };
    },
    releaseHangs() {
      for (const release of [...hangs]) release();
    },
  };
}

/** `/x/2/tweets` → `/2/tweets` when the app is mounted under `/x`; unchanged otherwise. */
export function platformPath(platform: Platform, path: string): string {
  const prefix = `/${platform}`;
  if (path === prefix) return '/';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

function genericError(status: number): Response {
  return Response.json({ error: 'sandbox injected failure', status }, { status });
}

function genericRateLimited(resetAt: Date, at: Date): Response {
  const seconds = Math.max(0, Math.ceil((resetAt.getTime() - at.getTime()) / 1000));
  return Response.json({ error: 'Too Many Requests', status: 429 }, {
    status: 429,
    headers: {
      'retry-after': String(seconds),
      'x-rate-limit-reset': String(Math.floor(resetAt.getTime() / 1000)),
    },
  });
}

/** @hono/node-server puts the Node request in `c.env.incoming`; destroying its socket drops the answer. */
function dropNodeConnection(c: Context): boolean {
  const env = c.env as { incoming?: { socket?: { destroy?: () => void } } } | undefined;
  const socket = env?.incoming?.socket;
  if (!socket || typeof socket.destroy !== 'function') return false;
  socket.destroy();
  return true;
}

/** The status and headers go out, then the body fails: the client loses the answer mid-way. */
function brokenResponse(original: Response): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.error(new Error('sandbox dropped the connection'));
    },
  });
  return new Response(body, { status: original.status, headers: original.headers });
}

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
