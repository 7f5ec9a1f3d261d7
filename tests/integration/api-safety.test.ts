import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../src/api/create-app.ts';
import { createSupabaseJwtVerifier } from '../../src/api/auth/verify-supabase-jwt.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createFakePostScheduler } from '../fakes/fake-post-scheduler.ts';
import { createApiHarness, fakeValidateContent, HS256_SECRET, inMinutes } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';
import type { SocialAccount } from '../../src/domain/post.ts';

describe('API input safety and errors', () => {
  let h: ApiHarness;
  let account: SocialAccount;

  beforeEach(async () => {
    h = await createApiHarness({ bodyLimitBytes: 2048 });
    account = await h.connect(h.alice, 'x');
  });

  function validBody(extra: Record<string, unknown> = {}) {
    return { text: 'Hello', scheduledAt: inMinutes(30), targets: [{ accountId: account.id }], ...extra };
  }

  async function postCount(userId = h.alice) {
    return (await h.store.listPosts(userId)).items.length;
  }

  it('answers problem+json with type, title, status, detail, code and request id', async () => {
    const res = await h.call('POST', '/posts', { body: validBody({ text: 42 }) });
    assert.equal(res.status, 422);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const problem = await res.json();
    assert.deepEqual(Object.keys(problem).sort(), [
      'code',
      'detail',
      'errors',
      'requestId',
      'status',
      'title',
      'type',
    ]);
    assert.equal(problem.type, 'urn:solospark:problem:validation_failed');
    assert.equal(problem.status, 422);
    assert.equal(problem.code, 'validation_failed');
    assert.equal(typeof problem.title, 'string');
    assert.match(problem.detail, /text/);
    assert.equal(problem.requestId, res.headers.get('x-request-id'));
    assert.deepEqual(problem.errors, [{
      path: 'text',
      message: 'text must be a string of up to 10000 characters',
    }]);
  });

  it('answers 400 for malformed JSON and writes nothing', async () => {
    const res = await h.call('POST', '/posts', {
      rawBody: '{"text": "hi",',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 400);
    const problem = await res.json();
    assert.equal(problem.code, 'malformed_json');
    assert.match(problem.detail, /not valid JSON/);
    assert.equal(await postCount(), 0);
  });

  it('answers 415 for a body that is not JSON, and for a missing content type', async () => {
    const form = await h.call('POST', '/posts', {
      rawBody: 'text=hi',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    assert.equal((await form.json()).code, 'unsupported_media_type');
    const bare = await h.call('POST', '/posts', { rawBody: JSON.stringify(validBody()) });
    assert.equal(bare.status, 415);
    assert.equal(await postCount(), 0);
  });

  it('answers 413 for a body over the limit, with or without Content-Length', async () => {
    const big = JSON.stringify(validBody({ text: 'x'.repeat(5000) }));
    const streamed = await h.call('POST', '/posts', {
      rawBody: big,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(streamed.status, 413);
    assert.equal((await streamed.json()).code, 'body_too_large');
    const declared = await h.call('POST', '/posts', {
      rawBody: big,
      headers: { 'content-type': 'application/json', 'content-length': String(big.length) },
    });
    assert.equal(declared.status, 413);
    assert.equal(await postCount(), 0);
  });

  it('refuses wrong types, unknown fields and non-object bodies with 422 naming each field', async () => {
    const res = await h.call('POST', '/posts', {
      body: validBody({ text: ['a'], media: [{ url: 'ftp://x/y.jpg', size: 3 }], userId: h.bob }),
    });
    assert.equal(res.status, 422);
    const paths = (await res.json()).errors.map((e: { path: string }) => e.path).sort();
    assert.deepEqual(paths, ['media[0].size', 'media[0].url', 'text', 'userId']);
    for (const body of [[1, 2], 'text', null]) {
      const other = await h.call('POST', '/posts', { body });
      assert.equal(other.status, 422, JSON.stringify(body));
      assert.match((await other.json()).detail, /JSON object/);
    }
    assert.equal(await postCount(), 0);
  });

  it('answers a problem+json 404 for an unknown route', async () => {
    const res = await h.call('GET', '/nothing-here');
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal((await res.json()).code, 'route_not_found');
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for a retried request and creates nothing new', async () => {
      const headers = { 'idempotency-key': 'key-1' };
      const body = validBody();
      const first = await h.call('POST', '/posts', { body, headers });
      assert.equal(first.status, 201);
      const created = await first.json();
      const second = await h.call('POST', '/posts', { body, headers });
      assert.equal(second.status, 201);
      assert.equal(second.headers.get('idempotency-replayed'), 'true');
      assert.equal(second.headers.get('etag'), '"1"');
      assert.deepEqual(await second.json(), created);
      assert.equal(await postCount(), 1);
      assert.equal(h.postScheduler.calls.length, 1);
    });

    it('keeps keys per user', async () => {
      const bobAccount = await h.connect(h.bob, 'x');
      const headers = { 'idempotency-key': 'shared' };
      assert.equal((await h.call('POST', '/posts', { body: validBody(), headers })).status, 201);
      const bobs = await h.call('POST', '/posts', {
        as: h.bob,
        body: validBody({ targets: [{ accountId: bobAccount.id }] }),
        headers,
      });
      assert.equal(bobs.status, 201);
      assert.equal(bobs.headers.get('idempotency-replayed'), null);
      assert.equal(await postCount(h.bob), 1);
    });

    it('refuses the same key with a different body with 422', async () => {
      const headers = { 'idempotency-key': 'key-2' };
      await h.call('POST', '/posts', { body: validBody(), headers });
      const res = await h.call('POST', '/posts', { body: validBody({ text: 'Different' }), headers });
      assert.equal(res.status, 422);
      assert.equal((await res.json()).code, 'idempotency_key_reused');
      assert.equal(await postCount(), 1);
    });

    it('creates one post when two requests with the same key race', async () => {
      const headers = { 'idempotency-key': 'key-race' };
      const body = validBody();
      const responses = await Promise.all([1, 2, 3].map(() => h.call('POST', '/posts', { body, headers })));
      const statuses = responses.map((r) => r.status);
      assert.ok(statuses.every((s) => s === 201 || s === 409), statuses.join());
      const ids = new Set(
        await Promise.all(responses.filter((r) => r.status === 201).map(async (r) => (await r.json()).id)),
      );
      assert.equal(ids.size, 1);
      assert.equal(await postCount(), 1);
    });

    it('lets a key be reused after its first request failed', async () => {
      const headers = { 'idempotency-key': 'key-3' };
      const failed = await h.call('POST', '/posts', {
        body: validBody({ scheduledAt: '2001-01-01T00:00:00Z' }),
        headers,
      });
      assert.equal(failed.status, 422);
      const ok = await h.call('POST', '/posts', { body: validBody(), headers });
      assert.equal(ok.status, 201);
    });

    it('refuses a malformed key', async () => {
      const res = await h.call('POST', '/posts', {
        body: validBody(),
        headers: { 'idempotency-key': 'x'.repeat(300) },
      });
      assert.equal(res.status, 422);
      assert.equal((await res.json()).errors[0].path, 'Idempotency-Key');
    });
  });

  it('answers 500 with a request id and no internals when something unexpected fails, and logs the stack', async () => {
    const broken: PostStore = {
      ...h.store,
      listPosts: () =>
        Promise.reject(
          new Error('relation "posts" does not exist: SELECT * FROM posts WHERE token = \'secret-token\''),
        ),
    };
    const lines: string[] = [];
    const app = createApp({
      store: broken,
      postScheduler: createFakePostScheduler(),
      validateContent: fakeValidateContent,
      auth: createSupabaseJwtVerifier({ hs256Secret: HS256_SECRET }),
      logger: createLogger({ level: 'info', destination: { write: (l) => void lines.push(l) } }),
    });
    const res = await app.request('/posts', { headers: { authorization: `Bearer ${await h.token()}` } });
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.doesNotMatch(text, /SELECT|secret-token|relation|at .*\.ts/);
    const problem = JSON.parse(text);
    assert.equal(problem.code, 'internal');
    assert.ok(problem.requestId);
    assert.match(problem.detail, new RegExp(problem.requestId));
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'unexpected error');
    assert.equal(logged?.requestId, problem.requestId);
    assert.match(logged?.err?.stack ?? '', /relation "posts"/);
  });

  it('answers CORS preflights for the configured origins only', async () => {
    const cors = await createApiHarness({ corsOrigins: ['https://app.example.com'] });
    const allowed = await cors.app.request('/posts', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, idempotency-key',
      },
    });
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /Idempotency-Key/i);
    const other = await cors.app.request('/health', { headers: { origin: 'https://evil.example.com' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const none = await h.app.request('/health', { headers: { origin: 'https://app.example.com' } });
    assert.equal(none.headers.get('access-control-allow-origin'), null);
  });
});

describe('API accounts and system routes', () => {
  let h: ApiHarness;

  beforeEach(async () => {
    h = await createApiHarness();
  });

  it("lists the caller's accounts without tokens", async () => {
    const account = await h.connect(h.alice, 'linkedin');
    await h.connect(h.bob, 'x');
    const res = await h.call('GET', '/accounts');
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.doesNotMatch(text, /access-|token"|Token"|ciphertext/i);
    const body = JSON.parse(text);
    assert.deepEqual(body.items.map((a: { id: string }) => a.id), [account.id]);
    assert.equal(body.items[0].platform, 'linkedin');
  });

  it("disconnects the caller's account, and answers 404 for another user's or a gone one", async () => {
    const mine = await h.connect(h.alice, 'x');
    const bobs = await h.connect(h.bob, 'x');
    assert.equal((await h.call('DELETE', `/accounts/${bobs.id}`)).status, 404);
    assert.ok(await h.store.getAccount(bobs.id));
    assert.equal((await h.call('DELETE', `/accounts/${mine.id}`)).status, 204);
    assert.equal(await h.store.getAccount(mine.id), null);
    const again = await h.call('DELETE', `/accounts/${mine.id}`);
    assert.equal(again.status, 404);
    assert.equal((await again.json()).code, 'account_not_found');
  });

  it('answers health without touching dependencies', async () => {
    h.postScheduler.down = true;
    const res = await h.call('GET', '/health', { as: null });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('reports ready when the store and the queue answer, and 503 naming the failing one otherwise', async () => {
    const ok = await h.call('GET', '/ready');
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { status: 'ready', checks: { database: 'ok', redis: 'ok' } });
    h.postScheduler.down = true;
    const down = await h.call('GET', '/ready');
    assert.equal(down.status, 503);
    assert.deepEqual(await down.json(), {
      status: 'not_ready',
      checks: { database: 'ok', redis: 'failing' },
    });
  });

  it('serves every route under a base path when asked (as the Supabase gateway does)', async () => {
    const based = await createApiHarness({ basePath: '/functions/v1' });
    const account = await based.connect(based.alice, 'x');
    const res = await based.call('POST', '/functions/v1/posts', {
      body: { text: 'hi', scheduledAt: 'now', targets: [{ accountId: account.id }] },
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), `/functions/v1/posts/${(await res.json()).id}`);
    assert.equal((await based.call('GET', '/functions/v1/health')).status, 200);
    const outside = await based.call('GET', '/posts');
    assert.equal(outside.status, 404);
    assert.equal(outside.headers.get('content-type'), 'application/problem+json');
  });
});
