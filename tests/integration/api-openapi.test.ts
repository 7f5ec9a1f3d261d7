import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createApiHarness, inMinutes } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';
import { responseSchema, validateAgainstOpenApi } from '../support/openapi-validate.ts';

describe('API OpenAPI document', () => {
  let h: ApiHarness;
  let doc: Record<string, any>;

  before(async () => {
    h = await createApiHarness();
    const res = await h.call('GET', '/openapi.json', { as: null });
    assert.equal(res.status, 200);
    doc = await res.json();
  });

  it('describes every route, with bearer auth on all but health and the OAuth redirect (GET callback)', () => {
    assert.equal(doc.openapi, '3.1.0');
    const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap((
      [path, item],
    ) => Object.entries(item).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })));
    assert.deepEqual(operations.map((o) => o.name).sort(), [
      'DELETE /accounts/{id}',
      'DELETE /posts/{id}',
      'GET /accounts',
      'GET /accounts/{platform}/callback',
      'GET /health',
      'GET /posts',
      'GET /posts/{id}',
      'GET /ready',
      'PATCH /posts/{id}',
      'POST /accounts/{platform}/callback',
      'POST /accounts/{platform}/connect',
      'POST /posts',
      'POST /posts/validate',
      'POST /posts/{id}/retry',
    ]);
    for (const { name, op } of operations) {
      if (name === 'GET /health' || name === 'GET /accounts/{platform}/callback') {
        assert.equal(op.security, undefined, name);
      } else {
        assert.deepEqual(op.security, [{ bearerAuth: [] }], name);
      }
    }
    assert.equal(doc.components.securitySchemes.bearerAuth.scheme, 'bearer');
  });

  it('documents the OAuth completion: a JSON body with the state, answered with the account', () => {
    const complete = doc.paths['/accounts/{platform}/callback'].post;
    const body = complete.requestBody.content['application/json'].schema;
    assert.equal(body.$ref, '#/components/schemas/AccountConnectionCallback');
    const schema = doc.components.schemas.AccountConnectionCallback;
    assert.deepEqual(schema.required, ['state']);
    assert.deepEqual(Object.keys(schema.properties).sort(), ['code', 'error', 'error_description', 'state']);
    assert.ok(complete.responses['201'].content['application/json'].schema);
    assert.ok(complete.responses['400'], 'a foreign, spent or expired state');
    const redirect = doc.paths['/accounts/{platform}/callback'].get;
    assert.deepEqual(Object.keys(redirect.responses).sort(), ['303', '400', '422', '503']);
  });

  it('documents the request body with the same strict schema that validates it', () => {
    const body = doc.components.schemas.CreatePost;
    assert.deepEqual(body.required.sort(), ['scheduledAt', 'text']);
    assert.equal(body.additionalProperties, false);
    assert.deepEqual(Object.keys(body.properties).sort(), [
      'firstComment',
      'media',
      'platformText',
      'platforms',
      'scheduledAt',
      'targets',
      'text',
    ]);
    // A target may carry its own text, an X thread (or a split of its text) and a first comment.
    const target = doc.components.schemas.PostTargetInput;
    assert.equal(target.additionalProperties, false);
    assert.deepEqual(Object.keys(target.properties).sort(), [
      'accountId',
      'firstComment',
      'text',
      'thread',
      'threadSplit',
    ]);
    assert.equal(target.properties.thread.maxItems, 25);
  });

  it('matches real responses: a created post, a page, an account list and a problem', async () => {
    const account = await h.connect(h.alice, 'x');
    const created = await h.call('POST', '/posts', {
      body: {
        text: 'doc check',
        scheduledAt: inMinutes(5),
        targets: [{ accountId: account.id }],
        media: [{ url: 'https://a.example/b.jpg' }],
      },
    });
    assert.equal(created.status, 201);
    const post = await created.json();
    assert.deepEqual(
      validateAgainstOpenApi(doc, responseSchema(doc, '/posts', 'post', 201, 'application/json'), post),
      [],
    );

    const page = await (await h.call('GET', '/posts')).json();
    assert.deepEqual(
      validateAgainstOpenApi(doc, responseSchema(doc, '/posts', 'get', 200, 'application/json'), page),
      [],
    );

    const accounts = await (await h.call('GET', '/accounts')).json();
    assert.deepEqual(
      validateAgainstOpenApi(doc, responseSchema(doc, '/accounts', 'get', 200, 'application/json'), accounts),
      [],
    );

    const bad = await h.call('POST', '/posts', { body: { text: 1 } });
    assert.equal(bad.status, 422);
    const problem = await bad.json();
    assert.deepEqual(
      validateAgainstOpenApi(
        doc,
        responseSchema(doc, '/posts', 'post', 422, 'application/problem+json'),
        problem,
      ),
      [],
    );
  });

  it('would notice a response that drifted from the document', () => {
    const schema = responseSchema(doc, '/posts/{id}', 'get', 200, 'application/json');
    const problems = validateAgainstOpenApi(doc, schema, { id: 'x', status: 'lost', version: '1' });
    assert.ok(problems.some((p) => p.includes('$.status')));
    assert.ok(problems.some((p) => p.includes('$.version')));
    assert.ok(problems.some((p) => p.includes('$.targets: required')));
  });

  it('serves a reference page that loads the document, with its script from this server (no CDN)', async () => {
    const res = await h.call('GET', '/reference', { as: null });
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.match(html, /"url":"\/openapi.json"/);
    assert.match(html, /<a href="\/openapi.json">/, 'a visible link to the contract');
    assert.match(html, /<script src="\/reference\/scalar.js"><\/script>/);
    assert.doesNotMatch(html, /https?:\/\//, 'nothing from another host');
  });
});
