/**
 * What a new user sees in a real browser, on a machine without internet: the Node API server
 * (src/entry/node-api.ts, run as `npm run api` runs it) opened in headless Chromium with every host
 * but 127.0.0.1 unresolvable.
 *
 * - /reference renders Scalar from the installed package and lists every operation of /openapi.json;
 *   with JavaScript off it still shows the link to /openapi.json;
 * - /admin/queues answers 401 with a sign-in page without a credential, and shows the queues once
 *   signed in (through the form, or the ?token= link the dev banner prints).
 *
 * Screenshots land in the folder the test prints (BROWSER_SCREENSHOT_DIR to choose it).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import process from 'node:process';
import { Redis } from 'ioredis';
import { freePort } from '../../src/dev/free-port.ts';
import { serveHttp } from '../../src/dev/serve-http.ts';
import { createBullPostScheduler } from '../../src/queue/bull-post-scheduler.ts';
import { createApiHarness } from '../support/api-harness.ts';
import { browserSkip, launchOfflineBrowser } from '../support/headless-chromium.ts';
import type { OfflineBrowser } from '../support/headless-chromium.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-redis.ts';
import { deletePrefixKeys } from '../support/worker-fixtures.ts';

const ADMIN_TOKEN = `browser-admin-${crypto.randomUUID()}`;

interface Operation {
  summary: string;
}

describe('the Node API server in headless Chromium, offline', { skip: browserSkip }, () => {
  const prefix = uniqueQueuePrefix('browser');
  let child: ChildProcess;
  let base: string;
  let browser: OfflineBrowser;
  let output = '';
  const delayedPostId = crypto.randomUUID();

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn('node', ['--import', 'tsx', 'src/entry/node-api.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PORT: String(port),
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        USE_MOCK_DB: 'true',
        SUPABASE_JWT_SECRET: 'browser-test-jwt-secret-of-at-least-32-characters',
        ADMIN_TOKEN,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('"api listening"')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
      child.once(
        'exit',
        (code) => reject(new Error(`node-api exited with ${code} before listening:\n${output}`)),
      );
    });
    // One delayed post job, so the dashboard has something to count.
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const scheduler = createBullPostScheduler({ connection, queuePrefix: prefix });
    await scheduler.schedule({
      id: delayedPostId,
      version: 1,
      scheduledAt: new Date(Date.now() + 3_600_000),
    });
    await scheduler.close();
    await connection.quit();
    browser = await launchOfflineBrowser();
  });

  after(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await deletePrefixKeys(prefix);
  });

  it('renders the API reference from the installed package and lists every operation', async (t) => {
    const spec = await (await fetch(`${base}/openapi.json`)).json() as {
      paths: Record<string, Record<string, Operation>>;
    };
    const summaries = Object.values(spec.paths).flatMap((methods) =>
      Object.values(methods).map((op) => op.summary)
    );
    assert.ok(summaries.length >= 10, 'the contract has operations');

    const { page, outside, errors, failed } = await browser.newPage();
    const response = await page.goto(`${base}/reference`, { waitUntil: 'load' });
    assert.equal(response?.status(), 200);
    await page.waitForFunction(
      (wanted: string[]) => wanted.every((summary) => document.body.innerText.includes(summary)),
      { timeout: 30_000 },
      summaries,
    ).catch(async (err) => {
      const text = await page.evaluate(() => document.body.innerText);
      const missing = summaries.filter((s) => !text.includes(s));
      throw new Error(
        `operations not listed: ${missing.join('; ')} (${err}); the page said ${
          JSON.stringify(text.slice(0, 500))
        }; ` +
          `failed answers: ${failed.join(', ')}; errors: ${errors.join(' | ')}`,
      );
    });
    assert.equal(
      await page.$eval('#fallback', (el) => (el as HTMLElement).hidden),
      true,
      'the fallback gave way',
    );
    const link = await page.$eval('#contract a', (a) => a.getAttribute('href'));
    assert.equal(link, '/openapi.json', 'the link to the contract stays visible');
    t.diagnostic(`screenshot: ${await browser.screenshot(page, 'reference')}`);
    assert.deepEqual(outside, [], 'nothing was fetched from outside (no CDN, no fonts, no telemetry)');
    assert.deepEqual(errors, []);
    assert.deepEqual(failed.filter((f) => f !== '404 /favicon.ico'), []);
    await page.close();
  });

  it('shows the link to /openapi.json when JavaScript is off', async (t) => {
    const { page } = await browser.newPage();
    await page.setJavaScriptEnabled(false);
    await page.goto(`${base}/reference`, { waitUntil: 'load' });
    const text = await page.evaluate(() => document.body.innerText);
    assert.match(text, /Scripts are off/);
    const links = await page.$$eval(
      'a[href="/openapi.json"]',
      (as) => as.map((a) => a.getBoundingClientRect().height),
    );
    assert.ok(links.length >= 1 && links.every((h) => h > 0), 'the link is visible');
    t.diagnostic(`screenshot: ${await browser.screenshot(page, 'reference-no-javascript')}`);
    await page.close();
  });

  it('says so, and keeps the link, where the script is not served (as in the Edge Functions)', async (t) => {
    // The API alone, as an Edge Function builds it: no reference script beside it.
    const apiOnly = await serveHttp((await createApiHarness()).app.fetch, { port: 0, hostname: '127.0.0.1' });
    try {
      const { page, outside } = await browser.newPage();
      await page.goto(`${apiOnly.url}/reference`, { waitUntil: 'load' });
      const status = await page.$eval('#fallback-status', (el) => ({
        hidden: (el as HTMLElement).hidden,
        text: (el as HTMLElement).innerText,
      }));
      assert.equal(status.hidden, false);
      assert.match(status.text, /not available here/);
      assert.equal(await page.$eval('#fallback', (el) => (el as HTMLElement).hidden), false);
      assert.ok((await page.$$('a[href="/openapi.json"]')).length >= 1);
      t.diagnostic(`screenshot: ${await browser.screenshot(page, 'reference-without-script')}`);
      assert.deepEqual(outside, [], 'no CDN to fall back on');
      await page.close();
    } finally {
      await apiOnly.close();
    }
  });

  it('answers 401 with a sign-in page without a credential, and shows the queues once signed in', async (t) => {
    const { page, outside, errors, failed } = await browser.newPage({ fresh: true });
    const refused = await page.goto(`${base}/admin/queues`, { waitUntil: 'load' });
    assert.equal(refused?.status(), 401);
    assert.match(await page.evaluate(() => document.body.innerText), /needs the admin credential/);
    t.diagnostic(`screenshot: ${await browser.screenshot(page, 'dashboard-401')}`);
    const api = await page.goto(`${base}/admin/queues/api/queues`);
    assert.equal(api?.status(), 401, 'the dashboard API refuses too');

    await page.goto(`${base}/admin/queues`, { waitUntil: 'load' });
    await page.type('#token', ADMIN_TOKEN);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type="submit"]')]);
    assert.equal(new URL(page.url()).pathname, '/admin/queues');
    await expectQueues(page);
    assert.deepEqual(outside, [], 'nothing was fetched from outside (bull-board web fonts are dropped)');
    assert.deepEqual(errors, [], 'no script or Content-Security-Policy errors');
    assert.deepEqual(
      failed.filter((f) => f !== '404 /favicon.ico'),
      ['401 /admin/queues', '401 /admin/queues/api/queues', '401 /admin/queues'],
      'only the refusals before signing in',
    );
    await page.close();
  });

  it('signs in with the ?token= link and shows every queue with its jobs', async (t) => {
    const { page, outside } = await browser.newPage({ fresh: true });
    const response = await page.goto(`${base}/admin/queues?token=${encodeURIComponent(ADMIN_TOKEN)}`, {
      waitUntil: 'load',
    });
    assert.equal(response?.status(), 200);
    assert.equal(new URL(page.url()).search, '', 'the token left the address bar');
    await expectQueues(page);
    await page.waitForFunction(() => !document.body.innerText.includes('Loading'), { timeout: 15_000 });
    t.diagnostic(`screenshot: ${await browser.screenshot(page, 'dashboard')}`);
    await page.goto(`${base}/admin/queues/queue/posts?status=delayed`, { waitUntil: 'load' });
    const jobId = `post-${delayedPostId}-v1`;
    await page.waitForFunction(
      (id: string) => document.body.innerText.includes(id),
      { timeout: 15_000 },
      jobId,
    );
    t.diagnostic(`screenshot: ${await browser.screenshot(page, 'dashboard-posts-queue')}`);
    assert.deepEqual(outside, []);
    assert.ok(!output.includes(ADMIN_TOKEN), 'the server never logged the token');
    await page.close();
  });
});

async function expectQueues(page: import('puppeteer-core').Page): Promise<void> {
  await page.waitForFunction(
    () => ['posts', 'publish', 'notify-delivery'].every((name) => document.body.innerText.includes(name)),
    { timeout: 20_000 },
  );
}
