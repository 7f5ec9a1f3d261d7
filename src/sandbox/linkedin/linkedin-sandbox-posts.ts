/**
 * LinkedIn sandbox: `POST /rest/posts`, the author finder `GET /rest/posts?q=author`, and the image
 * upload (`POST /rest/images?action=initializeUpload`, `PUT` of the bytes, `GET /rest/images/{urn}`),
 * enforcing docs/platform-apis.md §4 (LinkedIn): the post schema and enums, commentary ≤ 3000, author and
 * scope, images usable only after their PUT, duplicates (same author + commentary within the setting
 * `linkedin.duplicateWindowMs`, a day by default, whatever media either post carries) → 422
 * DUPLICATE_POST naming the original in the message exactly as LinkedIn does (docs/platform-apis.md §3.5),
 * daily per-member and per-app counters reset 00:00 UTC → 429. An empty commentary (a media-only post)
 * is never judged a duplicate: there is no text to compare. The body checks live in
 * linkedin-sandbox-post-validation.ts.
 *
 * Unescaped little text (setting `linkedin.unescapedText`): `truncate` (default, what LinkedIn does:
 * 201, the post cut short), `reject` (400), or `accept` (kept as is). The commentary is always stored
 * exactly as received.
 */
import type { Context, Hono } from 'hono';
import {
  authenticate,
  inputError,
  type LinkedInSandboxState,
  mayActFor,
  randomDigits,
  restError,
} from './linkedin-sandbox-state.ts';
import { AUTHOR, isObject, type Json, validatePost } from './linkedin-sandbox-post-validation.ts';
import { readLittleText } from './little-text-parser.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const THROTTLE_MESSAGE = 'Resource level throttle limit for calls to this resource is reached.';

export function registerLinkedInPostRoutes(app: Hono, state: LinkedInSandboxState): void {
  const { knobs } = state;

  app.post('/rest/posts', async (c) => {
    const auth = authenticate(state, c);
    if (auth instanceof Response) return auth;
    if (!(c.req.header('content-type') ?? '').startsWith('application/json')) {
      return restError(c, 400, { message: 'Content-Type must be application/json' });
    }
    const body = await c.req.json().catch(() => null);
    if (!isObject(body)) return restError(c, 400, { message: 'Unable to parse the request body as JSON' });
    const invalid = validatePost(c, state, body);
    if (invalid) return invalid;
    const author = body.author as string;
    if (!mayActFor(state, auth, author)) {
      return restError(c, 403, {
        serviceErrorCode: 100,
        code: 'ACCESS_DENIED',
        message: 'Not enough permissions to access: POST /rest/posts',
      });
    }
    const commentary = body.commentary as string;
    const reading = readLittleText(commentary);
    const mode = knobs.setting<'truncate' | 'reject' | 'accept'>('linkedin.unescapedText', 'truncate');
    if (reading.unescaped.length > 0 && mode === 'reject') {
      return inputError(
        c,
        400,
        `Commentary has unescaped reserved characters: ${reading.unescaped.join(' ')}`,
        'INVALID_VALUE_FOR_FIELD',
        '/commentary',
      );
    }
    const windowMs = knobs.setting('linkedin.duplicateWindowMs', DAY_MS);
    const since = knobs.now().getTime() - windowMs;
    const original = commentary.trim() === ''
      ? undefined
      : state.posts.find((p) =>
        p.author === author && p.commentary === commentary && p.createdAt.getTime() >= since
      );
    if (original) {
      return c.json({
        errorDetailType: 'com.linkedin.common.error.BadRequest',
        message:
          `com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of ${original.id}`,
        errorDetails: {
          inputErrors: [{ description: 'Duplicate post is detected', input: {}, code: 'DUPLICATE_POST' }],
        },
        status: 422,
      }, 422);
    }
    const limited = consumeDailyLimits(c, state, author);
    if (limited) return limited;

    const id = `urn:li:share:7${randomDigits(18)}`;
    const shown = mode === 'truncate' ? reading.truncated : reading.displayed;
    state.posts.push({
      id,
      author,
      commentary,
      shown,
      content: body.content ?? null,
      body,
      createdAt: knobs.now(),
    });
    const url = `https://www.linkedin.com/feed/update/${id}/`;
    knobs.recordPublished({
      platform: 'linkedin',
      id,
      subject: author,
      text: shown,
      media: mediaIds(body),
      received: body,
      url,
    });
    const encode = knobs.setting('linkedin.encodeRestliId', true);
    const headerId = encode ? encodeURIComponent(id) : id;
    c.header('x-restli-id', headerId);
    c.header('x-linkedin-id', headerId);
    c.header('location', `/rest/posts/${encodeURIComponent(id)}`);
    return c.body(null, 201);
  });

  app.get('/rest/posts', (c) => {
    const auth = authenticate(state, c);
    if (auth instanceof Response) return auth;
    if (c.req.query('q') !== 'author') {
      return restError(c, 400, { message: 'Unsupported finder; use q=author' });
    }
    const author = c.req.query('author') ?? '';
    const readScope = author.startsWith('urn:li:organization:') ? 'r_organization_social' : 'r_member_social';
    const mayRead = auth.scopes.includes(readScope) &&
      (author === auth.subject || (state.organizationAdmins.get(author)?.has(auth.subject) ?? false));
    if (!mayRead) {
      return restError(c, 403, {
        serviceErrorCode: 100,
        code: 'ACCESS_DENIED',
        message: 'Not enough permissions to access: GET-author /rest/posts',
      });
    }
    const count = Math.min(100, Math.max(1, Number(c.req.query('count') ?? 10) || 10));
    const start = Math.max(0, Number(c.req.query('start') ?? 0) || 0);
    const mine = state.posts.filter((p) => p.author === author).reverse();
    const elements = mine.slice(start, start + count).map((p) => ({
      ...p.body,
      id: p.id,
      createdAt: p.createdAt.getTime(),
      lastModifiedAt: p.createdAt.getTime(),
      publishedAt: p.createdAt.getTime(),
    }));
    return c.json({ paging: { start, count, total: mine.length, links: [] }, elements });
  });

  app.post('/rest/images', async (c) => {
    const auth = authenticate(state, c);
    if (auth instanceof Response) return auth;
    if (c.req.query('action') !== 'initializeUpload') {
      return restError(c, 400, { message: 'Unsupported action; use action=initializeUpload' });
    }
    const body = await c.req.json().catch(() => null);
    const owner = isObject(body) && isObject(body.initializeUploadRequest)
      ? body.initializeUploadRequest.owner
      : null;
    if (typeof owner !== 'string' || !AUTHOR.test(owner)) {
      return inputError(
        c,
        422,
        'initializeUploadRequest.owner must be a person or organization URN',
        'MISSING_FIELD',
        '/initializeUploadRequest/owner',
      );
    }
    if (!mayActFor(state, auth, owner)) {
      return restError(c, 403, {
        serviceErrorCode: 100,
        code: 'ACCESS_DENIED',
        message: 'Not enough permissions to access: POST /rest/images',
      });
    }
    const urn = `urn:li:image:C4E10AQ${randomDigits(12)}`;
    const uploadId = crypto.randomUUID();
    const expiresAt = new Date(knobs.now().getTime() + DAY_MS);
    state.images.set(urn, {
      urn,
      owner,
      status: 'WAITING_UPLOAD',
      uploadId,
      uploadUrlExpiresAt: expiresAt,
      bytes: 0,
    });
    const prefix = c.req.path.slice(0, -'/rest/images'.length);
    const uploadUrl = `${new URL(c.req.url).origin}${prefix}/dms-uploads/${uploadId}`;
    return c.json({ value: { uploadUrlExpiresAt: expiresAt.getTime(), uploadUrl, image: urn } });
  });

  app.put('/dms-uploads/:uploadId', async (c) => {
    const auth = authenticate(state, c);
    if (auth instanceof Response) return auth;
    const image = [...state.images.values()].find((i) => i.uploadId === c.req.param('uploadId'));
    if (!image || image.status !== 'WAITING_UPLOAD') {
      return restError(c, 404, { message: 'Upload not found or already used' });
    }
    if (knobs.now() > image.uploadUrlExpiresAt) {
      return restError(c, 400, { message: 'The upload URL has expired' });
    }
    if (!mayActFor(state, auth, image.owner)) {
      return restError(c, 403, {
        serviceErrorCode: 100,
        code: 'ACCESS_DENIED',
        message: 'Not enough permissions to upload',
      });
    }
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (!isImage(bytes)) {
      return restError(c, 400, { message: 'The uploaded file is not a JPEG, PNG or GIF image' });
    }
    image.status = 'AVAILABLE';
    image.bytes = bytes.byteLength;
    image.previewSha256 = await knobs.previews.keep(bytes);
    return c.body(null, 201);
  });

  app.get('/rest/images/:urn', (c) => {
    const auth = authenticate(state, c);
    if (auth instanceof Response) return auth;
    const image = state.images.get(decodeURIComponent(c.req.param('urn')));
    if (!image) return restError(c, 404, { message: 'Image not found' });
    return c.json({ id: image.urn, owner: image.owner, status: image.status });
  });
}

/** Daily counters per member and per app, reset at 00:00 UTC (limits: setQuota on the names below). */
function consumeDailyLimits(c: Context, state: LinkedInSandboxState, author: string): Response | null {
  const { knobs } = state;
  const now = knobs.now();
  const day = now.toISOString().slice(0, 10);
  const windowMs = 2 * DAY_MS; // the date in the key starts a new window at midnight
  const member = knobs.peekQuota('linkedin.memberPosts', `${author}:${day}`, { limit: 150, windowMs });
  const app = knobs.peekQuota('linkedin.appPosts', day, { limit: 100_000, windowMs });
  if (member.exceeded || app.exceeded) {
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    if (knobs.setting('linkedin.retryAfterHeader', false)) {
      c.header('retry-after', String(Math.ceil((midnight - now.getTime()) / 1000)));
    }
    return restError(c, 429, { serviceErrorCode: 101, code: 'TOO_MANY_REQUESTS', message: THROTTLE_MESSAGE });
  }
  knobs.consumeQuota('linkedin.memberPosts', `${author}:${day}`, { limit: 150, windowMs });
  knobs.consumeQuota('linkedin.appPosts', day, { limit: 100_000, windowMs });
  return null;
}

export function linkedInThrottled(c: Context, retryAfterSeconds: number | null): Response {
  if (retryAfterSeconds !== null) c.header('retry-after', String(retryAfterSeconds));
  return restError(c, 429, { serviceErrorCode: 101, code: 'TOO_MANY_REQUESTS', message: THROTTLE_MESSAGE });
}

function mediaIds(body: Json): string[] {
  const content = isObject(body.content) ? body.content : null;
  if (!content) return [];
  if (isObject(content.media) && typeof content.media.id === 'string') return [content.media.id];
  if (isObject(content.multiImage) && Array.isArray(content.multiImage.images)) {
    return content.multiImage.images.flatMap((i) => (isObject(i) && typeof i.id === 'string' ? [i.id] : []));
  }
  return [];
}

function isImage(bytes: Uint8Array): boolean {
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const png = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const gif = bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46 && bytes[3] === 0x38;
  return jpeg || png || gif;
}
