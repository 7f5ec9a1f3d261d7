/**
 * The queue dashboard at /admin/queues (bull-board) as the Node API server builds it
 * (src/app/build-api-server.ts): who gets in and how, read-only unless ADMIN_QUEUE_ACTIONS=true, only
 * retry and remove even then, never in the Edge Functions — and a job retried from the dashboard still
 * publishes only under the target's claim, so it cannot publish twice.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { buildApi } from '../../src/app/build-api.ts';
import { buildApiServer } from '../../src/app/build-api-server.ts';
import type { ApiServer } from '../../src/app/build-api-server.ts';
import { createServices } from '../../src/app/create-services.ts';
import type { Services } from '../../src/app/create-services.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { encodeTargetJobData } from '../../src/queue/job-data.ts';
import { bullPrefix, postJobId, TARGET_JOBS_QUEUE, targetJobId } from '../../src/queue/queue-names.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import {
  createCreator,
  deletePrefixKeys,
  schedulePost,
  waitForPostSettled,
} from '../support/worker-fixtures.ts';
import { createWorkerHarness } from '../support/worker-harness.ts';
import type { WorkerHarness } from '../support/worker-harness.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-redis.ts';
import { waitFor } from '../support/wait-for.ts';

const ADMIN_TOKEN = `admin-${crypto.randomUUID()}-${crypto.randomUUID()}`;
const JWT_SECRET = 'admin-dashboard-test-jwt-secret-of-32-characters-or-more';
const BASE = 'http://api.test';

interface Running {
  server: ApiServer;
  services: Services;
  prefix: string;
  logText(): string;
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

async function start(env: Record<string, string>, options: { prefix?: string; postStore?: PostStore } = {}) {
  const prefix = options.prefix ?? uniqueQueuePrefix('admin');
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line) => void lines.push(line) } });
  const config = loadConfig({
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    USE_MOCK_DB: 'true',
    SUPABASE_URL: 'https://admin-test.supabase.co',
    ...env,
  });
  const services = createServices(config, {
    logger,
    ...(options.postStore ? { postStore: options.postStore } : {}),
  });
  const server = await buildApiServer(services);
  const running: Running = {
    server,
    services,
    prefix,
    logText: () => lines.join(''),
    request: async (path, init) => await server.fetch(new Request(`${BASE}${path}`, init)),
    async close() {
      await server.close();
      await services.close();
      if (!options.prefix) await deletePrefixKeys(prefix);
    },
  };
  return running;
}

function bearer(token: string): RequestInit {
  return { headers: { authorization: `Bearer ${token}` } };
}

async function hs256(
  claims: Record<string, unknown>,
  secret = JWT_SECRET,
  expiresIn = 3600,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + expiresIn)
    .sign(new TextEncoder().encode(secret));
}

async function queueNames(res: Response): Promise<string[]> {
  assert.equal(res.status, 200);
  return ((await res.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
}

describe('queue dashboard: access', () => {
  let api: Running;
  before(async () => {
    api = await start({ ADMIN_TOKEN, SUPABASE_JWT_SECRET: JWT_SECRET });
  });
  after(async () => await api.close());

  it('refuses a request without a credential: 401 problem+json, or a sign-in page for a browser', async () => {
    const res = await api.request('/admin/queues/api/queues');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const problem = await res.json() as { code: string; detail: string };
    assert.equal(problem.code, 'auth_required');
    assert.match(problem.detail, /Authorization: Bearer/);

    const page = await api.request('/admin/queues', { headers: { accept: 'text/html' } });
    assert.equal(page.status, 401);
    const html = await page.text();
    assert.match(html, /<form method="post" action="\/admin\/login">/);
    assert.match(page.headers.get('www-authenticate') ?? '', /^Bearer realm="solospark-admin"/);
  });

  it('lets ADMIN_TOKEN in and lists the three queues', async () => {
    const names = await queueNames(await api.request('/admin/queues/api/queues', bearer(ADMIN_TOKEN)));
    assert.deepEqual(names, ['notify-delivery', 'posts', 'publish']);
    const page = await api.request('/admin/queues', bearer(ADMIN_TOKEN));
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<title>SoloSpark queues<\/title>/);
    assert.doesNotMatch(html, /fonts\.googleapis\.com/, 'nothing loads from outside (works offline)');
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  });

  it('lets a service-role JWT in, but not a user token, a wrong token or another secret', async () => {
    const serviceRole = await hs256({ role: 'service_role', iss: 'supabase' });
    assert.deepEqual(await queueNames(await api.request('/admin/queues/api/queues', bearer(serviceRole))), [
      'notify-delivery',
      'posts',
      'publish',
    ]);
    const refused = [
      await hs256({ role: 'authenticated', sub: crypto.randomUUID(), aud: 'authenticated' }),
      await hs256({ role: 'service_role' }, 'another-projects-secret-of-32-characters-long'),
      await hs256({ role: 'service_role' }, JWT_SECRET, -60),
      `${ADMIN_TOKEN}x`,
      ADMIN_TOKEN.slice(0, -1),
    ];
    for (const token of refused) {
      const res = await api.request('/admin/queues/api/queues', bearer(token));
      assert.equal(res.status, 401, token);
      assert.equal((await res.json() as { code: string }).code, 'invalid_token');
    }
  });

  it('exchanges ?token= for an HttpOnly, SameSite=Strict session cookie and drops the token from the address', async () => {
    const res = await api.request(
      '/admin/queues/queue/publish?token=' + encodeURIComponent(ADMIN_TOKEN) + '&x=1',
    );
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/admin/queues/queue/publish?x=1');
    const setCookie = res.headers.get('set-cookie') ?? '';
    assert.match(
      setCookie,
      /^solospark_admin=v1\.\d+\.[A-Za-z0-9_-]+; Path=\/admin; Max-Age=28800; HttpOnly; SameSite=Strict$/,
    );
    assert.ok(!setCookie.includes(ADMIN_TOKEN), 'the cookie holds no credential');
    const cookie = setCookie.split(';')[0]!;

    assert.deepEqual(
      await queueNames(await api.request('/admin/queues/api/queues', { headers: { cookie } })),
      ['notify-delivery', 'posts', 'publish'],
    );
    const forged = cookie.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
    assert.equal(
      (await api.request('/admin/queues/api/queues', { headers: { cookie: forged } })).status,
      401,
    );
    // The same signature spelled otherwise: the last character's two unused bits flipped.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = cookie.replace(/.$/, (ch) => alphabet[alphabet.indexOf(ch) ^ 1]!);
    assert.equal(
      (await api.request('/admin/queues/api/queues', { headers: { cookie: respelled } })).status,
      401,
      'only the encoding the server wrote is accepted',
    );

    const wrong = await api.request('/admin/queues?token=not-the-token', {
      headers: { accept: 'text/html' },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    assert.ok(!(await wrong.text()).includes('not-the-token'), 'a refused token is not echoed');
  });

  it('signs in through the form and out again', async () => {
    const form = (token: string) =>
      api.request('/admin/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, next: 'https://evil.example/' }),
      });
    const ok = await form(ADMIN_TOKEN);
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/admin/queues', 'never an open redirect');
    assert.match(ok.headers.get('set-cookie') ?? '', /^solospark_admin=v1\./);
    assert.equal((await form('wrong')).status, 401);

    const out = await api.request('/admin/logout');
    assert.equal(out.status, 200);
    assert.match(out.headers.get('set-cookie') ?? '', /^solospark_admin=; Path=\/admin; Max-Age=0/);
  });

  it('is read-only by default: bull-board changes are refused with 405', async () => {
    for (
      const [method, path] of [
        ['PUT', '/admin/queues/api/queues/publish/target-x/retry'],
        ['PUT', '/admin/queues/api/queues/publish/target-x/clean'],
        ['PUT', '/admin/queues/api/queues/posts/pause'],
        ['PUT', '/admin/queues/api/queues/posts/empty'],
        ['POST', '/admin/queues/api/queues/posts/add'],
      ] as const
    ) {
      const res = await api.request(path, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.match((await res.json() as { message: string }).message, /ADMIN_QUEUE_ACTIONS=true/);
    }
  });

  it('never logs the credential', () => {
    const log = api.logText();
    assert.ok(log.includes('queue dashboard on'));
    assert.ok(!log.includes(ADMIN_TOKEN), 'ADMIN_TOKEN is not in the log');
  });
});

describe('queue dashboard: off and absent', () => {
  it('is off when no credential is configured, and says how to turn it on', async () => {
    const { exportJWK, generateKeyPair } = await import('jose');
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const api = await start({ SUPABASE_JWKS: JSON.stringify({ keys: [await exportJWK(publicKey)] }) });
    try {
      assert.equal(api.server.dashboard, false);
      const res = await api.request('/admin/queues', bearer(ADMIN_TOKEN));
      assert.equal(res.status, 404);
      assert.match((await res.json() as { detail: string }).detail, /set ADMIN_TOKEN/);
    } finally {
      await api.close();
    }
  });

  it('is never part of an Edge Function: their API answers 404 with ADMIN_TOKEN set', async () => {
    // What the `posts` function builds (src/entry/functions/posts.ts): buildApi over its services.
    const prefix = uniqueQueuePrefix('admin-edge');
    const config = loadConfig({
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      USE_MOCK_DB: 'true',
      SUPABASE_URL: 'https://admin-test.supabase.co',
      SUPABASE_JWT_SECRET: JWT_SECRET,
      ADMIN_TOKEN,
      LOG_LEVEL: 'silent',
    });
    const services = createServices(config, { logger: createLogger({ level: 'silent' }) });
    try {
      const api = await buildApi(services);
      for (const path of ['/admin/queues', '/admin/queues/api/queues', '/functions/v1/admin/queues']) {
        const res = await api.fetch(new Request(`${BASE}${path}`, bearer(ADMIN_TOKEN)));
        assert.equal(res.status, 404, path);
        assert.equal((await res.json() as { code: string }).code, 'route_not_found');
      }
    } finally {
      await services.close();
      await deletePrefixKeys(prefix);
    }
    // And no function entry reaches the dashboard's code.
    const reached = await importsReachable(new URL('../../src/entry/functions/', import.meta.url), [
      'posts.ts',
      'accounts.ts',
      'notifications.ts',
      'notification-endpoints.ts',
      'post-status-webhook.ts',
    ]);
    const dashboardFiles = [...reached].filter((file) =>
      /\/app\/(admin-|build-api-server|reference-script)/.test(file)
    );
    assert.ok(
      [...reached].some((file) => file.endsWith('/app/build-api.ts')),
      'the walk follows the imports',
    );
    assert.deepEqual(dashboardFiles, []);
  });
});

describe('queue dashboard: actions', () => {
  let harness: WorkerHarness;
  let api: Running;
  let connection: Redis;
  before(async () => {
    harness = await createWorkerHarness();
    api = await start({ ADMIN_TOKEN, ADMIN_QUEUE_ACTIONS: 'true', SUPABASE_JWT_SECRET: JWT_SECRET }, {
      prefix: harness.prefix,
      postStore: harness.store,
    });
    connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  });
  after(async () => {
    await api.close();
    await harness.stop();
    await connection.quit();
  });

  const admin = (method: string, path: string) =>
    api.request(`/admin/queues/api/queues${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });

  it('only retries and removes: other bull-board changes stay refused', async () => {
    for (const [method, path] of [['PUT', '/posts/pause'], ['PUT', '/posts/empty'], ['POST', '/posts/add']]) {
      const res = await admin(method!, path!);
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.match((await res.json() as { message: string }).message, /only retries and removes/);
    }
  });

  it('removes a job (the database still has the post, so nothing is lost)', async () => {
    const creator = await createCreator(harness.store);
    const post = await schedulePost(harness.store, harness.producer, creator, {
      inMs: 3_600_000,
      platforms: ['x'],
    });
    const jobId = postJobId(post.id, post.version);
    const res = await admin('PUT', `/posts/${jobId}/clean`);
    assert.equal(res.status, 204);
    assert.equal(await harness.producer.queue.getJob(jobId), undefined);
    assert.equal((await harness.store.getPost(post.id))?.status, 'scheduled');
  });

  it('a completed or failed target job retried from the dashboard cannot publish twice: the claim refuses', async () => {
    const creator = await createCreator(harness.store);
    const post = await schedulePost(harness.store, harness.producer, creator, { platforms: ['x'] });
    const published = await waitForPostSettled(harness.store, post.id);
    assert.equal(published.status, 'published');
    const target = published.targets[0]!;
    assert.equal(harness.publishers.x.sentCount(target.id), 1);

    // The worker removes finished jobs (removeOnComplete/removeOnFail: 0). To have a completed and a
    // failed job of this target on the board, as a worker that keeps them would leave, stop the worker
    // and finish two copies of the target's job by hand.
    await Promise.all(harness.workers.splice(0).map((w) => w.close()));
    const prefix = bullPrefix(harness.prefix);
    const queue = new Queue(TARGET_JOBS_QUEUE, { connection, prefix });
    const data = encodeTargetJobData({ postId: post.id, version: post.version, targetId: target.id });
    const failedId = targetJobId(target.id);
    const completedId = `${targetJobId(target.id)}-kept`;
    await queue.add('target', data, { jobId: failedId, attempts: 1 });
    await queue.add('target', data, { jobId: completedId, attempts: 1 });
    const manualConnection = connection.duplicate();
    const manual = new Worker(TARGET_JOBS_QUEUE, null, { connection: manualConnection, prefix });
    for (let n = 0; n < 2; n++) {
      const token = crypto.randomUUID();
      const job = await manual.getNextJob(token, { block: false });
      assert.ok(job, 'a job to finish by hand');
      if (job.id === failedId) await job.moveToFailed(new Error('failed for the test'), token, false);
      else await job.moveToCompleted('done', token, false);
    }
    await manual.close();
    await manualConnection.quit();
    assert.equal(await queue.getJobState(failedId), 'failed');
    assert.equal(await queue.getJobState(completedId), 'completed');

    await harness.addWorker();
    assert.equal((await admin('PUT', `/publish/${failedId}/retry`)).status, 204);
    assert.equal((await admin('PUT', '/publish/retry/completed')).status, 200);

    // Both runs end without a send (the worker removes them once done) and say why.
    await waitFor(
      async () =>
        (await queue.getJob(failedId)) === undefined && (await queue.getJob(completedId)) === undefined,
      {
        what: 'the retried jobs to finish',
        timeoutMs: 15_000,
      },
    );
    const nothingToSend = harness.lines.filter((l) =>
      l.msg === 'target already settled; nothing to send' && l.targetId === target.id
    );
    assert.equal(nothingToSend.length, 2, 'each retried run found the target published');
    assert.equal(harness.publishers.x.sentCount(target.id), 1, 'published once, never twice');
    const after = await harness.store.getPost(post.id);
    assert.equal(after?.status, 'published');
    assert.equal(after?.targets[0]?.externalId, target.externalId);
    assert.match(api.logText(), /queue dashboard action/);
    await queue.close();
  });
});

/** Every src/ file reachable from the given entries through relative `.ts` imports (static and dynamic). */
async function importsReachable(dir: URL, entries: string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  const pending = entries.map((name) => new URL(name, dir));
  while (pending.length > 0) {
    const url = pending.pop()!;
    const path = fileURLToPath(url);
    if (seen.has(path)) continue;
    seen.add(path);
    const text = await readFile(url, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+\.ts)['"]/g)) {
      pending.push(new URL(match[1]!, url));
    }
  }
  return seen;
}
