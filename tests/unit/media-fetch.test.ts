/**
 * Media downloads against a real local HTTP server (node:http, the same under Node and Deno): which
 * problems may pass (kind `transient`: the worker retries with backoff) and which last (`rejected`:
 * the target fails). Host-name resolution goes through the `resolveHost` injection.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchMedia, type MediaFetchOptions } from '../../src/platforms/media-fetch.ts';
import { isPublishError, type PublishError } from '../../src/platforms/publish-error.ts';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

type Route = (req: IncomingMessage, res: ServerResponse) => void;

const ROUTES: Record<string, Route> = {
  '/ok.png': (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(PNG.byteLength) });
    res.end(PNG);
  },
  '/page.html': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html></html>');
  },
  '/huge.png': (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(10 * 1024 * 1024) });
    res.end();
  },
  '/reset.png': (req) => {
    req.socket.destroy();
  },
  '/hang.png': () => {
    // never answers; the client's timeout or abort ends it
  },
};

function statusRoute(status: number): Route {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`status ${status}`);
  };
}

let server: Server;
let base: string;
const sockets = new Set<import('node:net').Socket>();

before(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const status = path.match(/^\/status\/(\d{3})$/);
    const route = status ? statusRoute(Number(status[1])) : ROUTES[path];
    if (route) route(req, res);
    else statusRoute(404)(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function options(overrides: Partial<MediaFetchOptions> = {}): MediaFetchOptions {
  return {
    platform: 'linkedin',
    allowPrivateHosts: true,
    maxBytes: 1024 * 1024,
    allowedTypes: ['image/png', 'image/jpeg'],
    signal: AbortSignal.timeout(10_000),
    timeoutMs: 5000,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<PublishError> {
  const err = await promise.then(
    () => assert.fail('expected the download to fail'),
    (e: unknown) => e,
  );
  assert.ok(isPublishError(err), `a PublishError, got ${String(err)}`);
  return err;
}

function assertPassing(err: PublishError, pattern: RegExp): void {
  assert.equal(err.code, 'media_unreachable');
  assert.equal(err.kind, 'transient', err.message);
  assert.equal(err.retryable, true);
  assert.match(err.message, pattern);
  assert.match(err.message, /tried again/);
}

function assertLasting(
  err: PublishError,
  code: 'media_unreachable' | 'media_invalid',
  pattern: RegExp,
): void {
  assert.equal(err.code, code);
  assert.equal(err.kind, 'rejected', err.message);
  assert.equal(err.retryable, false);
  assert.match(err.message, pattern);
}

describe('media fetch', () => {
  it('downloads an allowed image and reports its type', async () => {
    const media = await fetchMedia(`${base}/ok.png`, options());
    assert.equal(media.contentType, 'image/png');
    assert.deepEqual(media.bytes, PNG);
  });

  describe('problems that may pass are transient, naming the host and the problem', () => {
    for (const status of [500, 502, 503, 504, 429, 408]) {
      it(`retries media whose host answers HTTP ${status}`, async () => {
        const err = await failure(fetchMedia(`${base}/status/${status}`, options()));
        assertPassing(err, new RegExp(`127\\.0\\.0\\.1:\\d+/status/${status}.*HTTP ${status}`));
      });
    }

    it('retries media whose host does not answer within the timeout', async () => {
      const err = await failure(fetchMedia(`${base}/hang.png`, options({ timeoutMs: 100 })));
      assertPassing(err, /127\.0\.0\.1.*no answer within 100 ms/);
    });

    it("retries media whose download the caller's signal aborts (the worker stopping)", async () => {
      const controller = new AbortController();
      const pending = fetchMedia(`${base}/hang.png`, options({ signal: controller.signal }));
      setTimeout(() => controller.abort(new Error('worker shutting down')), 50);
      const err = await failure(pending);
      assertPassing(err, /127\.0\.0\.1.*aborted/);
    });

    it('retries media whose host resets the connection', async () => {
      const err = await failure(fetchMedia(`${base}/reset.png`, options()));
      assertPassing(err, /127\.0\.0\.1.*download failed/);
    });

    it('retries media whose host refuses the connection', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const err = await failure(fetchMedia(`http://127.0.0.1:${port}/a.png`, options()));
      assertPassing(err, new RegExp(`127\\.0\\.0\\.1:${port}/a\\.png.*download failed`));
    });

    it('retries media whose host name fails to resolve for now (EAI_AGAIN)', async () => {
      const resolveHost = () =>
        Promise.reject(
          Object.assign(new Error('getaddrinfo EAI_AGAIN cdn.example.com'), { code: 'EAI_AGAIN' }),
        );
      const err = await failure(
        fetchMedia('https://cdn.example.com/a.png', options({ allowPrivateHosts: false, resolveHost })),
      );
      assertPassing(err, /cdn\.example\.com\/a\.png.*could not be resolved just now \(EAI_AGAIN\)/);
    });

    it('retries media when the resolver itself fails without saying the name does not exist', async () => {
      const resolveHost = () => Promise.reject(new Error('resolver unavailable'));
      const err = await failure(
        fetchMedia('https://cdn.example.com/a.png', options({ allowPrivateHosts: false, resolveHost })),
      );
      assertPassing(err, /cdn\.example\.com.*could not be resolved just now/);
    });
  });

  describe('problems that last fail the target', () => {
    for (const status of [404, 410, 403, 401]) {
      it(`fails media whose host answers HTTP ${status}`, async () => {
        const err = await failure(fetchMedia(`${base}/status/${status}`, options()));
        assertLasting(err, 'media_unreachable', new RegExp(`127\\.0\\.0\\.1.*HTTP ${status}`));
      });
    }

    it('fails media of a type the platform does not take', async () => {
      const err = await failure(fetchMedia(`${base}/page.html`, options()));
      assertLasting(err, 'media_invalid', /type is text\/html/);
    });

    it('fails media larger than the limit', async () => {
      const err = await failure(fetchMedia(`${base}/huge.png`, options()));
      assertLasting(err, 'media_invalid', /10485760 bytes/);
    });

    it('fails media on a host that resolves to a private address', async () => {
      const err = await failure(
        fetchMedia(
          'https://cdn.example.com/a.png',
          options({ allowPrivateHosts: false, resolveHost: () => Promise.resolve(['10.0.0.7']) }),
        ),
      );
      assertLasting(
        err,
        'media_unreachable',
        /private, loopback or link-local address \(10\.0\.0\.7, private 10\.0\.0\.0\/8\)/,
      );
    });

    it('fails media on a host name that does not exist (NXDOMAIN)', async () => {
      const resolveHost = () =>
        Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND nope.example'), { code: 'ENOTFOUND' }));
      const err = await failure(
        fetchMedia('https://nope.example/a.png', options({ allowPrivateHosts: false, resolveHost })),
      );
      assertLasting(err, 'media_unreachable', /nope\.example.*does not exist \(ENOTFOUND\)/);
    });

    it('fails media whose URL is not https when private hosts are not allowed', async () => {
      const err = await failure(fetchMedia(`${base}/ok.png`, options({ allowPrivateHosts: false })));
      assertLasting(err, 'media_unreachable', /must use https/);
    });
  });
});
