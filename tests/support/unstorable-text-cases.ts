/**
 * The API's answer to text neither store can keep as sent — a NUL character or a lone UTF-16
 * surrogate, in any text field of a posts request, and cursors naming instants Postgres cannot read —
 * as one set of cases that api-posts.test.ts (memory store) and api-postgres.test.ts (Postgres) both
 * run, so the two stores answer alike: 422 validation_failed naming the field, and nothing written.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiHarness } from './api-harness.ts';
import { inMinutes } from './api-harness.ts';

/** JSON.stringify writes a lone surrogate as `\udXXX`, so the server really receives one. */
const LONE_HIGH = '\ud83d';
const LONE_LOW = '\ude80';

function cursorOf(scheduledAt: string): string {
  return btoa(JSON.stringify([scheduledAt, crypto.randomUUID()]))
    .replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

async function assertNamesField(res: Response, path: string, label: string): Promise<void> {
  assert.equal(res.status, 422, `${label}: status`);
  assert.equal(res.headers.get('content-type'), 'application/problem+json', label);
  const problem = await res.json();
  assert.equal(problem.code, 'validation_failed', label);
  assert.ok(
    problem.errors?.some((e: { path: string; message: string }) => e.path === path),
    `${label}: errors name ${path}: ${JSON.stringify(problem.errors)}`,
  );
}

/** The cases, as `it`s inside the caller's describe; `harness` is read when each case runs. */
export function unstorableTextCases(harness: () => ApiHarness): void {
  const bodies: [string, Record<string, unknown>, string][] = [
    ['a NUL in text', { text: 'Hello\u0000world' }, 'text'],
    ['a lone high surrogate in text', { text: `half an emoji ${LONE_HIGH}` }, 'text'],
    ['a lone low surrogate in text', { text: `${LONE_LOW} first` }, 'text'],
    ['a NUL in a media url', { media: [{ url: 'https://cdn.example.test/a\u0000.jpg' }] }, 'media[0].url'],
    [
      'a lone surrogate in a media url',
      { media: [{ url: `https://cdn.example.test/${LONE_HIGH}.jpg` }] },
      'media[0].url',
    ],
    [
      'a NUL in altText',
      {
        media: [{ url: 'https://cdn.example.test/a.jpg' }, {
          url: 'https://cdn.example.test/b.jpg',
          altText: 'cat\u0000',
        }],
      },
      'media[1].altText',
    ],
    [
      'a lone surrogate in altText',
      { media: [{ url: 'https://cdn.example.test/a.jpg', altText: LONE_LOW }] },
      'media[0].altText',
    ],
  ];

  it('refuses NUL characters and lone surrogates in every text field of POST /posts with 422 naming the field, and creates nothing', async () => {
    const h = harness();
    const account = await h.connect(h.alice, 'x');
    for (const [label, change, path] of bodies) {
      const res = await h.call('POST', '/posts', {
        body: { text: 'Hello', scheduledAt: inMinutes(30), targets: [{ accountId: account.id }], ...change },
        headers: { 'idempotency-key': crypto.randomUUID() },
      });
      await assertNamesField(res, path, label);
    }
    assert.deepEqual(
      (await h.store.listPosts(h.alice)).items.filter((p) =>
        p.targets.some((t) => t.accountId === account.id)
      ),
      [],
    );
  });

  it('refuses them in PATCH /posts/:id too, and leaves the post as it was', async () => {
    const h = harness();
    const account = await h.connect(h.alice, 'linkedin');
    const created = await h.call('POST', '/posts', {
      body: { text: 'Original 🚀', scheduledAt: inMinutes(30), targets: [{ accountId: account.id }] },
    });
    assert.equal(created.status, 201);
    const post = await created.json();
    for (const [label, change, path] of bodies) {
      await assertNamesField(await h.call('PATCH', `/posts/${post.id}`, { body: change }), path, label);
    }
    const read = await (await h.call('GET', `/posts/${post.id}`)).json();
    assert.equal(read.version, 1);
    assert.equal(read.text, 'Original 🚀', 'a whole surrogate pair is stored and returned as sent');
  });

  it('refuses a cursor that holds a NUL or names an instant the store cannot read, with 422 naming cursor', async () => {
    const h = harness();
    const cursors: [string, string][] = [
      ['a NUL in the cursor', 'abc\u0000'],
      ['year 0', cursorOf('0000-01-01T00:00:00.000Z')],
      ['an extended year', cursorOf('+275760-09-13T00:00:00.000Z')],
      ['free text', cursorOf('March 7 2030')],
      ['an impossible day', cursorOf('2030-02-31T00:00:00.000Z')],
    ];
    for (const [label, cursor] of cursors) {
      await assertNamesField(
        await h.call('GET', `/posts?cursor=${encodeURIComponent(cursor)}`),
        'cursor',
        label,
      );
    }
    const fine = await h.call('GET', `/posts?cursor=${cursorOf('2030-01-01T00:00:00.123456Z')}`);
    assert.equal(fine.status, 200, 'a cursor of the form the stores write is read');
  });
}
