/**
 * Instagram sandbox content publishing (docs/platform-apis.md §2.3–2.5, §4 Instagram):
 * `POST /{ig-user-id}/media` (containers), `GET /{container-id}?fields=status_code,status`,
 * `POST /{ig-user-id}/media_publish`, `GET /{ig-user-id}/media` (published media, newest first),
 * `GET /{ig-user-id}/content_publishing_limit` and `GET /{media-id}?fields=permalink,…`.
 *
 * Refused as Instagram refuses: text-only containers; image_url not https or not JPEG (by extension;
 * by content too with the setting `instagram.fetchMedia`); captions over 2200 characters, 30 hashtags
 * or 20 @tags; captions on carousel items; carousels outside 2–10 or with unfinished children; more
 * than 400 containers a day; publishing anything not FINISHED (9007/2207027), a spent or unknown
 * container (24/2207008), expired containers (-2/2207020), and over the publish quota (9/2207042).
 * A published container never publishes again. What a new container may hold, and its status, are
 * judged in instagram-sandbox-containers.ts.
 */
import type { Context, Hono } from 'hono';
import {
  authenticate,
  graphError,
  graphId,
  type InstagramSandboxState,
  readParams,
  type SandboxContainer,
} from './instagram-sandbox-state.ts';
import { containerStatus, statusText, validateContainer } from './instagram-sandbox-containers.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export function registerInstagramMediaRoutes(app: Hono, state: InstagramSandboxState): void {
  const { knobs } = state;

  app.post('/:userId/media', async (c) => {
    const params = await readParams(c);
    const auth = authenticate(state, c, params);
    if (auth instanceof Response) return auth;
    const denied = checkOwner(c, auth.subject, c.req.param('userId'), auth.scopes);
    if (denied) return denied;
    const userId = auth.subject;
    const refused = await validateContainer(c, state, userId, params);
    if (refused instanceof Response) return refused;
    const quota = knobs.consumeQuota('instagram.containers', userId, { limit: 400, windowMs: DAY_MS });
    if (quota.exceeded) {
      return graphError(c, 400, {
        message: 'The account created more than 400 media containers in 24 hours',
        code: 9,
      });
    }
    const container: SandboxContainer = {
      ...refused,
      id: graphId('1790'),
      owner: userId,
      createdAt: knobs.now(),
      params,
    };
    state.containers.set(container.id, container);
    return c.json({ id: container.id });
  });

  app.post('/:userId/media_publish', async (c) => {
    const params = await readParams(c);
    const auth = authenticate(state, c, params);
    if (auth instanceof Response) return auth;
    const denied = checkOwner(c, auth.subject, c.req.param('userId'), auth.scopes);
    if (denied) return denied;
    const userId = auth.subject;
    if (!params.creation_id) {
      return graphError(c, 400, { message: '(#100) The parameter creation_id is required', code: 100 });
    }
    const container = state.containers.get(params.creation_id);
    if (!container || container.owner !== userId || container.publishedMediaId !== null) {
      return graphError(c, 400, {
        message: 'Media ID is not available',
        code: 24,
        error_subcode: 2207008,
        error_user_title: 'Media ID is not available',
        error_user_msg: 'The media ID is missing, expired or already published.',
      });
    }
    if (container.isCarouselItem) {
      return graphError(c, 400, {
        message: '(#100) A carousel item cannot be published on its own',
        code: 100,
      });
    }
    const status = containerStatus(state, container, false);
    if (status === 'EXPIRED') {
      return graphError(c, 400, { message: 'The media container expired', code: -2, error_subcode: 2207020 });
    }
    if (status !== 'FINISHED') {
      return graphError(c, 400, {
        message: 'The media is not ready for publishing, please wait for a moment',
        code: 9007,
        error_subcode: 2207027,
      });
    }
    const quota = knobs.consumeQuota('instagram.publish', userId, { limit: 50, windowMs: DAY_MS });
    if (quota.exceeded) {
      return graphError(c, 400, {
        message: 'Application request limit reached',
        code: 9,
        error_subcode: 2207042,
        error_user_title: 'You reached maximum number of posts',
        error_user_msg:
          'You reached maximum number of posts that is allowed to be published by Content Publishing API.',
      });
    }
    return c.json({ id: publish(state, container).id });
  });

  app.get('/:userId/content_publishing_limit', (c) => {
    const auth = authenticate(state, c, c.req.query());
    if (auth instanceof Response) return auth;
    const denied = checkOwner(c, auth.subject, c.req.param('userId'), auth.scopes, false);
    if (denied) return denied;
    const userId = auth.subject;
    const quota = knobs.peekQuota('instagram.publish', userId, { limit: 50, windowMs: DAY_MS });
    return c.json({
      data: [{ quota_usage: quota.used, config: { quota_total: quota.limit, quota_duration: 86400 } }],
    });
  });

  app.get('/:userId/media', (c) => {
    const auth = authenticate(state, c, c.req.query());
    if (auth instanceof Response) return auth;
    const denied = checkOwner(c, auth.subject, c.req.param('userId'), auth.scopes, false);
    if (denied) return denied;
    const userId = auth.subject;
    const limit = Math.min(100, Math.max(1, Number(c.req.query('limit') ?? 25) || 25));
    const mine = state.media.filter((m) => m.owner === userId).reverse();
    const after = c.req.query('after');
    const start = after ? decodeCursor(after) : 0;
    const page = mine.slice(start, start + limit);
    const fields = (c.req.query('fields') ?? 'id').split(',');
    const more = start + limit < mine.length;
    const next = btoa(String(start + limit));
    return c.json({
      data: page.map((m) => mediaFields(m, fields)),
      paging: {
        cursors: { before: btoa(String(start)), after: next },
        ...(more ? { next: `${new URL(c.req.url).origin}${c.req.path}?after=${next}&limit=${limit}` } : {}),
      },
    });
  });

  app.get('/:id', (c) => {
    const auth = authenticate(state, c, c.req.query());
    if (auth instanceof Response) return auth;
    const id = c.req.param('id');
    const fields = (c.req.query('fields') ?? 'id').split(',');
    const container = state.containers.get(id);
    if (container && container.owner === auth.subject) {
      const statusCode = containerStatus(state, container, true);
      const out: Record<string, unknown> = { id };
      if (fields.includes('status_code')) out.status_code = statusCode;
      if (fields.includes('status')) out.status = statusText(statusCode, container);
      return c.json(out);
    }
    const media = state.media.find((m) => m.id === id && m.owner === auth.subject);
    if (media) return c.json(mediaFields(media, fields));
    return graphError(c, 400, {
      message:
        `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      code: 100,
      error_subcode: 33,
      type: 'GraphMethodException',
    });
  });
}

/** The token must act for the account in the path ('me' too) and may publish. */
function checkOwner(
  c: Context,
  subject: string,
  userId: string,
  scopes: string[],
  publishing = true,
): Response | null {
  if (userId !== subject && userId !== 'me') {
    return graphError(c, 400, {
      message:
        `Unsupported post request. Object with ID '${userId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      code: 100,
      error_subcode: 33,
      type: 'GraphMethodException',
    });
  }
  if (publishing && !scopes.includes('instagram_business_content_publish')) {
    return graphError(c, 400, {
      message: '(#10) Application does not have permission for this action',
      code: 10,
    });
  }
  return null;
}

function publish(state: InstagramSandboxState, container: SandboxContainer) {
  const { knobs } = state;
  const id = graphId('1800');
  const shortcode = BigInt(id).toString(36);
  const base = knobs.setting('instagram.permalinkBase', 'https://www.instagram.com/p/');
  const mediaUrls = container.kind === 'CAROUSEL'
    ? container.children.map((child) => state.containers.get(child)?.mediaUrl ?? '')
    : [container.mediaUrl ?? ''];
  const media = {
    id,
    owner: container.owner,
    caption: container.caption,
    mediaType: container.kind === 'CAROUSEL'
      ? 'CAROUSEL_ALBUM' as const
      : container.kind === 'IMAGE'
      ? 'IMAGE' as const
      : 'VIDEO' as const,
    productType: container.kind === 'REELS'
      ? 'REELS' as const
      : container.kind === 'STORIES'
      ? 'STORY' as const
      : 'FEED' as const,
    timestamp: knobs.now(),
    permalink: `${base}${shortcode}/`,
    containerId: container.id,
    mediaUrls,
  };
  container.publishedMediaId = id;
  state.media.push(media);
  knobs.recordPublished({
    platform: 'instagram',
    id,
    subject: container.owner,
    text: container.caption,
    media: mediaUrls,
    received: container.params,
    url: media.permalink,
  });
  return media;
}

function mediaFields(
  media: InstagramSandboxState['media'][number],
  fields: string[],
): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: media.id,
    caption: media.caption,
    media_type: media.mediaType,
    media_product_type: media.productType,
    timestamp: graphTime(media.timestamp),
    permalink: media.permalink,
    media_url: media.mediaUrls[0],
  };
  const out: Record<string, unknown> = { id: media.id };
  for (const field of fields) if (field in all) out[field] = all[field];
  return out;
}

/** 2026-11-28T12:00:00+0000, as Graph writes times. */
export function graphTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+0000');
}

export function decodeCursor(cursor: string): number {
  try {
    const n = Number(atob(cursor));
    return Number.isInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}
