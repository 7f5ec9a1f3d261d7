/**
 * POST /posts/validate agrees with POST /posts. Every body the validation tests refuse (api-posts,
 * api-safety, api-problem-titles, api-statements, unstorable-text-cases, dev-stack) and the
 * per-target content of issue 15 run as one table: validate answers 200 with `valid: false`, the
 * `code` of POST /posts's 422 and each of its errors, and POST /posts then answers that 422. The
 * bodies POST /posts accepts validate as `valid: true` and are then created (201). Validate stores
 * and enqueues nothing. Each case runs on the harness's fake rules and on the real publishers' rules
 * (createPublishers, wired as build-api.ts wires them).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSupabaseJwtVerifier } from '../../src/api/auth/verify-supabase-jwt.ts';
import { rulesFromPublishers, validatorFromPublishers } from '../../src/api/content-validator.ts';
import { createApp } from '../../src/api/create-app.ts';
import type { App } from '../../src/api/create-app.ts';
import { createPublisherClient } from '../../src/client/index.ts';
import type { PostValidation } from '../../src/client/index.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createDevSupabaseClient } from '../../src/dev/dev-supabase-client.ts';
import type { Platform } from '../../src/domain/platform.ts';
import type { SocialAccount } from '../../src/domain/post.ts';
import { createPublishers } from '../../src/platforms/registry.ts';
import { createApiHarness, HS256_SECRET, inMinutes, TEST_ISSUER } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';

type Rules = 'fake' | 'real';

interface ProblemError {
  path: string;
  message: string;
  platform?: string;
  rule?: string;
}

/** One harness per case: alice has an X and a LinkedIn account; the app checks with `rules`. */
interface Setup {
  h: ApiHarness;
  app: App;
  x: SocialAccount;
  linkedin: SocialAccount;
  /** Accounts a case's setup adds, by name. */
  more: Record<string, SocialAccount>;
  call(method: string, path: string, body: unknown, as?: string): Promise<Response>;
}

const PUBLISHERS = createPublishers(loadConfig({}));

async function setUp(rules: Rules): Promise<Setup> {
  // One instant for both requests, so the messages that name "now" read alike.
  const at = new Date();
  const now = () => at;
  const h = await createApiHarness({ now });
  const app = rules === 'fake' ? h.app : createApp({
    now,
    store: h.store,
    postScheduler: h.postScheduler,
    logger: h.logger,
    auth: createSupabaseJwtVerifier({ hs256Secret: HS256_SECRET, issuer: TEST_ISSUER }),
    validateContent: validatorFromPublishers(PUBLISHERS),
    contentRules: rulesFromPublishers(PUBLISHERS),
  });
  return {
    h,
    app,
    x: await h.connect(h.alice, 'x'),
    linkedin: await h.connect(h.alice, 'linkedin'),
    more: {},
    async call(method, path, body, as = h.alice) {
      return await app.request(path, {
        method,
        headers: {
          authorization: `Bearer ${await h.token({ sub: as })}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    },
  };
}

const LONE_HIGH = '\ud83d';
const LONE_LOW = '\ude80';
const URL_TEXT = 'Launch day! https://example.com/' + 'a'.repeat(200);

interface RefusedCase {
  name: string;
  /** Rule sets it runs on. (Default: both) */
  rules?: Rules[];
  setup?(s: Setup): Promise<void>;
  body(s: Setup): unknown;
  /** The code of POST /posts's 422. */
  code: string;
  /** Paths the 422 names (each must appear). */
  paths: string[];
  /**
   * POST /posts stops at the first step that fails (time, accounts, content); validate goes on and
   * lists the later steps' problems too. Otherwise both list exactly the same errors.
   */
  validateListsMore?: true;
}

function base(s: Setup, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { text: 'Hello world', scheduledAt: inMinutes(30), targets: [{ accountId: s.x.id }], ...extra };
}

const REFUSED: RefusedCase[] = [
  // api-posts.test.ts
  {
    name: 'a platform with no connected account',
    body: (s) => base(s, { targets: undefined, platforms: ['instagram'] }),
    code: 'account_ambiguous',
    paths: ['platforms[0]'],
  },
  {
    name: 'a platform with several connected accounts',
    setup: async (s) => {
      s.more.secondX = await s.h.connect(s.h.alice, 'x', 'second-x');
    },
    body: (s) => base(s, { targets: undefined, platforms: ['x'] }),
    code: 'account_ambiguous',
    paths: ['platforms[0]'],
  },
  ...['myspace', 'constructor', '__proto__'].map((name): RefusedCase => ({
    name: `the unknown platform ${name}`,
    body: (s) => base(s, { targets: undefined, platforms: [name] }),
    code: 'validation_failed',
    paths: ['platforms[0]'],
  })),
  {
    name: 'a time 5 minutes in the past',
    body: (s) => base(s, { scheduledAt: new Date(Date.now() - 5 * 60_000).toISOString() }),
    code: 'schedule_in_past',
    paths: ['scheduledAt'],
  },
  {
    name: 'a time without an offset',
    body: (s) => base(s, { scheduledAt: '2099-01-01T10:00:00' }),
    code: 'validation_failed',
    paths: ['scheduledAt'],
  },
  {
    name: 'an impossible date',
    body: (s) => base(s, { scheduledAt: '2099-02-30T10:00:00Z' }),
    code: 'validation_failed',
    paths: ['scheduledAt'],
  },
  {
    name: 'a text too long for X and no media for Instagram',
    setup: async (s) => {
      s.more.instagram = await s.h.connect(s.h.alice, 'instagram');
    },
    body: (s) =>
      base(s, {
        text: 'x'.repeat(300),
        targets: [{ accountId: s.x.id }, { accountId: s.more.instagram!.id }, { accountId: s.linkedin.id }],
      }),
    code: 'content_invalid',
    paths: ['text', 'media'],
  },
  {
    name: "another user's account",
    setup: async (s) => {
      s.more.bobX = await s.h.connect(s.h.bob, 'x');
    },
    body: (s) => base(s, { targets: [{ accountId: s.more.bobX!.id }] }),
    code: 'validation_failed',
    paths: ['targets[0].accountId'],
  },
  {
    name: 'a non-uuid account id',
    body: (s) => base(s, { targets: [{ accountId: 'abc' }] }),
    code: 'validation_failed',
    paths: ['targets[0].accountId'],
  },
  {
    name: 'both targets and platforms',
    body: (s) => base(s, { platforms: ['x'] }),
    code: 'validation_failed',
    paths: ['platforms'],
  },
  {
    name: 'neither targets nor platforms',
    body: (s) => base(s, { targets: undefined }),
    code: 'validation_failed',
    paths: ['targets'],
  },
  // unstorable-text-cases.ts
  ...([
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
  ] as [string, Record<string, unknown>, string][]).map(([name, change, path]): RefusedCase => ({
    name,
    body: (s) => base(s, change),
    code: 'validation_failed',
    paths: [path],
  })),
  // api-safety.test.ts
  {
    name: 'a number as text',
    body: (s) => base(s, { text: 42 }),
    code: 'validation_failed',
    paths: ['text'],
  },
  {
    name: 'wrong types and unknown fields',
    body: (s) => base(s, { text: ['a'], media: [{ url: 'ftp://x/y.jpg', size: 3 }], userId: s.h.bob }),
    code: 'validation_failed',
    paths: ['media[0].size', 'media[0].url', 'text', 'userId'],
  },
  ...([[1, 2], 'text', null] as unknown[]).map((body): RefusedCase => ({
    name: `the non-object body ${JSON.stringify(body)}`,
    body: () => body,
    code: 'validation_failed',
    paths: [],
  })),
  // api-problem-titles.test.ts
  { name: 'an empty body', body: () => ({}), code: 'validation_failed', paths: ['text', 'scheduledAt'] },
  {
    name: 'a wrong type of scheduledAt and platforms',
    body: () => ({ text: 'hi', scheduledAt: 5, platforms: 'x' }),
    code: 'validation_failed',
    paths: ['scheduledAt', 'platforms'],
  },
  {
    name: 'a time years in the past, with platforms',
    body: () => ({ text: 'hi', scheduledAt: '2020-01-01T00:00:00Z', platforms: ['x'] }),
    code: 'schedule_in_past',
    paths: ['scheduledAt'],
  },
  {
    name: 'a text too long for X, with platforms',
    body: () => ({ text: 'x'.repeat(300), scheduledAt: 'now', platforms: ['x'] }),
    code: 'content_invalid',
    paths: ['text'],
  },
  // api-statements.test.ts
  {
    name: "a text too long for X beside another user's account (accounts are named first)",
    setup: async (s) => {
      s.more.bobX = await s.h.connect(s.h.bob, 'x');
    },
    body: (s) =>
      base(s, { text: 'x'.repeat(300), targets: [{ accountId: s.x.id }, { accountId: s.more.bobX!.id }] }),
    code: 'validation_failed',
    paths: ['targets[1].accountId'],
  },
  {
    name: 'an account that needs reconnecting',
    setup: async (s) => {
      await s.h.store.setAccountStatus(s.linkedin.id, 'needs_reconnect');
    },
    body: (s) => base(s, { text: 'short', targets: [{ accountId: s.linkedin.id }] }),
    code: 'validation_failed',
    paths: ['targets[0].accountId'],
  },
  // dev-stack.test.ts
  {
    name: 'no media for Instagram',
    setup: async (s) => {
      s.more.instagram = await s.h.connect(s.h.alice, 'instagram');
    },
    body: () => ({ text: 'no media on Instagram', scheduledAt: 'now', platforms: ['instagram'] }),
    code: 'content_invalid',
    paths: ['media'],
  },
  // Steps combined: POST /posts answers the first, validate lists them all under its code.
  {
    name: 'a time in the past and a text too long for X',
    body: (s) => base(s, { text: 'x'.repeat(300), scheduledAt: '2020-01-01T00:00:00Z' }),
    code: 'schedule_in_past',
    paths: ['scheduledAt'],
    validateListsMore: true,
  },
  {
    name: "a time in the past and another user's account",
    setup: async (s) => {
      s.more.bobX = await s.h.connect(s.h.bob, 'x');
    },
    body: (s) => base(s, { scheduledAt: '2020-01-01T00:00:00Z', targets: [{ accountId: s.more.bobX!.id }] }),
    code: 'schedule_in_past',
    paths: ['scheduledAt'],
    validateListsMore: true,
  },
  // Issue 15: per-target content.
  {
    name: "an X target's own text of 300 characters beside LinkedIn on the post's text",
    body: (s) =>
      base(s, { targets: [{ accountId: s.x.id, text: 'y'.repeat(300) }, { accountId: s.linkedin.id }] }),
    code: 'content_invalid',
    paths: ['targets[0].text'],
  },
  {
    name: 'a thread whose part 3 is too long for X',
    body: (s) =>
      base(s, {
        targets: [{ accountId: s.linkedin.id }, {
          accountId: s.x.id,
          thread: ['1/3 first', '2/3 second', `3/3 ${'z'.repeat(300)}`],
        }],
      }),
    code: 'content_invalid',
    paths: ['targets[1].thread[2]'],
  },
  {
    name: 'a thread on a LinkedIn target',
    body: (s) => base(s, { targets: [{ accountId: s.linkedin.id, thread: ['1/2 one', '2/2 two'] }] }),
    code: 'content_invalid',
    paths: ['targets[0].thread'],
  },
  {
    name: 'threadSplit on a LinkedIn target',
    body: (s) => base(s, { targets: [{ accountId: s.linkedin.id, threadSplit: true }] }),
    code: 'content_invalid',
    paths: ['targets[0].threadSplit'],
  },
  {
    name: 'platformText for a platform not targeted',
    body: (s) =>
      base(s, { targets: undefined, platforms: ['x'], platformText: { linkedin: 'for LinkedIn' } }),
    code: 'validation_failed',
    paths: ['platformText.linkedin'],
  },
  {
    name: 'platformText with targets',
    body: (s) => base(s, { platformText: { x: 'for X' } }),
    code: 'validation_failed',
    paths: ['platformText'],
  },
  {
    name: 'text and thread on one target',
    body: (s) => base(s, { targets: [{ accountId: s.x.id, text: 'own', thread: ['1/2 a', '2/2 b'] }] }),
    code: 'validation_failed',
    paths: ['targets[0].thread'],
  },
  {
    name: 'a thread of one part',
    body: (s) => base(s, { targets: [{ accountId: s.x.id, thread: ['only'] }] }),
    code: 'validation_failed',
    paths: ['targets[0].thread'],
  },
  {
    name: 'a post first comment too long for X',
    rules: ['real'],
    body: (s) =>
      base(s, {
        firstComment: 'c'.repeat(300),
        targets: [{ accountId: s.x.id }, { accountId: s.linkedin.id }],
      }),
    code: 'content_invalid',
    paths: ['firstComment'],
  },
  {
    name: "an X target's own first comment too long for X",
    rules: ['real'],
    body: (s) => base(s, { targets: [{ accountId: s.x.id, firstComment: 'c'.repeat(300) }] }),
    code: 'content_invalid',
    paths: ['targets[0].firstComment'],
  },
  {
    name: 'a LinkedIn first comment over 1250 characters',
    rules: ['real'],
    body: (s) => base(s, { firstComment: 'c'.repeat(1300), targets: [{ accountId: s.linkedin.id }] }),
    code: 'content_invalid',
    paths: ['firstComment'],
  },
  {
    // The harness's fake rules count no X limit to split by (PLAIN_CONTENT_RULES measures 10000).
    name: 'a text threadSplit cannot split (one word longer than a part)',
    rules: ['real'],
    body: (s) => base(s, { targets: [{ accountId: s.x.id, text: 'w'.repeat(400), threadSplit: true }] }),
    code: 'content_invalid',
    paths: ['targets[0].threadSplit'],
  },
];

const key = (e: ProblemError) => JSON.stringify([e.path, e.message, e.platform ?? null, e.rule ?? null]);

async function assertNothingStored(s: Setup, label: string): Promise<void> {
  assert.deepEqual((await s.h.store.listPosts(s.h.alice)).items, [], `${label}: validate stored no post`);
  assert.deepEqual(
    (await (await s.call('GET', '/posts', undefined)).json()).items,
    [],
    `${label}: GET /posts`,
  );
  assert.deepEqual(s.h.postScheduler.calls, [], `${label}: validate enqueued nothing`);
}

async function validate(s: Setup, body: unknown): Promise<PostValidation> {
  const res = await s.call('POST', '/posts/validate', body);
  assert.equal(res.status, 200);
  return await res.json() as PostValidation;
}

for (const rules of ['fake', 'real'] as const) {
  describe(`POST /posts/validate on the ${rules} content rules`, () => {
    for (const c of REFUSED.filter((c) => (c.rules ?? ['fake', 'real']).includes(rules))) {
      it(`agrees with the 422 of POST /posts on ${c.name}`, async () => {
        const s = await setUp(rules);
        await c.setup?.(s);
        const body = c.body(s);
        const verdict = await validate(s, body);
        assert.equal(verdict.valid, false, JSON.stringify(verdict));
        assert.equal(verdict.code, c.code, JSON.stringify(verdict.errors));
        await assertNothingStored(s, c.name);

        const res = await s.call('POST', '/posts', body);
        assert.equal(res.status, 422);
        const problem = await res.json() as { code: string; errors?: ProblemError[] };
        assert.equal(problem.code, verdict.code);
        const errors = problem.errors ?? [];
        assert.ok(errors.length > 0, 'the 422 lists its errors');
        for (const path of c.paths) {
          assert.ok(errors.some((e) => e.path === path), `the 422 names ${path}: ${JSON.stringify(errors)}`);
        }
        const listed = new Set(verdict.errors.map(key));
        for (const e of errors) {
          assert.ok(listed.has(key(e)), `validate lists ${key(e)}; it listed ${[...listed].join(' | ')}`);
        }
        if (c.validateListsMore) {
          assert.ok(verdict.errors.length > errors.length, 'validate lists the later steps too');
        } else {
          assert.deepEqual([...listed].sort(), errors.map(key).sort());
        }
        assert.deepEqual((await s.h.store.listPosts(s.h.alice)).items, [], 'POST /posts stored nothing');
      });
    }

    it('answers valid: true for bodies POST /posts accepts, stores nothing, and POST /posts then creates them', async () => {
      const s = await setUp(rules);
      const instagram = await s.h.connect(s.h.alice, 'instagram');
      const bodies: [string, Record<string, unknown>][] = [
        [
          'the post text on two accounts',
          base(s, {
            targets: [{ accountId: s.x.id }, { accountId: s.linkedin.id }],
            media: [{ url: 'https://cdn.example.com/a.jpg', altText: 'A cat' }],
          }),
        ],
        ['"now"', base(s, { scheduledAt: 'now' })],
        ['a time 10 s in the past', base(s, { scheduledAt: new Date(Date.now() - 10_000).toISOString() })],
        ['platforms with twitter', base(s, { targets: undefined, platforms: ['twitter', 'linkedin'] })],
        [
          'per-target content',
          base(s, {
            firstComment: 'More in the comments',
            targets: [
              {
                accountId: s.x.id,
                thread: ['1/2 The first part', '2/2 The second part'],
                firstComment: 'On X',
              },
              { accountId: s.linkedin.id, text: 'LinkedIn gets a longer text of its own' },
              { accountId: instagram.id, text: 'Instagram caption' },
            ],
            media: [{ url: 'https://cdn.example.com/a.jpg' }],
          }),
        ],
        [
          'platformText',
          base(s, {
            targets: undefined,
            platforms: ['x', 'linkedin'],
            platformText: { linkedin: 'Only LinkedIn reads this' },
          }),
        ],
        ...(rules === 'real'
          ? [[
            'threadSplit of a long text',
            base(s, {
              targets: [{
                accountId: s.x.id,
                text: 'Words and more words. '.repeat(30).trim(),
                threadSplit: true,
              }],
            }),
          ] as [string, Record<string, unknown>]]
          : []),
      ];
      for (const [label, body] of bodies) {
        const verdict = await validate(s, body);
        assert.deepEqual(
          { valid: verdict.valid, code: verdict.code, errors: verdict.errors },
          { valid: true, code: null, errors: [] },
          label,
        );
        assert.ok(verdict.targets.every((t) => t.errors.length === 0 && t.length <= t.limit), label);
        await assertNothingStored(s, label);
      }
      for (const [label, body] of bodies) {
        const verdict = await validate(s, body);
        const res = await s.call('POST', '/posts', body);
        assert.equal(res.status, 201, label);
        const post = await res.json() as {
          targets: { accountId: string; text: string; ownText: boolean; thread: { text: string }[] | null }[];
        };
        // What validate says each target publishes is what the created post shows.
        assert.deepEqual(
          verdict.targets.map((t) => [t.accountId, t.text, t.ownText, t.parts?.map((p) => p.text) ?? null])
            .sort(),
          post.targets.map((t) => [t.accountId, t.text, t.ownText, t.thread?.map((p) => p.text) ?? null])
            .sort(),
          label,
        );
      }
      assert.equal(s.h.postScheduler.calls.length, bodies.length, 'only POST /posts enqueued');
    });
  });
}

describe('POST /posts/validate reports each target as its platform counts it', () => {
  it("counts X's weighted length (a URL counts 23) and LinkedIn's code points, each against its limit", async () => {
    const s = await setUp('real');
    const verdict = await validate(
      s,
      base(s, { text: URL_TEXT, targets: [{ accountId: s.x.id }, { accountId: s.linkedin.id }] }),
    );
    assert.equal(verdict.valid, true, JSON.stringify(verdict.errors));
    const byPlatform = Object.fromEntries(verdict.targets.map((t) => [t.platform, t]));
    assert.deepEqual(byPlatform.x, {
      accountId: s.x.id,
      platform: 'x',
      text: URL_TEXT,
      ownText: false,
      length: 'Launch day! '.length + 23,
      limit: 280,
      parts: null,
      firstComment: null,
      errors: [],
    });
    assert.equal(byPlatform.linkedin?.length, [...URL_TEXT].length);
    assert.equal(byPlatform.linkedin?.limit, 3000);
  });

  it("shows an X target's own 300-character text over the limit while LinkedIn publishes the post's text", async () => {
    const s = await setUp('real');
    const own = 'y'.repeat(300);
    const verdict = await validate(
      s,
      base(s, { targets: [{ accountId: s.x.id, text: own }, { accountId: s.linkedin.id }] }),
    );
    assert.equal(verdict.code, 'content_invalid');
    const [x, linkedin] = verdict.targets;
    assert.deepEqual([x?.text, x?.ownText, x?.length, x?.limit], [own, true, 300, 280]);
    assert.deepEqual(x?.errors.map((e) => [e.path, e.platform, e.rule]), [[
      'targets[0].text',
      'x',
      'text_too_long',
    ]]);
    assert.deepEqual(
      [linkedin?.text, linkedin?.ownText, linkedin?.length, linkedin?.errors],
      ['Hello world', false, 11, []],
    );
  });

  it("measures each part of a thread and names the part that breaks X's limit", async () => {
    const s = await setUp('real');
    const long = `3/3 ${'z'.repeat(300)}`;
    const verdict = await validate(
      s,
      base(s, {
        targets: [{ accountId: s.x.id, thread: ['1/3 see https://example.com/one', '2/3 two', long] }],
      }),
    );
    const [x] = verdict.targets;
    assert.equal(x?.text, '1/3 see https://example.com/one', 'part 1 is what the target publishes first');
    assert.deepEqual(x?.parts, [
      { text: '1/3 see https://example.com/one', length: '1/3 see '.length + 23, limit: 280 },
      { text: '2/3 two', length: 7, limit: 280 },
      { text: long, length: 304, limit: 280 },
    ]);
    assert.deepEqual(x?.errors.map((e) => [e.path, e.rule]), [['targets[0].thread[2]', 'text_too_long']]);
  });

  it('splits a long text into numbered parts within X weighted limit, each reported', async () => {
    const s = await setUp('real');
    const text =
      Array.from({ length: 12 }, (_, i) => `Sentence ${i + 1} links https://example.com/${i}.`).join(' ') +
      ' ' + 'More words follow here. '.repeat(12).trim();
    const verdict = await validate(s, base(s, { targets: [{ accountId: s.x.id, text, threadSplit: true }] }));
    assert.equal(verdict.valid, true, JSON.stringify(verdict.errors));
    const parts = verdict.targets[0]?.parts ?? [];
    assert.ok(parts.length >= 2, `split into ${parts.length} parts`);
    parts.forEach((p, i) => {
      assert.ok(p.text.endsWith(` ${i + 1}/${parts.length}`), p.text);
      assert.ok(p.length <= 280 && p.limit === 280, `${p.length}`);
    });
    assert.equal(verdict.targets[0]?.text, parts[0]?.text);
  });

  it('refuses a thread on LinkedIn with thread_unsupported on that target only', async () => {
    const s = await setUp('real');
    const verdict = await validate(
      s,
      base(s, { targets: [{ accountId: s.x.id }, { accountId: s.linkedin.id, thread: ['1/2 a', '2/2 b'] }] }),
    );
    assert.equal(verdict.code, 'content_invalid');
    assert.deepEqual(
      verdict.errors.map((e) => [e.path, e.platform, e.rule]),
      [['targets[1].thread', 'linkedin', 'thread_unsupported']],
    );
    assert.deepEqual(verdict.targets.map((t) => [t.platform, t.errors.length]), [['x', 0], ['linkedin', 1]]);
  });

  it('names platformText for a platform the post does not target, with no targets to show', async () => {
    const s = await setUp('real');
    const verdict = await validate(
      s,
      base(s, { targets: undefined, platforms: ['x'], platformText: { linkedin: 'for LinkedIn' } }),
    );
    assert.equal(verdict.valid, false);
    assert.equal(verdict.code, 'validation_failed');
    assert.deepEqual(verdict.errors.map((e) => e.path), ['platformText.linkedin']);
    assert.deepEqual(verdict.targets, []);
  });

  it('measures the first comment against the comment rules of each platform', async () => {
    const s = await setUp('real');
    const comment = 'c'.repeat(300);
    const verdict = await validate(
      s,
      base(s, { firstComment: comment, targets: [{ accountId: s.x.id }, { accountId: s.linkedin.id }] }),
    );
    assert.equal(verdict.code, 'content_invalid');
    const [x, linkedin] = verdict.targets;
    assert.deepEqual(x?.firstComment, { text: comment, length: 300, limit: 280 });
    assert.deepEqual(x?.errors.map((e) => [e.path, e.platform, e.rule]), [[
      'firstComment',
      'x',
      'text_too_long',
    ]]);
    assert.deepEqual(linkedin?.errors, [], 'LinkedIn takes a 300-character comment');
    assert.equal(linkedin?.firstComment?.length, 300);
  });

  it("gives a LinkedIn first comment LinkedIn's comment limit (1250), the limit its rule enforces", async () => {
    const s = await setUp('real');
    const verdict = await validate(
      s,
      base(s, { firstComment: 'c'.repeat(1300), targets: [{ accountId: s.linkedin.id }] }),
    );
    const [linkedin] = verdict.targets;
    assert.deepEqual(linkedin?.errors.map((e) => [e.path, e.rule]), [['firstComment', 'text_too_long']]);
    assert.equal(linkedin?.firstComment?.text.length, 1300);
    assert.deepEqual(
      { length: linkedin?.firstComment?.length, limit: linkedin?.firstComment?.limit },
      { length: 1300, limit: 1250 },
    );
  });
});

describe('the typed client validatePost', () => {
  async function clientFor() {
    const h = await createApiHarness({ basePath: '/functions/v1' });
    const x = await h.connect(h.alice, 'x');
    const client = createPublisherClient(
      createDevSupabaseClient(
        'http://api.test',
        await h.token(),
        (input, init) => Promise.resolve(h.app.fetch(new Request(input, init))),
      ),
    );
    return { h, x, client };
  }

  it('answers the verdict, valid or not, without throwing and without storing', async () => {
    const { h, x, client } = await clientFor();
    const ok = await client.validatePost({
      text: 'Hello',
      scheduledAt: 'now',
      targets: [{ accountId: x.id, thread: ['1/2 one', '2/2 two'], firstComment: 'first!' }],
    });
    assert.equal(ok.valid, true);
    assert.equal(ok.code, null);
    const platform: Platform | undefined = ok.targets[0]?.platform;
    assert.equal(platform, 'x');
    assert.deepEqual(ok.targets[0]?.parts?.map((p) => p.text), ['1/2 one', '2/2 two']);
    assert.equal(ok.targets[0]?.firstComment?.text, 'first!');

    const past = await client.validatePost({
      text: 'late',
      scheduledAt: '2020-01-01T00:00:00Z',
      platforms: ['x'],
    });
    assert.deepEqual([past.valid, past.code, past.errors.map((e) => e.path)], [false, 'schedule_in_past', [
      'scheduledAt',
    ]]);

    const tooLong = await client.validatePost({
      text: 'Hello',
      scheduledAt: 'now',
      targets: [{ accountId: x.id, text: 'y'.repeat(300) }],
    });
    assert.equal(tooLong.code, 'content_invalid');
    assert.deepEqual(tooLong.errors.map((e) => e.path), ['targets[0].text']);

    assert.deepEqual((await h.store.listPosts(h.alice)).items, []);
    assert.deepEqual(h.postScheduler.calls, []);
  });

  it('throws PublisherApiError with the code when the API refuses the request itself', async () => {
    const { h } = await clientFor();
    const stranger = createPublisherClient(
      createDevSupabaseClient(
        'http://api.test',
        'not-a-jwt',
        (input, init) => Promise.resolve(h.app.fetch(new Request(input, init))),
      ),
    );
    const err = await stranger.validatePost({ text: 'hi', scheduledAt: 'now', platforms: ['x'] }).catch((e) =>
      e
    );
    assert.equal(err.name, 'PublisherApiError');
    assert.equal(err.status, 401);
  });
});
