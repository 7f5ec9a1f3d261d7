import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpClient, parseJsonBody, redactUrls } from '../../src/platforms/http-client.ts';
import { isPublishError } from '../../src/platforms/publish-error.ts';

const refused = () => {
  const err = new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  });
  return Promise.reject(err);
};
const reset = () => {
  const err = new TypeError('fetch failed', {
    cause: Object.assign(new Error('other side closed https://h/x?access_token=SECRET'), {
      code: 'UND_ERR_SOCKET',
    }),
  });
  return Promise.reject(err);
};

describe('http client', () => {
  it('parses JSON bodies and never throws on bad JSON', () => {
    assert.deepEqual(parseJsonBody('{"a":1}'), { a: 1 });
    assert.equal(parseJsonBody('<html>'), undefined);
    assert.equal(parseJsonBody(''), undefined);
  });

  it('reads the body once and bounds the excerpt', async () => {
    const http = createHttpClient({
      platform: 'x',
      fetch: () => Promise.resolve(new Response('x'.repeat(5000), { status: 502 })),
    });
    const res = await http.request({
      method: 'GET',
      url: 'https://api.example/',
      signal: AbortSignal.timeout(1000),
    });
    assert.equal(res.status, 502);
    assert.equal(res.text.length, 5000);
    assert.equal(res.json, undefined);
    assert.ok(res.bodyExcerpt.length < 600);
  });

  it('reports a refused connection as network, also for a publish', async () => {
    const http = createHttpClient({ platform: 'x', fetch: refused });
    const err = await http.request({
      method: 'POST',
      url: 'https://api.example/2/tweets',
      signal: AbortSignal.timeout(1000),
    })
      .catch((e) => e);
    assert.ok(isPublishError(err));
    assert.equal(err.code, 'network');
  });

  it('reports a reset after sending as outcome_unknown for a publish and network for a read', async () => {
    const http = createHttpClient({ platform: 'x', fetch: reset });
    const post = await http.request({
      method: 'POST',
      url: 'https://api.example/2/tweets?access_token=SECRET',
      signal: AbortSignal.timeout(1000),
    })
      .catch((e) => e);
    assert.equal(post.code, 'outcome_unknown');
    assert.ok(!post.message.includes('SECRET') && !String(post.cause?.cause?.message).includes('SECRET'));
    const get = await http.request({
      method: 'GET',
      url: 'https://api.example/2/users/me',
      signal: AbortSignal.timeout(1000),
    })
      .catch((e) => e);
    assert.equal(get.code, 'network');
  });

  it('times out a request that gets no answer: outcome_unknown for a publish', async () => {
    const hang = (_: unknown, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason))
      );
    const http = createHttpClient({ platform: 'x', fetch: hang as typeof fetch, timeoutMs: 50 });
    // AbortSignal.timeout does not keep Node's event loop alive on its own.
    const keepAlive = setTimeout(() => {}, 5000);
    const err = await http.request({
      method: 'POST',
      url: 'https://api.example/2/tweets',
      signal: new AbortController().signal,
    })
      .catch((e) => e);
    assert.equal(err.code, 'outcome_unknown');
    clearTimeout(keepAlive);
    assert.match(err.message, /no answer within 50 ms/);
  });

  it('does not send at all when the caller already aborted', async () => {
    let called = false;
    const http = createHttpClient({
      platform: 'x',
      fetch: () => {
        called = true;
        return Promise.resolve(new Response(''));
      },
    });
    const controller = new AbortController();
    controller.abort();
    const err = await http.request({ method: 'POST', url: 'https://api.example/', signal: controller.signal })
      .catch((e) => e);
    assert.equal(err.code, 'network');
    assert.equal(called, false);
  });

  it('removes query strings from URLs in texts', () => {
    assert.equal(redactUrls('GET https://h/p?access_token=abc failed'), 'GET https://h/p?… failed');
  });
});
