/**
 * docs/operations.md invariant 3 against a worker that really publishes: PATCH and DELETE race the real worker
 * (startWorker on real Redis, unique QUEUE_PREFIX) through the real API (createApp, its queue the
 * worker's BullMQ producer), on the memory store and on the Postgres store.
 *
 * - While a target's send is held open (the post is `publishing`), PATCH and DELETE answer 409
 *   `post_not_editable` and change nothing.
 * - Fired at the due time, against the claim: either an edit or cancel wins — and then the old version
 *   never goes out — or the publish wins — and then every PATCH and DELETE got 409. Never both, never a
 *   500. Versions are told apart by text length (the fake records the length of what it sent).
 */
import { after, afterEach, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { createSupabaseJwtVerifier } from '../../src/api/auth/verify-supabase-jwt.ts';
import { createApp } from '../../src/api/create-app.ts';
import type { App } from '../../src/api/create-app.ts';
import type { Post } from '../../src/domain/post.ts';
import type { Published, PublishRequest } from '../../src/platforms/publisher.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import type { FakePublisher } from '../fakes/fake-publisher.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';
import {
  createCreator,
  createMemoryLogger,
  createTestMemoryStore,
  waitForPostSettled,
} from '../support/worker-fixtures.ts';
import type { Creator, LogLine } from '../support/worker-fixtures.ts';
import { createWorkerHarness } from '../support/worker-harness.ts';
import type { WorkerHarness } from '../support/worker-harness.ts';

announcePostgresSkip();

const JWT_SECRET = 'publish-race-test-secret-with-32-characters-or-more';
/** A held send must outlast the requests: no timeout aborts it while the test holds it. */
const HOLD_ENV = { PUBLISH_TIMEOUT_MS: '15000', STUCK_AFTER_MS: '30000' };
/** The original text is longer than any edit, so a send of the old version shows by its length. */
const ORIGINAL_TEXT = `the original version, which must never go out after an edit ${'.'.repeat(20)}`;
const ROUNDS = 8;
const RACERS = 8;

interface Backend {
  name: string;
  skip: string | false;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  store(): Promise<PostStore>;
  newUserId(): Promise<string>;
}

let db: TestDatabase | null = null;

const BACKENDS: Backend[] = [
  {
    name: 'memory store',
    skip: false,
    async setUp() {},
    async tearDown() {},
    store: createTestMemoryStore,
    newUserId: () => Promise.resolve(crypto.randomUUID()),
  },
  {
    name: 'postgres store',
    skip: postgresSkip,
    async setUp() {
      db = await createTestDatabase();
    },
    async tearDown() {
      await db?.drop();
      db = null;
    },
    store: async () =>
      createPostgresPostStore({ sql: db!.sql, cipher: await createTokenCipher(randomKey()) }),
    newUserId: () => createUser(db!.sql),
  },
];

for (const backend of BACKENDS) raceSuite(backend);

interface HeldSends {
  /** The first send that began, once one has. */
  first: PublishRequest | null;
  release(): void;
}

/** Holds every send of `fake` (until `release()` or its abort signal); `first` is the first one. */
function holdSends(fake: FakePublisher): HeldSends {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held: HeldSends = { first: null, release: () => release() };
  const send = fake.publish.bind(fake);
  fake.publish = async (request: PublishRequest): Promise<Published> => {
    held.first ??= request;
    await new Promise<void>((resolve, reject) => {
      if (request.signal.aborted) return reject(request.signal.reason);
      request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true });
      void released.then(resolve);
    });
    return await send(request);
  };
  return held;
}

interface Api {
  app: App;
  lines: LogLine[];
  call(method: string, path: string, body?: unknown): Promise<Response>;
}

/** The real API on the harness's store, its queue the harness's BullMQ producer (same prefix). */
function createRaceApi(harness: WorkerHarness, userId: string): Api {
  const { logger, lines } = createMemoryLogger();
  const app = createApp({
    store: harness.store,
    postScheduler: harness.producer,
    auth: createSupabaseJwtVerifier({ hs256Secret: JWT_SECRET }),
    logger,
    validateContent: () => [],
  });
  let token: Promise<string> | null = null;
  return {
    app,
    lines,
    async call(method, path, body) {
      token ??= new SignJWT({ role: 'authenticated', aud: 'authenticated' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(JWT_SECRET));
      const headers: Record<string, string> = { authorization: `Bearer ${await token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      return await app.request(path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    },
  };
}

async function schedule(api: Api, creator: Creator, scheduledAt: Date): Promise<{ id: string }> {
  const res = await api.call('POST', '/posts', {
    text: ORIGINAL_TEXT,
    scheduledAt: scheduledAt.toISOString(),
    targets: [{ accountId: creator.accounts.x.id }, { accountId: creator.accounts.linkedin.id }],
  });
  assert.equal(res.status, 201, await res.clone().text());
  const created = await res.json();
  assert.equal(created.queued, true, 'the job is on the real queue');
  return created;
}

/** The comparable state of a post: what PATCH and DELETE could change. */
function shape(post: Post | null) {
  return post && {
    status: post.status,
    version: post.version,
    text: post.text,
    scheduledAt: post.scheduledAt.toISOString(),
    targets: post.targets.map((t) => ({ id: t.id, accountId: t.accountId, status: t.status })),
  };
}

function sendsOf(harness: WorkerHarness, postId: string) {
  return [harness.publishers.x, harness.publishers.linkedin, harness.publishers.instagram]
    .flatMap((p) => p.calls.filter((c) => c.postId === postId));
}

function raceSuite(backend: Backend) {
  describe(`PATCH and DELETE racing a publishing worker (${backend.name})`, { skip: backend.skip }, () => {
    let harness: WorkerHarness | null = null;
    let release: (() => void) | null = null;

    before(() => backend.setUp());
    after(() => backend.tearDown());
    afterEach(async () => {
      release?.();
      release = null;
      await harness?.stop();
      harness = null;
    });

    it('answers 409 post_not_editable to PATCH and DELETE while a send is held open, and changes nothing', async () => {
      harness = await createWorkerHarness({ store: await backend.store(), env: HOLD_ENV });
      const holds = [holdSends(harness.publishers.x), holdSends(harness.publishers.linkedin)];
      release = () => holds.forEach((h) => h.release());
      const creator = await createCreator(harness.store, await backend.newUserId());
      const api = createRaceApi(harness, creator.userId);
      const created = await schedule(api, creator, new Date(Date.now() + 200));

      await waitFor(() => holds.every((h) => h.first), { what: 'the x and linkedin sends to begin' });
      assert.deepEqual(holds.map((h) => h.first?.postId), [created.id, created.id], 'both sends have begun');
      const before = await harness.store.getPost(created.id);
      assert.equal(before?.status, 'publishing');
      assert.deepEqual(before?.targets.map((t) => t.status), ['publishing', 'publishing']);

      const answers = await Promise.all([
        api.call('PATCH', `/posts/${created.id}`, { text: 'too late' }),
        api.call('DELETE', `/posts/${created.id}`),
        api.call('PATCH', `/posts/${created.id}`, {
          scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
        }),
        api.call('DELETE', `/posts/${created.id}`),
      ]);
      for (const res of answers) {
        assert.equal(res.status, 409);
        assert.equal(res.headers.get('content-type'), 'application/problem+json');
        assert.equal((await res.json()).code, 'post_not_editable');
      }
      assert.deepEqual(shape(await harness.store.getPost(created.id)), shape(before), 'nothing changed');

      release();
      const done = await waitForPostSettled(harness.store, created.id);
      assert.equal(done.status, 'published');
      assert.equal(done.version, 1);
      assert.equal(done.text, ORIGINAL_TEXT);
      const sends = sendsOf(harness, created.id);
      assert.deepEqual(sends.map((s) => s.textLength), [ORIGINAL_TEXT.length, ORIGINAL_TEXT.length]);
      for (const target of done.targets) {
        assert.equal(harness.publishers[target.platform].sentCount(target.id), 1, target.platform);
      }
      const late = await api.call('DELETE', `/posts/${created.id}`);
      assert.equal(late.status, 409, 'a published post cannot be cancelled either');
      assert.deepEqual(api.lines.filter((l) => l.level >= 50), [], 'the API logged no error');
    });

    it('lets either the edits and cancels win or the publish, never both, when fired at the due time', {
      timeout: 120_000,
    }, async (t: TestContext) => {
      harness = await createWorkerHarness({ store: await backend.store() });
      const creator = await createCreator(harness.store, await backend.newUserId());
      const api = createRaceApi(harness, creator.userId);
      const outcomes = { editOrCancelWon: 0, publishWon: 0 };
      const rounds: { postId: string; oldVersionMayGoOut: boolean; nothingMayGoOut: boolean }[] = [];

      for (let round = 0; round < ROUNDS; round++) {
        const dueAt = Date.now() + 400;
        const created = await schedule(api, creator, new Date(dueAt));
        // From before the due time to after the claim (which lands some 20-70 ms after it here),
        // spread over the rounds, with jitter.
        const offsetMs = -60 + (round * 210) / (ROUNDS - 1) + (Math.random() * 20 - 10);
        const racers = Array.from({ length: RACERS }, (_, i) => {
          // Edits are shorter than the original and differ in length from each other.
          const text = `edit ${round}.${i} ${'-'.repeat(i)}`;
          return i % 2 === 0
            ? { method: 'PATCH', body: { text } as unknown }
            : { method: 'DELETE', body: undefined };
        }).sort(() => Math.random() - 0.5);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt + offsetMs - Date.now())));
        const answers = await Promise.all(
          racers.map(async (r) => {
            const res = await api.call(r.method, `/posts/${created.id}`, r.body);
            const body = res.status === 204 ? null : await res.json();
            return { method: r.method, status: res.status, code: body?.code as string | undefined, body };
          }),
        );

        const context = () =>
          JSON.stringify({ round, offsetMs, answers: answers.map((a) => [a.method, a.status, a.code]) });
        for (const a of answers) {
          assert.ok([200, 204, 409].includes(a.status), `unexpected ${a.status} ${context()}`);
          if (a.status === 409) {
            assert.ok(a.code === 'post_not_editable' || a.code === 'version_conflict', context());
          }
        }
        const done = await waitForPostSettled(harness.store, created.id);
        // A stale job of an edited or cancelled version may still be running: let the queue go idle.
        await waitFor(() => harness!.workers.every((w) => w.activeJobs() === 0), { what: 'idle workers' });
        const sends = sendsOf(harness, created.id);
        const oldVersionSent = sends.some((s) => s.textLength === ORIGINAL_TEXT.length);
        const won = answers.filter((a) => a.status !== 409);

        t.diagnostic(
          `round ${round}, ${Math.round(offsetMs)} ms after the due time: ` +
            (won.length > 0
              ? `edit/cancel won (${won.length}/${RACERS} requests changed it)`
              : 'publish won'),
        );
        rounds.push({
          postId: created.id,
          oldVersionMayGoOut: won.length === 0,
          nothingMayGoOut: done.status === 'cancelled',
        });
        if (won.length > 0) {
          outcomes.editOrCancelWon++;
          assert.equal(oldVersionSent, false, `an edit or cancel won but version 1 went out ${context()}`);
          if (won.some((a) => a.method === 'DELETE')) {
            assert.equal(done.status, 'cancelled', context());
            assert.deepEqual(sends, [], `a cancel won but something went out ${context()}`);
          } else {
            assert.equal(done.status, 'published', context());
            assert.ok(done.version > 1, context());
            for (const s of sends) {
              assert.equal(s.textLength, done.text.length, `only the last edit goes out ${context()}`);
            }
            const lastEdit = won.filter((a) => a.method === 'PATCH').map((a) => a.body.version as number);
            assert.equal(done.version, Math.max(...lastEdit), context());
          }
        } else {
          outcomes.publishWon++;
          assert.equal(done.status, 'published', context());
          assert.equal(done.version, 1);
          assert.equal(oldVersionSent, true, context());
        }
        for (const target of done.targets) {
          assert.ok(harness.publishers[target.platform].sentCount(target.id) <= 1, `sent twice ${context()}`);
        }
      }
      assert.equal(outcomes.editOrCancelWon + outcomes.publishWon, ROUNDS);
      // Late stale jobs of earlier rounds had all this time to misbehave: look again.
      await waitFor(() => harness!.workers.every((w) => w.activeJobs() === 0), { what: 'idle workers' });
      for (const r of rounds) {
        const sends = sendsOf(harness, r.postId);
        if (r.nothingMayGoOut) assert.deepEqual(sends, [], `cancelled post ${r.postId} went out later`);
        if (!r.oldVersionMayGoOut) {
          assert.ok(
            sends.every((s) => s.textLength !== ORIGINAL_TEXT.length),
            `old ${r.postId} went out later`,
          );
        }
        assert.ok(sends.length <= 2, `post ${r.postId} was sent ${sends.length} times to 2 targets`);
      }
      assert.deepEqual(api.lines.filter((l) => l.level >= 50), [], 'the API logged no error');
      t.diagnostic(`edit/cancel won ${outcomes.editOrCancelWon}, publish won ${outcomes.publishWon}`);
    });
  });
}
