/**
 * The sandbox page in a real browser, offline, after the dev stack published a post with a picture on
 * every platform: it reads like the platforms — the account's name and handle, the picture as a
 * thumbnail — with the raw ids only behind "ids and the request as received".
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDevStack } from '../../src/dev/start-dev-stack.ts';
import type { DevStack } from '../../src/dev/start-dev-stack.ts';
import type { Post } from '../../src/domain/post.ts';
import { browserSkip, launchOfflineBrowser } from '../support/headless-chromium.ts';
import type { OfflineBrowser } from '../support/headless-chromium.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-redis.ts';
import { waitFor } from '../support/wait-for.ts';
import { createMemoryLogger, deletePrefixKeys } from '../support/worker-fixtures.ts';

describe('the sandbox page in headless Chromium', { skip: browserSkip, timeout: 120_000 }, () => {
  const prefix = uniqueQueuePrefix('sbpage');
  let stack: DevStack;
  let browser: OfflineBrowser;

  before(async () => {
    stack = await startDevStack({
      env: { LOG_LEVEL: 'info' },
      redisUrl: TEST_REDIS_URL,
      queuePrefix: prefix,
      apiPort: 0,
      sandboxPort: 0,
      logger: createMemoryLogger().logger,
    });
    browser = await launchOfflineBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    await deletePrefixKeys(prefix);
  });

  it("shows each post as the account's name and handle with its picture as a thumbnail", async (t) => {
    const text = `A picture from the sandbox page test ${crypto.randomUUID().slice(0, 8)}`;
    const created = await fetch(`${stack.apiUrl}/posts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await stack.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        text,
        scheduledAt: 'now',
        platforms: ['x', 'instagram', 'linkedin'],
        media: [{ url: stack.sampleMediaUrl, altText: 'A sample picture' }],
      }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = await created.json() as Post;
    const post = await waitFor(async () => {
      const found = await stack.store.getPost(id);
      return found && found.status !== 'scheduled' && found.status !== 'publishing' ? found : false;
    }, { timeoutMs: 30_000, intervalMs: 100, what: 'the post to settle' });
    assert.equal(post.status, 'published', JSON.stringify(post.targets));

    const { page, outside } = await browser.newPage();
    await page.goto(`${stack.sandboxUrl}/`, { waitUntil: 'load' });
    const sections = await page.$$eval('section', (all) =>
      all.map((section) => {
        const article = section.querySelector('article');
        const header = article?.querySelector('header.author') as HTMLElement | null;
        const images = [...(article?.querySelectorAll('.media img') ?? [])] as HTMLImageElement[];
        return {
          platform: section.className,
          author: [header?.querySelector('.name'), header?.querySelector('.handle')]
            .map((el) => (el as HTMLElement | null)?.innerText ?? '').filter((part) => part !== '').join(' '),
          shown: (article?.querySelector('.text') as HTMLElement | null)?.innerText ?? '',
          thumbnails: images.map((img) => ({ loaded: img.complete, width: img.naturalWidth })),
        };
      }));
    assert.deepEqual(sections.map((s) => [s.platform, s.author]), [
      ['x', 'SoloSpark Demo @solospark_demo'],
      ['instagram', 'solospark.demo'],
      ['linkedin', 'SoloSpark Demo'],
    ]);
    for (const section of sections) {
      assert.equal(section.shown, text, `${section.platform} shows the text`);
      assert.deepEqual(
        section.thumbnails,
        [{ loaded: true, width: 640 }],
        `${section.platform} shows the picture`,
      );
    }
    const visible = await page.evaluate(() => document.body.innerText);
    for (const account of Object.values(stack.accounts)) {
      assert.ok(!visible.includes(account.externalId), `no raw account id (${account.externalId}) on show`);
    }
    t.diagnostic(`screenshot: ${await browser.screenshot(page, 'sandbox-page')}`);
    assert.deepEqual(outside, [], 'nothing from outside');
    await page.close();
  });
});
