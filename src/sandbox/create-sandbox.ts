/**
 * The sandbox platforms on one Hono app: X under `/x`, Instagram under `/instagram`, LinkedIn under
 * `/linkedin` (adapters get base URLs such as `http://127.0.0.1:4010/x`), a web page at `/` showing
 * the posts as each platform received them, and a JSON control API for the knobs:
 *
 *   GET    /_sandbox/state              published posts, recent requests, faults, settings, refreshes
 *   POST   /_sandbox/faults             FaultRuleInput, e.g. {"platform":"x","mode":"drop","path":"/2/tweets"}
 *   DELETE /_sandbox/faults
 *   POST   /_sandbox/latency            {"ms":200,"platform":"linkedin"}
 *   POST   /_sandbox/quotas             {"name":"x.tweets.user15m","limit":1}
 *   POST   /_sandbox/settings           {"x.duplicateWindowMs":0,"linkedin.unescapedText":"reject"}
 *   POST   /_sandbox/clock              {"advanceMs":7200000}
 *   POST   /_sandbox/tokens/expire      {"platform":"x","accessToken":"…"}
 *   POST   /_sandbox/accounts/:platform platform-specific connect input → tokens for a new account
 *   POST   /_sandbox/reset
 *   GET    /_sandbox/media/sample.(png|jpg|gif|mp4)   sample media to post (see sample-media.ts)
 *   GET    /_sandbox/previews/<sha256>  an image the sandbox served or received (the page's thumbnails)
 *
 * Runtime-neutral: it is a fetch handler. start-sandbox.ts serves it under Node.
 */
import { Hono } from 'hono';
import { isPlatform } from '../domain/platform.ts';
import type { Platform } from '../domain/platform.ts';
import type { FaultRuleInput } from './sandbox-faults.ts';
import type { SandboxKnobs, SandboxKnobsOptions } from './sandbox-knobs.ts';
import type { TokenRecord } from './sandbox-tokens.ts';
import { createSandboxKnobs } from './sandbox-knobs.ts';
import { MAX_PREVIEW_BYTES } from './sandbox-media-previews.ts';
import { renderSandboxPage } from './sandbox-page.ts';
import type { PlatformPageView } from './sandbox-page.ts';
import { sampleMediaResponse } from './sample-media.ts';
import { createXSandbox } from './x/x-sandbox.ts';
import { createInstagramSandbox } from './instagram/instagram-sandbox.ts';
import { createLinkedInSandbox } from './linkedin/linkedin-sandbox.ts';

export interface SandboxOptions extends SandboxKnobsOptions {
  /** Shared knobs (tests may build them first). (Default: created from the other options) */
  knobs?: SandboxKnobs;
}

/** What every platform sandbox returns: its app, and optionally a way to mint a connected account. */
export interface PlatformSandbox {
  app: Hono;
  connectAccount?(input: never): { token: TokenRecord } & Record<string, unknown>;
  /** How its posts read on the sandbox page (account names, thumbnails). (Default: ids only) */
  pageView?: PlatformPageView;
}

/** For a platform sandbox without a view of its own: the ids as they are, no thumbnails. */
const IDS_ONLY: PlatformPageView = {
  account: () => null,
  mediaUrls: (record) => record.media.map(() => null),
};

export interface Sandbox {
  app: Hono;
  knobs: SandboxKnobs;
  platforms: Partial<Record<Platform, PlatformSandbox>>;
  x: ReturnType<typeof createXSandbox>;
  instagram: ReturnType<typeof createInstagramSandbox>;
  linkedin: ReturnType<typeof createLinkedInSandbox>;
  published: SandboxKnobs['published'];
}

export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const knobs = options.knobs ?? createSandboxKnobs(options);
  const x = createXSandbox(knobs);
  const instagram = createInstagramSandbox(knobs);
  const linkedin = createLinkedInSandbox(knobs);
  // Adding a platform: its sandbox here, under its id.
  const platforms: Partial<Record<Platform, PlatformSandbox>> = { x, instagram, linkedin };
  const app = new Hono();
  const views = Object.fromEntries(
    Object.entries(platforms).map(([platform, sandbox]) => [platform, sandbox.pageView ?? IDS_ONLY]),
  ) as Partial<Record<Platform, PlatformPageView>>;
  app.get('/', (c) => c.html(renderSandboxPage(knobs, views)));
  app.route('/_sandbox', createControlApi(knobs, platforms));
  for (const [platform, sandbox] of Object.entries(platforms)) app.route(`/${platform}`, sandbox.app);
  return { app, knobs, platforms, x, instagram, linkedin, published: knobs.published };
}

function createControlApi(knobs: SandboxKnobs, platforms: Partial<Record<Platform, PlatformSandbox>>): Hono {
  const api = new Hono();
  const bad = (message: string) => Response.json({ error: message }, { status: 400 });
  const body = async (req: Request): Promise<Record<string, unknown> | null> => {
    try {
      const value = await req.json();
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : null;
    } catch {
      return null;
    }
  };

  api.get('/state', (c) =>
    c.json({
      now: knobs.now().toISOString(),
      published: knobs.published(),
      requests: knobs.requests().slice(-200),
      faults: knobs.faults(),
      settings: knobs.settings(),
      refreshAttempts: knobs.tokens.refreshAttempts(),
    }));
  api.post('/faults', async (c) => {
    const input = await body(c.req.raw);
    const modes = ['status', 'rate_limit', 'timeout', 'drop'];
    if (!input || !isPlatform(input.platform) || !modes.includes(input.mode as string)) {
      return bad('expected {"platform":"x|instagram|linkedin","mode":"status|rate_limit|timeout|drop",…}');
    }
    return c.json(knobs.injectFault(input as unknown as FaultRuleInput), 201);
  });
  api.delete('/faults', (c) => {
    knobs.clearFaults();
    return c.body(null, 204);
  });
  api.post('/latency', async (c) => {
    const input = await body(c.req.raw);
    if (
      !input || typeof input.ms !== 'number' || (input.platform !== undefined && !isPlatform(input.platform))
    ) {
      return bad('expected {"ms":number,"platform"?:"x|instagram|linkedin"}');
    }
    knobs.setLatency(input.ms, input.platform as Platform | undefined);
    return c.body(null, 204);
  });
  api.post('/quotas', async (c) => {
    const input = await body(c.req.raw);
    if (!input || typeof input.name !== 'string' || typeof input.limit !== 'number') {
      return bad('expected {"name":string,"limit":number}');
    }
    knobs.setQuota(input.name, input.limit);
    return c.body(null, 204);
  });
  api.post('/settings', async (c) => {
    const input = await body(c.req.raw);
    if (!input) return bad('expected a JSON object of settings');
    knobs.setSettings(input);
    return c.json(knobs.settings());
  });
  api.post('/clock', async (c) => {
    const input = await body(c.req.raw);
    if (!input || typeof input.advanceMs !== 'number') return bad('expected {"advanceMs":number}');
    knobs.advanceClock(input.advanceMs);
    return c.json({ now: knobs.now().toISOString() });
  });
  api.post('/tokens/expire', async (c) => {
    const input = await body(c.req.raw);
    if (!input || !isPlatform(input.platform) || typeof input.accessToken !== 'string') {
      return bad('expected {"platform":…,"accessToken":string}');
    }
    return knobs.tokens.expire(input.platform, input.accessToken)
      ? c.body(null, 204)
      : c.json({ error: 'unknown token' }, 404);
  });
  api.post('/accounts/:platform', async (c) => {
    const platform = c.req.param('platform');
    const sandbox = isPlatform(platform) ? platforms[platform] : undefined;
    if (!sandbox?.connectAccount) return c.json({ error: `no sandbox account support for ${platform}` }, 404);
    const input = (await body(c.req.raw)) ?? {};
    const { token, ...rest } = sandbox.connectAccount(input as never);
    return c.json({
      ...rest,
      externalId: token.subject,
      accessToken: token.accessToken,
      refreshToken: token.refreshToken,
      expiresAt: token.expiresAt.toISOString(),
      scopes: token.scopes,
    }, 201);
  });
  api.get('/media/:name', async (c) => {
    const response = sampleMediaResponse(c.req.param('name'), new URL(c.req.url).searchParams);
    // Kept for the page: the worker uploads these same bytes to X, whose sandbox keeps only a digest.
    const picture = response.headers.get('content-type')?.startsWith('image/') &&
      Number(response.headers.get('content-length')) <= MAX_PREVIEW_BYTES;
    if (response.ok && picture) {
      await knobs.previews.keep(new Uint8Array(await response.clone().arrayBuffer()));
    }
    return response;
  });
  api.get('/previews/:sha256', (c) => {
    const preview = knobs.previews.get(c.req.param('sha256'));
    if (!preview) return c.json({ error: 'no such preview; the sandbox keeps the newest 64 images' }, 404);
    return new Response(preview.bytes as BodyInit, {
      headers: { 'content-type': preview.type, 'cache-control': 'private, max-age=3600' },
    });
  });
  api.post('/reset', (c) => {
    knobs.reset();
    return c.body(null, 204);
  });
  return api;
}
