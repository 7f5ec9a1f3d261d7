/**
 * The API through a real HTTP server on an ephemeral port: @hono/node-server under Node, and the same
 * adapter under Deno (its node:http compatibility), so both runtimes serve the same app.fetch.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApiHarness } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';

describe('API over a real HTTP server', () => {
  let h: ApiHarness;
  let server: ServerType;
  let base: string;

  before(async () => {
    h = await createApiHarness({ corsOrigins: ['https://app.example.com'] });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });

  it('schedules, reads, edits and cancels a post over HTTP', async () => {
    const account = await h.connect(h.alice, 'linkedin');
    const headers = {
      authorization: `Bearer ${await h.token()}`,
      'content-type': 'application/json',
      origin: 'https://app.example.com',
    };
    const created = await fetch(`${base}/posts`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': 'http-1' },
      body: JSON.stringify({ text: 'over the wire', scheduledAt: 'now', platforms: ['linkedin'] }),
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.match(created.headers.get('access-control-expose-headers') ?? '', /ETag/i);
    const post = await created.json();
    assert.equal(post.targets[0].accountId, account.id);

    const read = await fetch(`${base}/posts/${post.id}`, { headers });
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('etag'), '"1"');
    await read.body?.cancel();

    const edited = await fetch(`${base}/posts/${post.id}`, {
      method: 'PATCH',
      headers: { ...headers, 'if-match': '"1"' },
      body: JSON.stringify({ text: 'edited over the wire' }),
    });
    assert.equal(edited.status, 200);
    assert.equal((await edited.json()).version, 2);

    const cancelled = await fetch(`${base}/posts/${post.id}`, { method: 'DELETE', headers });
    assert.equal(cancelled.status, 204);
    await cancelled.body?.cancel();
    assert.equal((await h.store.getPost(post.id))?.status, 'cancelled');
  });

  it('answers problem+json for a huge body sent with Content-Length', async () => {
    const res = await fetch(`${base}/posts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await h.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x'.repeat(200_000) }),
    });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal((await res.json()).code, 'body_too_large');
  });

  it('answers health without a token', async () => {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });
});
