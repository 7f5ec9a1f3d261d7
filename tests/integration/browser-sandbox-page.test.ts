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
import { createSandbox } from '../../src/sandbox/create-sandbox.ts';
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
    // The thumbnails are loading="lazy": Chromium may fetch them after the load event. Wait until each
    // has loaded or failed (`complete`), then check which.
    await page.waitForFunction(
      () => [...document.querySelectorAll('.media img')].every((img) => (img as HTMLImageElement).complete),
      { timeout: 10_000 },
    );
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

  it('shows a post scheduled with per-platform text, an X thread and first comments as the platforms would', async (t) => {
    const tag = crypto.randomUUID().slice(0, 8);
    const thread = [
      `Launch day ${tag} 1/3`,
      `Write once, post anywhere ${tag} 2/3`,
      `Each part replies ${tag} 3/3`,
    ];
    const linkedInText = `After a year of building, it is live ${tag}. Here is why it matters.`;
    const comment = `Try it: https://example.com/launch ${tag}`;
    const igComment = `Link here: https://example.com/launch ${tag} #launch`;
    const created = await fetch(`${stack.apiUrl}/posts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await stack.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        text: `The post's own text ${tag}`,
        scheduledAt: 'now',
        firstComment: comment,
        media: [{ url: stack.sampleMediaUrl, altText: 'A sample picture' }],
        targets: [
          { accountId: stack.accounts.x.id, thread },
          { accountId: stack.accounts.linkedin.id, text: linkedInText },
          { accountId: stack.accounts.instagram.id, firstComment: igComment },
        ],
      }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = await created.json() as Post;
    const post = await waitFor(async () => {
      const found = await stack.store.getPost(id);
      const settled = found && found.status !== 'scheduled' && found.status !== 'publishing';
      return settled && found.targets.every((tg) => tg.comment?.status === 'published') ? found : false;
    }, { timeoutMs: 30_000, intervalMs: 100, what: 'the post and its comments to settle' });
    assert.equal(post.status, 'published', JSON.stringify(post.targets));

    const { page, outside } = await browser.newPage();
    await page.goto(`${stack.sandboxUrl}/`, { waitUntil: 'load' });
    const seen = await page.$$eval('section', (all) =>
      all.map((section) => {
        const root = section.querySelector('article');
        // Follow the chain: each reply is the only article in the replies block of the one before.
        const chain: string[] = [];
        let at: Element | null | undefined = root;
        while (at) {
          chain.push((at.querySelector(':scope > .text') as HTMLElement | null)?.innerText ?? '');
          at = at.querySelector(':scope > .replies > article');
        }
        const comments = [...(root?.querySelectorAll('.comments .comment-text') ?? [])]
          .map((el) => (el as HTMLElement).innerText);
        return { platform: section.className, chain, comments };
      }));
    const by = Object.fromEntries(seen.map((s) => [s.platform, s]));
    assert.deepEqual(by.x?.chain, [...thread, comment], 'X: the thread as a reply chain, the comment last');
    assert.deepEqual(by.linkedin?.chain, [linkedInText]);
    assert.deepEqual(by.linkedin?.comments, [comment], 'LinkedIn: the comment under its post');
    assert.deepEqual(by.instagram?.chain, [`The post's own text ${tag}`]);
    assert.deepEqual(by.instagram?.comments, [igComment], "Instagram: the target's own comment");
    t.diagnostic(`screenshot: ${await browser.screenshot(page, 'sandbox-page-content')}`);
    assert.deepEqual(outside, [], 'nothing from outside');
    await page.close();
  });
});

describe('the sandbox page without a browser', () => {
  it('shows comments under their LinkedIn and Instagram posts and X replies as a chain under their post', async () => {
    const sandbox = createSandbox();
    const { knobs } = sandbox;
    const li = sandbox.linkedin.createMember({ name: 'Ada Lovelace' });
    knobs.recordPublished({
      platform: 'linkedin',
      id: 'urn:li:share:1',
      subject: li.urn,
      text: 'LI post',
      media: [],
      received: {},
      url: null,
    });
    // The sandbox only comments on posts it made, so the comment is sent through its API.
    const liBody = JSON.stringify({
      actor: li.urn,
      object: 'urn:li:share:1',
      message: { text: 'LI first <comment>' },
    });
    const liHeaders = {
      authorization: `Bearer ${li.token.accessToken}`,
      'linkedin-version': '202601',
      'x-restli-protocol-version': '2.0.0',
      'content-type': 'application/json',
    };
    // Unknown posts are refused: the record above is the page's, not the LinkedIn sandbox's state.
    const refused = await sandbox.app.request(
      `/linkedin/rest/socialActions/${encodeURIComponent('urn:li:share:1')}/comments`,
      {
        method: 'POST',
        headers: liHeaders,
        body: liBody,
      },
    );
    assert.equal(refused.status, 404);
    const published = await sandbox.app.request('/linkedin/rest/posts', {
      method: 'POST',
      headers: liHeaders,
      body: JSON.stringify({
        author: li.urn,
        commentary: 'A real LI post',
        visibility: 'PUBLIC',
        distribution: {
          feedDistribution: 'MAIN_FEED',
          targetEntities: [],
          thirdPartyDistributionChannels: [],
        },
        lifecycleState: 'PUBLISHED',
        isReshareDisabledByAuthor: false,
      }),
    });
    assert.equal(published.status, 201);
    const urn = decodeURIComponent(published.headers.get('x-restli-id')!);
    const commented = await sandbox.app.request(
      `/linkedin/rest/socialActions/${encodeURIComponent(urn)}/comments`,
      {
        method: 'POST',
        headers: liHeaders,
        body: JSON.stringify({ actor: li.urn, object: urn, message: { text: 'LI first <comment>' } }),
      },
    );
    assert.equal(commented.status, 201, await commented.clone().text());

    const x = sandbox.x.connectAccount({ username: 'chain_test' });
    const reply = (id: string, parent: string | null, text: string) =>
      knobs.recordPublished({
        platform: 'x',
        id,
        subject: x.user.id,
        text,
        media: [],
        received: parent ? { text, reply: { in_reply_to_tweet_id: parent } } : { text },
        url: null,
      });
    reply('100', null, 'thread part 1');
    reply('101', '100', 'thread part 2');
    reply('102', '101', 'first comment on X');
    reply('200', null, 'unrelated later post');

    const html = await (await sandbox.app.request('/')).text();
    const liSection = html.slice(html.indexOf('<section class="linkedin">'));
    assert.match(
      liSection,
      /A real LI post[\s\S]*<li class="comment"[^>]*><span class="name">Ada Lovelace<\/span> <span class="comment-text">LI first &#60;comment&#62;<\/span>/,
    );
    const xSection = html.slice(
      html.indexOf('<section class="x">'),
      html.indexOf('<section class="instagram">'),
    );
    const order = ['unrelated later post', 'thread part 1', 'thread part 2', 'first comment on X'].map((t) =>
      xSection.indexOf(t)
    );
    assert.ok(
      order.every((i, n) => i > 0 && (n === 0 || i > order[n - 1]!)),
      `newest root first, then the chain in order: ${order}`,
    );
    const part1 = xSection.indexOf('data-id="100"');
    const nested = xSection.slice(
      part1,
      xSection.indexOf('data-id="200"') > part1 ? undefined : xSection.length,
    );
    assert.match(
      nested,
      /data-id="100"[\s\S]*<div class="replies"><article data-id="101"[\s\S]*<div class="replies"><article data-id="102"/,
    );
  });
});
