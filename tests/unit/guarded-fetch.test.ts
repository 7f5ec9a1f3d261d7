/**
 * The connection guard (src/net/guarded-fetch.ts) against real local servers, under Node and Deno:
 * the connection goes to the address the one lookup returned and checked, the request still names
 * the URL's host (Host header, TLS server name, certificate check), and refused hosts are never
 * connected to. Host names are `.test` names that only the injected resolver answers, so a request
 * that reaches a server got there through the guard's own resolution.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { guardedFetch, type GuardedFetchOptions } from '../../src/net/guarded-fetch.ts';
import { isHostAddressError } from '../../src/net/host-addresses.ts';
import {
  type LoopbackServer,
  otherLoopbackAddress,
  scriptedResolver,
  startLoopbackServer,
} from '../support/loopback-server.ts';
import { OTHER_CA_PEM, TEST_CA_PEM } from '../support/test-tls.ts';

const NAME = 'media.solospark.test';

let http: LoopbackServer;
let https: LoopbackServer;
let other: LoopbackServer;
let otherAddress: string;

before(async () => {
  otherAddress = await otherLoopbackAddress();
  http = await startLoopbackServer({ tls: false });
  https = await startLoopbackServer({ tls: true });
  other = await startLoopbackServer({ tls: false, address: otherAddress });
});

after(async () => {
  await Promise.all([http?.close(), https?.close(), other?.close()]);
});

async function rejection(promise: Promise<unknown>): Promise<Error & { cause?: unknown }> {
  const err = await promise.then(() => assert.fail('expected the request to fail'), (e: unknown) => e);
  assert.ok(err instanceof Error, String(err));
  return err as Error & { cause?: unknown };
}

async function get(url: string, options: GuardedFetchOptions): Promise<Response> {
  const res = await guardedFetch(url, { signal: AbortSignal.timeout(5000) }, options);
  await res.text();
  return res;
}

function causeCode(err: Error & { cause?: unknown }): unknown {
  return (err.cause as { code?: unknown } | undefined)?.code;
}

describe('guarded fetch', () => {
  it('connects to the address its resolver answered, with the URL host in the Host header', async () => {
    const before = http.received.length;
    const dns = scriptedResolver([['127.0.0.1']]);
    const res = await get(http.urlFor(NAME, '/a'), { allowPrivateHosts: true, resolveHost: dns.resolveHost });
    assert.equal(res.status, 200);
    assert.deepEqual(dns.calls, [NAME]);
    const got = http.received.slice(before);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.host, `${NAME}:${http.port}`);
  });

  it('resolves once per request and uses that answer, whatever a second lookup would say (no rebinding)', async () => {
    // The first answer is the "public" server; a second lookup would point at the private one.
    const before = { public: http.received.length, private: other.received.length };
    const dns = scriptedResolver([['127.0.0.1'], [otherAddress]]);
    const res = await get(`http://${NAME}:${http.port}/rebind`, {
      allowPrivateHosts: false,
      resolveHost: dns.resolveHost,
      treatAsPublic: ['127.0.0.1'],
    });
    assert.equal(res.status, 200);
    assert.equal(dns.calls.length, 1, 'one lookup for the check and the connection');
    assert.equal(http.received.length - before.public, 1);
    assert.equal(other.received.length, before.private, 'the private server was never reached');
  });

  it('refuses a host that resolves to a loopback address, without connecting', async () => {
    const before = http.received.length;
    const dns = scriptedResolver([['127.0.0.1']]);
    const err = await rejection(
      get(http.urlFor(NAME), { allowPrivateHosts: false, resolveHost: dns.resolveHost }),
    );
    assert.ok(isHostAddressError(err.cause), String(err.cause));
    assert.equal(err.cause.code, 'blocked_address');
    assert.equal(err.cause.address, '127.0.0.1');
    assert.equal(err.cause.range?.cidr, '127.0.0.0/8');
    assert.equal(http.received.length, before);
  });

  it('refuses a host when any one of its addresses is private, even if another is public', async () => {
    const before = http.received.length;
    const dns = scriptedResolver([['127.0.0.1', '10.1.2.3']]);
    const err = await rejection(get(http.urlFor(NAME), {
      allowPrivateHosts: false,
      resolveHost: dns.resolveHost,
      treatAsPublic: ['127.0.0.1'],
    }));
    assert.ok(isHostAddressError(err.cause));
    assert.equal(err.cause.address, '10.1.2.3');
    assert.equal(http.received.length, before);
  });

  it('refuses private IP literals, also written as IPv4-mapped IPv6, without a lookup', async () => {
    const before = http.received.length;
    const dns = scriptedResolver([['8.8.8.8']]);
    for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]']) {
      const err = await rejection(
        get(`http://${host}:${http.port}/`, { allowPrivateHosts: false, resolveHost: dns.resolveHost }),
      );
      assert.ok(isHostAddressError(err.cause), host);
      assert.equal(err.cause.code, 'blocked_address', host);
    }
    assert.deepEqual(dns.calls, []);
    assert.equal(http.received.length, before);
  });

  it('reports a name that does not exist and a resolver that fails for now apart', async () => {
    const nxdomain = () =>
      Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    const again = () =>
      Promise.reject(Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' }));
    const empty = () => Promise.resolve([]);
    const expected = [[nxdomain, 'no_such_host'], [again, 'lookup_failed'], [empty, 'no_address']] as const;
    for (const [resolveHost, code] of expected) {
      const err = await rejection(get(http.urlFor(NAME), { allowPrivateHosts: true, resolveHost }));
      assert.ok(isHostAddressError(err.cause));
      assert.equal(err.cause.code, code);
    }
  });

  it('tries the next checked address when the first refuses the connection', async () => {
    const before = http.received.length;
    // Nothing listens on the other loopback address at this port.
    const dns = scriptedResolver([[otherAddress, '127.0.0.1']]);
    const res = await get(http.urlFor(NAME), { allowPrivateHosts: true, resolveHost: dns.resolveHost });
    assert.equal(res.status, 200);
    assert.equal(http.received.length - before, 1);
  });

  it('does not follow a redirect: the caller gets the 3xx and decides', async () => {
    const redirecting = await startLoopbackServer({
      tls: false,
      handler: (_req, res) => {
        res.writeHead(302, { location: other.urlFor(otherAddress, '/inside') });
        res.end();
      },
    });
    try {
      const before = other.received.length;
      const res = await get(redirecting.urlFor('127.0.0.1'), { allowPrivateHosts: true });
      assert.equal(res.status, 302);
      assert.equal(other.received.length, before);
    } finally {
      await redirecting.close();
    }
  });

  describe('https', () => {
    it('checks the certificate against the host name and sends it as SNI, while connecting to the checked address', async () => {
      const before = https.received.length;
      const dns = scriptedResolver([['127.0.0.1']]);
      const res = await get(https.urlFor(NAME, '/tls'), {
        allowPrivateHosts: true,
        resolveHost: dns.resolveHost,
        trustedCa: [TEST_CA_PEM],
      });
      assert.equal(res.status, 200);
      const [got] = https.received.slice(before);
      assert.equal(got?.host, `${NAME}:${https.port}`);
      assert.equal(got?.servername, NAME, 'SNI names the host, not the address');
    });

    it('refuses a certificate that does not name the host, though it is trusted and the address is right', async () => {
      const before = https.received.length;
      const dns = scriptedResolver([['127.0.0.1']]);
      const err = await rejection(get(https.urlFor('other.solospark.test'), {
        allowPrivateHosts: true,
        resolveHost: dns.resolveHost,
        trustedCa: [TEST_CA_PEM],
      }));
      assert.equal(causeCode(err), 'ERR_TLS_CERT_ALTNAME_INVALID');
      assert.equal(https.received.length, before);
    });

    it('refuses a certificate from an authority it does not trust', async () => {
      const before = https.received.length;
      const dns = scriptedResolver([['127.0.0.1']]);
      for (const trustedCa of [[OTHER_CA_PEM], undefined]) {
        const err = await rejection(get(https.urlFor(NAME), {
          allowPrivateHosts: true,
          resolveHost: dns.resolveHost,
          ...(trustedCa ? { trustedCa } : {}),
        }));
        assert.match(
          String(causeCode(err)),
          /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/,
        );
      }
      assert.equal(https.received.length, before);
    });
  });
});
