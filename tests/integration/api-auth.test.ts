import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createSupabaseJwtVerifier, supabaseIssuer } from '../../src/api/auth/verify-supabase-jwt.ts';
import { errorDescription } from '../../src/api/error-response.ts';
import { createUserAuth } from '../../src/app/user-auth.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createDevToken, DEV_ONLY_JWT_SECRET, DEV_SUPABASE_URL } from '../../src/dev/dev-auth.ts';
import { createApiHarness, HS256_SECRET, TEST_ISSUER } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';

/** base64url of the JSON of `value` (UTF-8), as a JWT segment. */
function segment(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  return btoa(String.fromCharCode(...bytes)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/** RFC 6750 error_description characters (and the rest of the header is ours). */
const SAFE_HEADER_VALUE = /^[\x20-\x7e]*$/;

describe('API authentication', () => {
  let h: ApiHarness;

  beforeEach(async () => {
    h = await createApiHarness();
  });

  async function withToken(token: string, path = '/accounts') {
    return await h.call('GET', path, { as: null, headers: { authorization: `Bearer ${token}` } });
  }

  async function assertInvalidToken(res: Response, detail: RegExp) {
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.match(
      res.headers.get('www-authenticate') ?? '',
      /^Bearer realm="solospark", error="invalid_token"/,
    );
    const problem = await res.json();
    assert.equal(problem.code, 'invalid_token');
    assert.match(problem.detail, detail);
  }

  it('refuses a request without Authorization with 401 auth_required', async () => {
    const res = await h.call('GET', '/posts', { as: null });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="solospark"');
    assert.equal((await res.json()).code, 'auth_required');
  });

  it('requires a token on every protected route', async () => {
    const id = crypto.randomUUID();
    for (
      const [method, path] of [
        ['GET', '/posts'],
        ['POST', '/posts'],
        ['GET', `/posts/${id}`],
        ['PATCH', `/posts/${id}`],
        ['DELETE', `/posts/${id}`],
        ['POST', `/posts/${id}/retry`],
        ['GET', '/accounts'],
        ['DELETE', `/accounts/${id}`],
        ['GET', '/ready'],
      ]
    ) {
      const res = await h.call(method!, path!, { as: null });
      assert.equal(res.status, 401, `${method} ${path}`);
    }
  });

  it('serves health, the OpenAPI document and the reference page without a token', async () => {
    for (const path of ['/health', '/openapi.json', '/reference']) {
      const res = await h.call('GET', path, { as: null });
      assert.equal(res.status, 200, path);
    }
  });

  it('accepts a valid HS256 user token and scopes the request to its sub', async () => {
    await h.connect(h.alice, 'x');
    const res = await withToken(await h.token({ sub: h.alice }));
    assert.equal(res.status, 200);
    assert.equal((await res.json()).items.length, 1);
    const bobs = await withToken(await h.token({ sub: h.bob }));
    assert.equal((await bobs.json()).items.length, 0);
  });

  it('accepts a valid ES256 token signed by a key of the JWKS', async () => {
    const res = await withToken(await h.token({ alg: 'ES256' }));
    assert.equal(res.status, 200);
  });

  it('refuses a malformed Authorization header', async () => {
    for (const header of ['Bearer', 'Bearer not-a-jwt', 'Basic dXNlcjpwYXNz', 'Bearer a.b']) {
      const res = await h.call('GET', '/accounts', { as: null, headers: { authorization: header } });
      await assertInvalidToken(res, /Bearer <jwt>|not a JWT|malformed/);
    }
  });

  it('refuses a token whose payload is not JSON', async () => {
    await assertInvalidToken(await withToken('eyJhbGciOiJIUzI1NiJ9.bm90LWpzb24.c2ln'), /./);
  });

  it('refuses an expired token', async () => {
    await assertInvalidToken(await withToken(await h.token({ expiresIn: -600 })), /expired/);
  });

  it('refuses a token without exp', async () => {
    await assertInvalidToken(await withToken(await h.token({ expiresIn: null })), /exp/);
  });

  it('refuses an HS256 token signed with another secret', async () => {
    await assertInvalidToken(
      await withToken(await h.token({ secret: 'another-secret-that-is-also-32-characters-long' })),
      /signature/,
    );
  });

  it('refuses an ES256 token signed by a key outside the JWKS', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    await assertInvalidToken(
      await withToken(await h.token({ alg: 'ES256', esKey: privateKey })),
      /signature/,
    );
  });

  it('refuses an ES256 token whose kid names no key of the JWKS', async () => {
    await assertInvalidToken(
      await withToken(await h.token({ alg: 'ES256', kid: 'rotated-away' })),
      /no signing key/,
    );
  });

  it('refuses a token for another audience (e.g. an anon key)', async () => {
    await assertInvalidToken(await withToken(await h.token({ aud: 'anon' })), /audience/);
  });

  it('refuses a token whose sub is not a uuid', async () => {
    await assertInvalidToken(await withToken(await h.token({ sub: 'service-account' })), /subject/);
  });

  it('answers 401, never 500, to a token whose alg holds CR/LF, non-Latin-1 characters or no string, copying none of it into a header', async () => {
    const algs: unknown[] = ['HS256\r\nX-Injected: 1', 'HS256\n', '算法', 'ES256\u2028', 'é', 42, {
      alg: 'HS256',
    }, ['RS256']];
    for (const alg of algs) {
      const token = `${segment({ alg, typ: 'JWT' })}.${segment({ sub: h.alice, aud: 'authenticated' })}.c2ln`;
      const res = await withToken(token);
      const label = JSON.stringify(alg);
      await assertInvalidToken(res, /not accepted/);
      assert.equal(res.headers.get('x-injected'), null, label);
      const header = res.headers.get('www-authenticate') ?? '';
      assert.match(header, SAFE_HEADER_VALUE, `${label}: only printable ASCII in WWW-Authenticate`);
      if (typeof alg === 'string') assert.ok(!header.includes(alg), `${label}: not copied into the header`);
      for (const [name, value] of res.headers) {
        assert.match(value, SAFE_HEADER_VALUE, `${label}: ${name}`);
        assert.ok(!/算法|X-Injected/.test(value), `${label}: ${name} holds token content`);
      }
    }
  });

  it('writes any message into WWW-Authenticate as RFC 6750 characters only, bounded in length', () => {
    const description = errorDescription(`quote " backslash \\ CR\r LF\n ünï 算 ${'x'.repeat(300)}`);
    assert.match(description, /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/);
    assert.ok(description.startsWith("quote ' backslash ' CR? LF? ?n? ? "), description);
    assert.ok(description.length <= 200);
    assert.doesNotThrow(() =>
      new Headers({ 'www-authenticate': `Bearer error_description="${description}"` })
    );
  });

  it('refuses a token from another issuer, or with no iss, naming the issuer it needs', async () => {
    await assertInvalidToken(
      await withToken(await h.token({ iss: 'https://another-project.supabase.co/auth/v1' })),
      /issued by this project/,
    );
    await assertInvalidToken(
      await withToken(await h.token({ iss: null })),
      /iss must be https:\/\/test-project/,
    );
    await assertInvalidToken(
      await withToken(await h.token({ alg: 'ES256', iss: 'solospark-dev' })),
      /issued by this project/,
    );
    assert.equal((await withToken(await h.token({ iss: TEST_ISSUER }))).status, 200);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const b64 = (v: unknown) =>
      btoa(JSON.stringify(v)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${
      b64({ sub: h.alice, aud: 'authenticated', exp: Math.floor(Date.now() / 1000) + 600 })
    }.`;
    await assertInvalidToken(await withToken(token), /not accepted/);
  });
});

describe('createSupabaseJwtVerifier', () => {
  let server: Server;
  let jwksUrl: string;
  let jwksRequests = 0;
  let rsKey: CryptoKey;

  before(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    rsKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'rs-key', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      jwksRequests++;
      if (req.url !== '/auth/v1/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/v1/.well-known/jwks.json`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function rsToken(sub: string) {
    return new SignJWT({ role: 'authenticated' })
      .setProtectedHeader({ alg: 'RS256', kid: 'rs-key' })
      .setSubject(sub)
      .setAudience('authenticated')
      .setExpirationTime('10m')
      .sign(rsKey);
  }

  it('verifies RS256 tokens against a JWKS fetched from the project URL, and caches it', async () => {
    const verifier = createSupabaseJwtVerifier({ jwksUrl });
    const sub = crypto.randomUUID();
    assert.equal((await verifier.verify(await rsToken(sub))).userId, sub);
    assert.equal((await verifier.verify(await rsToken(sub))).userId, sub);
    assert.equal(jwksRequests, 1);
  });

  it('refuses HS256 tokens when no secret is configured', async () => {
    const verifier = createSupabaseJwtVerifier({ jwksUrl });
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(crypto.randomUUID())
      .setAudience('authenticated').setExpirationTime('10m').sign(new TextEncoder().encode(HS256_SECRET));
    await assert.rejects(verifier.verify(token), { code: 'invalid_token', message: /HS256/ });
  });

  it('refuses to be built without any key source', () => {
    assert.throws(() => createSupabaseJwtVerifier({}), /SUPABASE_JWKS/);
  });

  it('answers not_ready when the JWKS cannot be fetched', async () => {
    const verifier = createSupabaseJwtVerifier({
      jwksUrl: 'http://127.0.0.1:9/auth/v1/.well-known/jwks.json',
    });
    await assert.rejects(verifier.verify(await rsToken(crypto.randomUUID())), { code: 'not_ready' });
  });

  it('requires iss = <SUPABASE_URL>/auth/v1 when the API is built from a config with SUPABASE_URL', async () => {
    const auth = createUserAuth(
      loadConfig({
        SUPABASE_URL: 'https://abcdefghijklmnop.supabase.co/',
        SUPABASE_JWT_SECRET: HS256_SECRET,
      }),
      'the API',
    );
    const sign = (iss: string | null) => {
      const jwt = new SignJWT({ role: 'authenticated' }).setProtectedHeader({ alg: 'HS256' })
        .setSubject(crypto.randomUUID()).setAudience('authenticated').setExpirationTime('10m');
      if (iss !== null) jwt.setIssuer(iss);
      return jwt.sign(new TextEncoder().encode(HS256_SECRET));
    };
    assert.equal(
      supabaseIssuer('https://abcdefghijklmnop.supabase.co/'),
      'https://abcdefghijklmnop.supabase.co/auth/v1',
    );
    assert.ok((await auth.verify(await sign('https://abcdefghijklmnop.supabase.co/auth/v1'))).userId);
    await assert.rejects(auth.verify(await sign('https://other.supabase.co/auth/v1')), {
      code: 'invalid_token',
      message: /iss must be https:\/\/abcdefghijklmnop\.supabase\.co\/auth\/v1/,
    });
    await assert.rejects(auth.verify(await sign(null)), { code: 'invalid_token' });
  });

  it("accepts the dev stack's tokens under the dev stack's issuer only", async () => {
    const dev = createUserAuth(
      loadConfig(
        { SUPABASE_URL: DEV_SUPABASE_URL, SUPABASE_JWT_SECRET: DEV_ONLY_JWT_SECRET },
        { allowDevJwtSecret: true },
      ),
      'the dev stack',
    );
    const userId = crypto.randomUUID();
    assert.equal((await dev.verify(await createDevToken({ userId }))).userId, userId);
    const elsewhere = createUserAuth(
      loadConfig(
        { SUPABASE_URL: 'https://abcdefghijklmnop.supabase.co', SUPABASE_JWT_SECRET: DEV_ONLY_JWT_SECRET },
        { allowDevJwtSecret: true },
      ),
      'the API',
    );
    await assert.rejects(elsewhere.verify(await createDevToken({ userId })), { code: 'invalid_token' });
  });

  it('uses the injected clock for exp', async () => {
    const verifier = createSupabaseJwtVerifier({
      hs256Secret: HS256_SECRET,
      now: () => new Date(Date.now() + 3600_000),
    });
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(crypto.randomUUID())
      .setAudience('authenticated').setExpirationTime('10m').sign(new TextEncoder().encode(HS256_SECRET));
    await assert.rejects(verifier.verify(token), { code: 'invalid_token', message: /expired/ });
  });
});
