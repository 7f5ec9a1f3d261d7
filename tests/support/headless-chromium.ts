/**
 * Headless Chromium for the browser tests: the Debian package (`apt-get install -y chromium`), driven
 * with puppeteer-core (no browser download), on a machine cut off from the internet — every host but
 * 127.0.0.1 fails to resolve — so a page that reaches for a CDN shows it. Each page records the
 * requests it tried beyond 127.0.0.1, and the console errors, for the tests to assert on.
 *
 * Without chromium the browser tests skip with a message saying how to install it, except in CI
 * (CI=true or REQUIRE_BROWSER_TESTS=true, as .ci/run sets), where they fail instead.
 *
 * Screenshots go to BROWSER_SCREENSHOT_DIR, or a fresh folder under the system temp dir; the tests
 * print where.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export const CHROMIUM_PATH: string | null = CANDIDATES.find((path) => path && existsSync(path)) ?? null;

const required = process.env.REQUIRE_BROWSER_TESTS === 'true' || process.env.CI === 'true';

/** A skip reason, or false when the browser tests must run (chromium found, or required). */
export const browserSkip: string | false = CHROMIUM_PATH || required
  ? false
  : 'chromium is not installed: apt-get install -y chromium (CI installs it and requires these tests)';

export interface OfflinePage {
  page: Page;
  /** Requests the page tried to send anywhere but 127.0.0.1 (they fail: the machine is offline). */
  outside: string[];
  /** Console errors and page errors (not the "Failed to load resource" lines: see `failed`). */
  errors: string[];
  /** Answers with a status of 400 or more, as `<status> <path>`. */
  failed: string[];
}

export interface OfflineBrowser {
  /** A page; with `fresh`, in a context of its own (no cookies of the other pages). */
  newPage(options?: { fresh?: boolean }): Promise<OfflinePage>;
  /** Saves a screenshot (of the viewport, or the whole page) as `<name>.png`; returns its path. */
  screenshot(page: Page, name: string, options?: { fullPage?: boolean }): Promise<string>;
  readonly screenshotDir: string;
  close(): Promise<void>;
}

export async function launchOfflineBrowser(): Promise<OfflineBrowser> {
  if (!CHROMIUM_PATH) {
    throw new Error(
      'chromium is required here (CI=true or REQUIRE_BROWSER_TESTS=true) but not installed: apt-get install -y chromium',
    );
  }
  const browser: Browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      // Running as root (CI, containers) needs it; the pages are our own.
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      // Offline: nothing but the loopback servers of the test resolves.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
  const screenshotDir = process.env.BROWSER_SCREENSHOT_DIR ??
    mkdtempSync(join(tmpdir(), 'solospark-browser-'));
  await mkdir(screenshotDir, { recursive: true });
  return {
    screenshotDir,
    async newPage(options = {}) {
      const page = options.fresh
        ? await (await browser.createBrowserContext()).newPage()
        : await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      const outside: string[] = [];
      const errors: string[] = [];
      const failed: string[] = [];
      page.on('response', (response) => {
        if (response.status() >= 400) failed.push(`${response.status()} ${new URL(response.url()).pathname}`);
      });
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (url.protocol.startsWith('http') && url.hostname !== '127.0.0.1') outside.push(request.url());
      });
      page.on('console', (message) => {
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
          errors.push(message.text());
        }
      });
      page.on('pageerror', (err) => void errors.push(String(err)));
      return { page, outside, errors, failed };
    },
    async screenshot(page, name, options = {}) {
      const path = join(screenshotDir, `${name}.png`);
      await page.screenshot({ path: path as `${string}.png`, fullPage: options.fullPage ?? false });
      return path;
    },
    close: () => browser.close(),
  };
}
