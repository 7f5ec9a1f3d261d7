/**
 * The dev stack (`npm run dev`) in-process on free ports with a unique queue prefix: posts scheduled
 * through the typed client (supabase-js → /functions/v1/posts) really go out on the sandbox
 * platforms; the banner's curl command and `node scripts/testWorker.js` work as the README says;
 * dev tokens made in another process are accepted; an account connects through OAuth end to end
 * (the sandbox's consent page, the stand-in app's return page, POST /accounts/:platform/callback). Needs Redis at REDIS_URL; spawns `node` (and
 * `sh` + `curl` for the banner command, skipped when absent).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { createPublisherClient, PublisherApiError } from '../../src/client/index.ts';
import type { Post, PublisherClient } from '../../src/client/index.ts';
import { renderDevBanner, schedulePostCurl } from '../../src/dev/dev-banner.ts';
import { createDevToken } from '../../src/dev/dev-auth.ts';
import { createDevSupabaseClient } from '../../src/dev/dev-supabase-client.ts';
import { probeRedis, RedisServerMissingError, startPrivateRedis } from '../../src/dev/private-redis.ts';
import { startDevStack } from '../../src/dev/start-dev-stack.ts';
import type { DevStack } from '../../src/dev/start-dev-stack.ts';
import { PLATFORMS } from '../../src/domain/platform.ts';
import { waitFor } from '../support/wait-for.ts';
import { createMemoryLogger, deletePrefixKeys } from '../support/worker-fixtures.ts';
import { startWebhookReceiver, verifyStandardWebhook } from '../support/notify-fixtures.ts';
import type { WebhookReceiver } from '../support/notify-fixtures.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-redis.ts';

const ROOT = new URL('../../', import.meta.url);
/** The scripts are Node programs, also when this file runs under Deno. */
const NODE = 'node';

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string> = {}, timeoutMs = 90_000) {
  return new Promise<RunResult>((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (error && code === -1) return reject(error);
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

async function commandExists(name: string): Promise<boolean> {
  try {
    return (await run('sh', ['-c', `command -v ${name}`])).code === 0;
  } catch {
    return false;
  }
}

/** The sandbox writes links HTML-escaped (`&#38;` between query parameters). */
function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

let counter = 0;
const uniqueText = (what: string) => `${what} #${++counter} ${crypto.randomUUID().slice(0, 8)}`;

describe('the dev stack', { timeout: 180_000 }, () => {
  const prefix = uniqueQueuePrefix('dev');
  let stack: DevStack;
  let client: PublisherClient;

  before(async () => {
    const { logger } = createMemoryLogger();
    stack = await startDevStack({
      // Webhook endpoints on 127.0.0.1 (the receiver below) are refused unless allowed.
      env: { LOG_LEVEL: 'info', NOTIFY_ALLOW_PRIVATE_HOSTS: 'true', NOTIFY_DELIVERY_BACKOFF_MS: '100' },
      redisUrl: TEST_REDIS_URL,
      queuePrefix: prefix,
      apiPort: 0,
      sandboxPort: 0,
      logger,
    });
    client = createPublisherClient(createDevSupabaseClient(stack.apiUrl, await stack.token()));
  });
  after(async () => {
    await stack?.close();
    await deletePrefixKeys(prefix);
  });

  async function settled(id: string, timeoutMs = 20_000): Promise<Post> {
    return await waitFor(async () => {
      const post = await client.get(id);
      return post.status === 'scheduled' || post.status === 'publishing' ? false : post;
    }, { timeoutMs, intervalMs: 100, what: `post ${id} to settle` });
  }

  it('connects the demo creator to one sandbox account per platform', async () => {
    const accounts = await client.listAccounts();
    assert.deepEqual(accounts.map((a) => a.platform).sort(), [...PLATFORMS].sort());
    assert.ok(accounts.every((a) => a.status === 'active'));
    for (const account of accounts) {
      assert.ok(
        stack.sandbox.sandbox.knobs.tokens.list(account.platform).some((t) =>
          t.subject === account.externalId
        ),
        `the sandbox issued the ${account.platform} account's token`,
      );
    }
  });

  it('publishes a post scheduled through the typed client on all three sandbox platforms', async () => {
    const text = uniqueText('Hello from the typed client');
    const created = await client.schedule({
      text,
      scheduledAt: new Date(Date.now() + 1000).toISOString(),
      platforms: ['x', 'instagram', 'linkedin'],
      media: [{ url: stack.sampleMediaUrl, altText: 'sample' }],
    });
    assert.equal(created.status, 'scheduled');
    assert.equal(created.queued, true);
    assert.equal(created.targets.length, 3);

    const post = await settled(created.id);
    assert.equal(post.status, 'published', JSON.stringify(post.targets));
    for (const target of post.targets) {
      const received = stack.sandbox.sandbox.knobs.published(target.platform).filter((p) => p.text === text);
      assert.equal(received.length, 1, `${target.platform} received the post exactly once`);
      assert.equal(received[0]!.id, target.externalId);
      assert.equal(received[0]!.subject, stack.accounts[target.platform].externalId);
      assert.equal(received[0]!.media.length, 1, `${target.platform} received the media`);
    }
  });

  it('updates, lists and cancels through the client, with If-Match versions', async () => {
    const created = await client.schedule({
      text: uniqueText('to be edited'),
      scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
      platforms: ['linkedin'],
    }, { idempotencyKey: crypto.randomUUID() });
    const edited = await client.update(created.id, { text: 'edited text' }, { ifVersion: 1 });
    assert.equal(edited.version, 2);
    assert.equal(edited.text, 'edited text');
    const stale = await client.update(created.id, { text: 'lost update' }, { ifVersion: 1 }).catch((e) => e);
    assert.ok(stale instanceof PublisherApiError);
    assert.equal(stale.code, 'precondition_failed');
    assert.equal(stale.status, 412);

    const page = await client.list({ status: 'scheduled', limit: 100 });
    assert.ok(page.items.some((p) => p.id === created.id && p.version === 2));

    await client.cancel(created.id);
    await client.cancel(created.id); // idempotent
    assert.equal((await client.get(created.id)).status, 'cancelled');
  });

  it('retries only the failed target, never re-sending the published ones', async () => {
    const knobs = stack.sandbox.sandbox.knobs;
    knobs.injectFault({ platform: 'x', mode: 'status', status: 403, path: '/2/tweets', times: 1 });
    const text = uniqueText('retry me');
    const created = await client.schedule({ text, scheduledAt: 'now', platforms: ['x', 'linkedin'] });
    const failed = await settled(created.id);
    assert.equal(failed.status, 'partially_published', JSON.stringify(failed.targets));
    const x = failed.targets.find((t) => t.platform === 'x')!;
    assert.equal(x.status, 'failed');
    assert.ok(x.errorCode, 'the failed target carries an error code');

    const retried = await client.retry(created.id);
    assert.ok(retried.version > failed.version);
    const post = await settled(created.id);
    assert.equal(post.status, 'published', JSON.stringify(post.targets));
    assert.equal(knobs.published('x').filter((p) => p.text === text).length, 1);
    assert.equal(
      knobs.published('linkedin').filter((p) => p.text === text).length,
      1,
      'linkedin was not re-sent',
    );
  });

  it('tells the creator about a failed post: in-app (GET /notifications) and by signed webhook', async () => {
    let receiver: WebhookReceiver | null = null;
    try {
      receiver = await startWebhookReceiver(() => ({ status: 200 }));
      const token = await stack.token();
      const authorized = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
      const created = await fetch(`${stack.apiUrl}/notification-endpoints`, {
        method: 'POST',
        headers: authorized,
        body: JSON.stringify({ url: receiver.url, events: ['post.failed'] }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const endpoint = await created.json() as { id: string; secret: string };

      // A permanent refusal: the sandbox answers 403 to the post, so it fails for good.
      const knobs = stack.sandbox.sandbox.knobs;
      knobs.injectFault({ platform: 'x', mode: 'status', status: 403, path: '/2/tweets', times: 1 });
      const post = await client.schedule({
        text: uniqueText('fail me'),
        scheduledAt: 'now',
        platforms: ['x'],
      });
      assert.equal((await settled(post.id)).status, 'failed');

      const kinds = await waitFor(async () => {
        const res = await fetch(`${stack.apiUrl}/notifications`, { headers: authorized });
        assert.equal(res.status, 200);
        const page = await res.json() as { items: { kind: string; postId: string | null; read: boolean }[] };
        const mine = page.items.filter((n) => n.postId === post.id);
        return mine.some((n) => n.kind === 'post.failed') ? mine.map((n) => n.kind).sort() : null;
      }, { timeoutMs: 10_000, intervalMs: 100, what: 'the notifications of the failed post' });
      assert.deepEqual(kinds, ['post.failed', 'target.failed']);

      const webhook = receiver;
      const request = await waitFor(
        () =>
          webhook.received.find((r) =>
            (JSON.parse(r.body) as { data?: { postId?: string } }).data?.postId === post.id
          ) ?? null,
        { timeoutMs: 10_000, intervalMs: 100, what: 'the webhook of the failed post' },
      );
      const headers = {
        id: request.headers['webhook-id']!,
        timestamp: request.headers['webhook-timestamp']!,
        signature: request.headers['webhook-signature']!,
      };
      assert.equal(await verifyStandardWebhook(endpoint.secret, headers, request.body), true);
      assert.equal((JSON.parse(request.body) as { type: string }).type, 'post.failed');
    } finally {
      await receiver?.close();
    }
  });

  it('surfaces API errors as PublisherApiError with the problem code', async () => {
    const past = await client.schedule({
      text: 'too late',
      scheduledAt: '2020-01-01T00:00:00Z',
      platforms: ['x'],
    }).catch((e) => e);
    assert.ok(past instanceof PublisherApiError);
    assert.equal(past.code, 'schedule_in_past');
    assert.equal(past.status, 422);
    assert.match(past.message, /in the past/);

    const invalid = await client.schedule({
      text: 'no media on Instagram',
      scheduledAt: 'now',
      platforms: ['instagram'],
    }).catch((e) => e);
    assert.equal(invalid.code, 'content_invalid');
    assert.ok(invalid.errors.some((e: { rule?: string }) => e.rule === 'media_required'));

    const missing = await client.get(crypto.randomUUID()).catch((e) => e);
    assert.equal(missing.code, 'post_not_found');
    assert.equal(missing.status, 404);

    const stranger = createPublisherClient(
      createDevSupabaseClient(stack.apiUrl, await createDevToken({ userId: crypto.randomUUID() })),
    );
    assert.deepEqual((await stranger.list()).items, [], 'another user sees none of the demo posts');

    const anonymous = createPublisherClient(createDevSupabaseClient(stack.apiUrl, 'not-a-jwt'));
    const refused = await anonymous.list().catch((e) => e);
    assert.equal(refused.code, 'invalid_token');
    assert.equal(refused.status, 401);

    const offline = createPublisherClient(createDevSupabaseClient('http://127.0.0.1:9', 'x'));
    const unreachable = await offline.list().catch((e) => e);
    assert.equal(unreachable.code, 'network_error');
    assert.equal(unreachable.status, null);
  });

  it('accepts a dev token printed by another process (npm run dev:token)', async () => {
    const printed = await run(NODE, ['--import', 'tsx', 'src/entry/node-dev.ts', 'token']);
    assert.equal(printed.code, 0, printed.stderr);
    const token = printed.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const res = await fetch(`${stack.apiUrl}/posts`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const page = await res.json() as { items: { id: string }[] };
    assert.ok(page.items.length > 0, 'the token speaks for the demo creator, who has posts');
  });

  /** Follows the sandbox's consent page for `authorizationUrl`; returns where it sends the browser. */
  async function consent(authorizationUrl: string, decision: 'approve' | 'deny'): Promise<URL> {
    const page = await fetch(authorizationUrl);
    assert.equal(page.status, 200, 'the sandbox shows its consent page');
    const html = await page.text();
    const href = new RegExp(`href="([^"]+)" data-decision="${decision}"`).exec(html)?.[1];
    assert.ok(href, `the consent page has a ${decision} button`);
    const chosen = await fetch(new URL(unescapeHtml(href), stack.sandboxUrl), { redirect: 'manual' });
    await chosen.body?.cancel();
    assert.equal(chosen.status, 302);
    return new URL(chosen.headers.get('location')!);
  }

  it("connects an account through OAuth: sandbox consent page, the app's return page, POST callback", async () => {
    const before = await client.listAccounts();
    const oldTokens = await stack.store.getAccountTokens(stack.accounts.linkedin.id);

    const start = await fetch(stack.connectUrl);
    assert.equal(start.status, 200);
    assert.match(await start.text(), /<form method="post" action="\/dev\/connect\/linkedin">/);
    const started = await fetch(`${stack.connectUrl}/linkedin`, { method: 'POST', redirect: 'manual' });
    await started.body?.cancel();
    assert.equal(started.status, 303);
    const authorizationUrl = new URL(started.headers.get('location')!);
    assert.equal(authorizationUrl.origin, stack.sandboxUrl);
    assert.equal(
      authorizationUrl.searchParams.get('redirect_uri'),
      `${stack.apiUrl}/dev/oauth-return/linkedin`,
      'the platform returns to the app, not to the API',
    );

    const back = await consent(authorizationUrl.toString(), 'approve');
    assert.equal(back.origin + back.pathname, `${stack.apiUrl}/dev/oauth-return/linkedin`);
    assert.ok(back.searchParams.get('code') && back.searchParams.get('state'));
    const done = await fetch(back);
    const html = await done.text();
    assert.equal(done.status, 200, html);
    assert.match(html, /LinkedIn account connected/);
    assert.equal(
      /data-account-id="([^"]+)"/.exec(html)?.[1],
      stack.accounts.linkedin.id,
      "the sandbox approved as the demo creator's own account, which is connected again",
    );
    assert.equal((await client.listAccounts()).length, before.length, 'no second LinkedIn account');
    const tokens = await stack.store.getAccountTokens(stack.accounts.linkedin.id);
    assert.notEqual(tokens.accessToken, oldTokens.accessToken, 'fresh tokens from the sandbox');

    const replay = await fetch(back);
    assert.equal(replay.status, 400, 'a return page reloaded with a spent state connects nothing');
    assert.match(await replay.text(), /data-code="oauth_state_invalid"/);
  });

  it('shows a declined consent as oauth_denied on the return page, and connects nothing', async () => {
    const before = await client.listAccounts();
    const started = await fetch(`${stack.connectUrl}/x`, { method: 'POST', redirect: 'manual' });
    await started.body?.cancel();
    const back = await consent(started.headers.get('location')!, 'deny');
    assert.equal(back.searchParams.get('error'), 'access_denied');
    const done = await fetch(back);
    assert.equal(done.status, 400);
    assert.match(await done.text(), /data-code="oauth_denied"/);
    assert.deepEqual(await client.listAccounts(), before);
  });

  it('completes through the typed client only as the creator who started, never as another user', async () => {
    const started = await client.startConnection('instagram');
    const approve = new URL(started.authorizationUrl);
    approve.searchParams.set('sandbox_consent', 'approve');
    const redirected = await fetch(approve, { redirect: 'manual' });
    await redirected.body?.cancel();
    const back = new URL(redirected.headers.get('location')!);

    const strangerId = crypto.randomUUID();
    const stranger = createPublisherClient(
      createDevSupabaseClient(stack.apiUrl, await createDevToken({ userId: strangerId })),
    );
    const refused = await stranger.completeConnection('instagram', back).catch((e) => e);
    assert.ok(refused instanceof PublisherApiError);
    assert.equal(refused.code, 'oauth_state_invalid');
    assert.equal(refused.status, 400);
    assert.deepEqual(await stranger.listAccounts(), [], 'nothing was stored for the other user');

    const account = await client.completeConnection('instagram', back);
    assert.equal(account.id, stack.accounts.instagram.id);
    assert.equal(account.status, 'active');
  });

  it('prints a banner whose connect page, queue dashboard, reference and worker endpoint answer', async () => {
    const banner = renderDevBanner({
      apiUrl: stack.apiUrl,
      sandboxUrl: stack.sandboxUrl,
      sampleMediaUrl: stack.sampleMediaUrl,
      token: await stack.token(),
      userId: stack.userId,
      accounts: stack.accounts,
      redisUrl: TEST_REDIS_URL,
      privateRedis: false,
      queuePrefix: prefix,
      dashboardUrl: stack.dashboardUrl,
      adminToken: await stack.adminToken(),
      queueActions: false,
      workerHttpUrl: stack.workerHttpUrl,
    });
    assert.ok(banner.includes(`Connect        ${stack.connectUrl} `), banner);
    const workerLine = /^ {2}Worker +(\S+)/m.exec(banner);
    assert.ok(workerLine, banner);
    const ready = await fetch(workerLine[1]!);
    assert.equal(ready.status, 200, `the worker is consuming: ${await ready.text()}`);
    const metrics = await (await fetch(`${stack.workerHttpUrl}/metrics`)).text();
    assert.match(metrics, /^solospark_worker_ready 1$/m);
    const res = await fetch(stack.connectUrl);
    await res.body?.cancel();
    assert.equal(res.status, 200);

    const queuesLine = /^ {2}Queues +(\S+)$/m.exec(banner);
    assert.ok(queuesLine, banner);
    const signIn = await fetch(queuesLine[1]!, { redirect: 'manual' });
    await signIn.body?.cancel();
    assert.equal(signIn.status, 303, 'the banner link signs in');
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const queues = await fetch(`${stack.dashboardUrl}/api/queues`, { headers: { cookie } });
    assert.equal(queues.status, 200);
    const names = ((await queues.json()) as { queues: { name: string }[] }).queues.map((q) => q.name);
    assert.deepEqual(names.sort(), ['notify-delivery', 'posts', 'publish']);
    const script = await fetch(`${stack.apiUrl}/reference/scalar.js`);
    await script.body?.cancel();
    assert.equal(script.status, 200, 'the reference page has its script without a CDN');
  });

  it("gets a post out on every platform within a minute of pasting the banner's curl command", async (t) => {
    if (!(await commandExists('curl'))) return t.skip('curl is not installed');
    const started = Date.now();
    const command = schedulePostCurl({
      apiUrl: stack.apiUrl,
      token: await stack.token(),
      sampleMediaUrl: stack.sampleMediaUrl,
    }, 2);
    const result = await run('sh', ['-c', command]);
    assert.equal(result.code, 0, result.stderr);
    const created = JSON.parse(result.stdout) as Post;
    assert.equal(created.status, 'scheduled', result.stdout);
    assert.equal(created.queued, true);
    const due = Date.parse(created.scheduledAt);
    assert.ok(due > started && due < Date.now() + 3000, 'due a couple of seconds after it ran');

    const post = await settled(created.id, 60_000 - (Date.now() - started));
    assert.equal(post.status, 'published', JSON.stringify(post.targets));
    for (const platform of PLATFORMS) {
      assert.equal(
        stack.sandbox.sandbox.knobs.published(platform).filter((p) => p.text === created.text).length,
        1,
        `${platform} shows the post`,
      );
    }
  });

  it('runs node scripts/testWorker.js against the running stack and reports every platform', async () => {
    const result = await run(NODE, ['scripts/testWorker.js'], {
      PORT: new URL(stack.apiUrl).port,
      SANDBOX_PORT: new URL(stack.sandboxUrl).port,
    });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /Post published/);
    for (const platform of PLATFORMS) {
      assert.match(result.stdout, new RegExp(`^\\s+${platform}\\s+published .*the sandbox shows it`, 'm'));
    }
  });
});

describe('scripts/testWorker.js without a dev stack', () => {
  it('says to start npm run dev and exits 1', async () => {
    const result = await run(NODE, ['scripts/testWorker.js'], { PORT: '9', SANDBOX_PORT: '9' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /No dev stack answers at http:\/\/127\.0\.0\.1:9.*npm run dev/);
  });
});

describe('the README quickstart', () => {
  it('runs the dev stack and the tests with the two documented commands', async () => {
    const readme = await readFile(new URL('README.md', ROOT), 'utf8');
    const quickstart = readme.slice(
      readme.indexOf('## Quickstart'),
      readme.indexOf('\n## ', readme.indexOf('## Quickstart') + 5),
    );
    assert.match(quickstart, /^npm install && npm run dev\b/m);
    assert.match(quickstart, /^npm test\b/m);
    const pkg = JSON.parse(await readFile(new URL('package.json', ROOT), 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.match(pkg.scripts.dev ?? '', /src\/entry\/node-dev\.ts/);
    assert.match(pkg.scripts['dev:token'] ?? '', /src\/entry\/node-dev\.ts token/);
  });
});

describe('the private redis-server of the dev stack', () => {
  it('starts on a free port without persistence and is gone after stop()', async (t) => {
    let redis;
    try {
      redis = await startPrivateRedis();
    } catch (err) {
      if (err instanceof RedisServerMissingError) return t.skip('redis-server is not installed');
      throw err;
    }
    const client = new Redis(redis.url);
    try {
      assert.equal(await probeRedis(redis.url), true);
      assert.deepEqual(await client.config('GET', 'save'), ['save', '']);
      assert.deepEqual(await client.config('GET', 'appendonly'), ['appendonly', 'no']);
    } finally {
      await client.quit();
      await redis.stop();
    }
    assert.equal(await probeRedis(redis.url, 500), false);
  });
});
