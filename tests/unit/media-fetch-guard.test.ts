/**
 * Media downloads through the connection guard, against local https servers: the address the one
 * lookup checked is the one connected to (no DNS rebinding), every redirect hop is checked the same
 * way, the certificate is checked against the URL's host name, and the body streams rather than
 * being read whole. The "public" server listens on 127.0.0.1 and is declared public with
 * `treatAsPublic`; the "private" one listens on another loopback address and stays private.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fetchMedia, type MediaFetchOptions, openMedia } from '../../src/platforms/media-fetch.ts';
import { isPublishError, type PublishError } from '../../src/platforms/publish-error.ts';
import {
  type Handler,
  type LoopbackServer,
  otherLoopbackAddress,
  scriptedResolver,
  startLoopbackServer,
} from '../support/loopback-server.ts';
import { TEST_CA_PEM } from '../support/test-tls.ts';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
const NAME = 'media.solospark.test';

const png: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(PNG.byteLength) });
  res.end(PNG);
};

let publicServer: LoopbackServer;
let privateServer: LoopbackServer;
let privateAddress: string;

before(async () => {
  privateAddress = await otherLoopbackAddress();
  publicServer = await startLoopbackServer({ tls: true, handler: png });
  privateServer = await startLoopbackServer({ tls: true, address: privateAddress, handler: png });
});

after(async () => {
  await Promise.all([publicServer?.close(), privateServer?.close()]);
});

function options(overrides: Partial<MediaFetchOptions> = {}): MediaFetchOptions {
  return {
    platform: 'x',
    allowPrivateHosts: false,
    treatAsPublic: ['127.0.0.1'],
    trustedCa: [TEST_CA_PEM],
    maxBytes: 64 * 1024 * 1024,
    allowedTypes: ['image/png', 'video/mp4'],
    signal: AbortSignal.timeout(10_000),
    timeoutMs: 5000,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<PublishError> {
  const err = await promise.then(() => assert.fail('expected the download to fail'), (e: unknown) => e);
  assert.ok(isPublishError(err), `a PublishError, got ${String(err)}`);
  return err;
}

/** Answers each host name from a table (unknown names do not exist). */
function resolverFor(table: Record<string, string[]>) {
  return (hostname: string) =>
    table[hostname]
      ? Promise.resolve(table[hostname]!)
      : Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
}

describe('media download through the connection guard', () => {
  it('downloads from the address it checked, though a second lookup would answer a private one', async () => {
    const before = { public: publicServer.received.length, private: privateServer.received.length };
    const dns = scriptedResolver([['127.0.0.1'], [privateAddress]]);
    const media = await fetchMedia(
      publicServer.urlFor(NAME, '/a.png'),
      options({ resolveHost: dns.resolveHost }),
    );
    assert.deepEqual(media.bytes, PNG);
    assert.equal(dns.calls.length, 1, 'checked and connected on one lookup');
    assert.equal(publicServer.received.length - before.public, 1);
    assert.equal(privateServer.received.length, before.private, 'the private server was not reached');
  });

  it('refuses a redirect to a host that resolves to a private address, without connecting to it', async () => {
    const redirecting = await startLoopbackServer({
      tls: true,
      handler: (_req, res) => {
        res.writeHead(302, { location: `https://inside.solospark.test:${privateServer.port}/a.png` });
        res.end();
      },
    });
    try {
      const before = privateServer.received.length;
      const resolveHost = resolverFor({ [NAME]: ['127.0.0.1'], 'inside.solospark.test': [privateAddress] });
      const err = await failure(fetchMedia(redirecting.urlFor(NAME, '/r.png'), options({ resolveHost })));
      assert.equal(err.code, 'media_unreachable');
      assert.equal(err.kind, 'rejected', err.message);
      assert.match(err.message, /inside\.solospark\.test.*private, loopback or link-local address/);
      assert.equal(privateServer.received.length, before);
      assert.equal(redirecting.received.length, 1, 'the first hop was fetched');
    } finally {
      await redirecting.close();
    }
  });

  it('refuses a redirect to a private IP literal (cloud metadata)', async () => {
    const redirecting = await startLoopbackServer({
      tls: true,
      handler: (_req, res) => {
        res.writeHead(301, { location: 'https://169.254.169.254/latest/meta-data/' });
        res.end();
      },
    });
    try {
      const err = await failure(
        fetchMedia(
          redirecting.urlFor(NAME),
          options({ resolveHost: resolverFor({ [NAME]: ['127.0.0.1'] }) }),
        ),
      );
      assert.equal(err.kind, 'rejected');
      assert.match(err.message, /169\.254\.169\.254.*link-local \(cloud metadata\) 169\.254\.0\.0\/16/);
    } finally {
      await redirecting.close();
    }
  });

  it('checks the certificate against the media host name, not the address it connects to', async () => {
    const resolveHost = resolverFor({ [NAME]: ['127.0.0.1'], 'wrong.solospark.test': ['127.0.0.1'] });
    const ok = await fetchMedia(publicServer.urlFor(NAME, '/a.png'), options({ resolveHost }));
    assert.deepEqual(ok.bytes, PNG);
    const err = await failure(
      fetchMedia(publicServer.urlFor('wrong.solospark.test'), options({ resolveHost })),
    );
    assert.equal(err.code, 'media_unreachable');
    assert.equal(err.kind, 'rejected', 'a certificate for another name does not pass by retrying');
    assert.match(err.message, /ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('hands over the body while it is still downloading (nothing is read whole)', async () => {
    const half = 8 * 1024 * 1024;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = await startLoopbackServer({
      tls: true,
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(2 * half) });
        res.write(new Uint8Array(half));
        // The second half only once the reader has had the first: a buffering download never gets it.
        void released.then(() => res.end(new Uint8Array(half)));
      },
    });
    try {
      const download = await openMedia(
        slow.urlFor(NAME, '/v.mp4'),
        options({ resolveHost: resolverFor({ [NAME]: ['127.0.0.1'] }) }),
      );
      assert.equal(download.length, 2 * half);
      const reader = download.body.getReader();
      let received = 0;
      while (received < half) {
        const { done, value } = await reader.read();
        assert.equal(done, false, 'the first half arrives before the second is sent');
        received += value!.byteLength;
      }
      release();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
      }
      assert.equal(received, 2 * half);
    } finally {
      release();
      await slow.close();
    }
  });

  it('fails a body that outgrows the limit as media_invalid while it streams', async () => {
    const endless = await startLoopbackServer({
      tls: true,
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'video/mp4' }); // no Content-Length
        const chunk = new Uint8Array(64 * 1024);
        const write = () => {
          while (res.write(chunk));
          res.once('drain', write);
        };
        res.on('close', () => res.removeAllListeners('drain'));
        write();
      },
    });
    try {
      const download = await openMedia(
        endless.urlFor(NAME),
        options({ resolveHost: resolverFor({ [NAME]: ['127.0.0.1'] }), maxBytes: 1024 * 1024 }),
      );
      assert.equal(download.length, null);
      const reader = download.body.getReader();
      const err = await failure((async () => {
        for (;;) if ((await reader.read()).done) return;
      })());
      assert.equal(err.code, 'media_invalid');
      assert.match(err.message, /larger than the limit of 1048576 bytes/);
      assert.equal(download.failure(), err);
    } finally {
      await endless.close();
    }
  });
});
