/**
 * X v2 media upload in the sandbox (docs/platform-apis.md §1.3 b, §1.7): one-shot `POST /2/media/upload`
 * (multipart or JSON base64; `media` and `media_category` required), the chunked
 * initialize / append / finalize endpoints, and `GET /2/media/upload?command=STATUS`. Media need
 * `media.write`; images are sniffed (JPEG, PNG, GIF, WEBP) and size-checked; video "processes" for
 * `x.videoProcessingPolls` STATUS calls and ends as `x.videoProcessingOutcome`.
 *
 * Sizes as X has them (§1.3 b, §1.7): an APPEND chunk is at most 5 MB — larger requests get X's edge
 * answer, 413 with an empty body, before anything is parsed — and FINALIZE checks that the segments add
 * up to `total_bytes`. Bodies are refused by size before they are read, and received bytes are counted
 * and digested, not kept (x-sandbox-media-records.ts), so a 512 MB upload costs the sandbox one chunk.
 */
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { sniffImage } from './x-sandbox-image-sniff.ts';
import { notInSchema, readJson, readMediaInput } from './x-sandbox-media-input.ts';
import {
  createXMedia,
  finishReceiving,
  receiveSegment,
  receiveWhole,
  xMediaBody,
} from './x-sandbox-media-records.ts';
import type { XSandboxState, XSandboxUser } from './x-sandbox-state.ts';
import {
  authenticate,
  invalidRequest,
  rateLimit,
  tooManyRequests,
  withHeaders,
  X_QUOTAS,
  xSetting,
} from './x-sandbox-state.ts';

const MB = 1024 * 1024;
const CATEGORIES = ['tweet_image', 'tweet_gif', 'tweet_video', 'dm_image', 'dm_gif', 'dm_video', 'subtitles'];
const MEDIA_TYPES = [
  'image/jpeg',
  'image/pjpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/bmp',
  'image/tiff',
  'video/mp4',
  'video/webm',
  'video/mp2t',
  'video/quicktime',
  'text/srt',
  'text/vtt',
  'model/gltf-binary',
  'model/vnd.usdz+zip',
];
const MAX_TOTAL_BYTES = 17_179_869_184;
const LIMIT_BY_CATEGORY: Record<string, number> = {
  tweet_image: 5 * MB,
  tweet_gif: 15 * MB,
  tweet_video: 512 * MB,
};
/** Largest APPEND chunk: "must be <= 5 MB" (v1.1 APPEND reference [O]); assumed the same for v2 [U]. */
export const X_MAX_CHUNK_BYTES = 5 * MB;
/** Room for the multipart framing and the other fields around a chunk. */
const FORM_OVERHEAD_BYTES = 64 * 1024;
/** A one-shot upload: a 15 MB GIF, base64 in JSON (4/3 larger), with room to spare. */
const MAX_ONE_SHOT_REQUEST_BYTES = 21 * MB;

/** X's edge answer to an oversized request: 413, empty body [I: trypostit/trypost#31]. */
function limitBody(maxSize: number) {
  return bodyLimit({ maxSize, onError: (c) => c.body(null, 413) });
}

export function registerXMediaRoutes(app: Hono, state: XSandboxState): void {
  type Guarded = { response: Response } | { user: XSandboxUser; headers: Headers };
  function guard(c: Context, quota: (typeof X_QUOTAS)[keyof typeof X_QUOTAS]): Guarded {
    const auth = authenticate(state, c, ['media.write']);
    if (!auth.ok) return { response: auth.response };
    const limit = rateLimit(state, quota, auth.user.id);
    if (limit.exceeded) return { response: withHeaders(tooManyRequests(), limit.headers) };
    return { user: auth.user, headers: limit.headers };
  }

  // One-shot upload, and STATUS.
  app.post('/2/media/upload', limitBody(MAX_ONE_SHOT_REQUEST_BYTES), async (c) => {
    const g = guard(c, X_QUOTAS.mediaUpload);
    if ('response' in g) return g.response;
    const input = await readMediaInput(c, [
      'media',
      'media_category',
      'media_type',
      'additional_owners',
      'shared',
    ]);
    if ('error' in input) return withHeaders(invalidRequest([input.error]), g.headers);
    const category = input.fields.media_category;
    const problems: string[] = [];
    if (!input.bytes) problems.push('$.media: is missing but it is required');
    if (!category) problems.push('$.media_category: is missing but it is required');
    else if (!CATEGORIES.includes(category)) {
      problems.push(
        `$.media_category: does not have a value in the enumeration ${JSON.stringify(CATEGORIES)}`,
      );
    }
    if (problems.length > 0) return withHeaders(invalidRequest(problems), g.headers);
    const sniffed = sniffImage(input.bytes!);
    if (
      category === 'tweet_video' || !sniffed || (category === 'tweet_gif' && sniffed.type !== 'image/gif')
    ) {
      return withHeaders(invalidRequest(['media type unrecognized.']), g.headers);
    }
    const limit = LIMIT_BY_CATEGORY[category!] ?? 5 * MB;
    if (input.bytes!.byteLength > limit) {
      return withHeaders(invalidRequest([`File size exceeds ${limit} bytes.`]), g.headers);
    }
    const media = createXMedia(state, g.user.id, category!, sniffed.type, input.bytes!.byteLength);
    media.width = sniffed.width;
    media.height = sniffed.height;
    media.state = 'succeeded';
    receiveWhole(media, input.bytes!);
    return withHeaders(c.json(xMediaBody(state, media, false)), g.headers);
  });

  app.get('/2/media/upload', (c) => {
    const g = guard(c, X_QUOTAS.mediaStatus);
    if ('response' in g) return g.response;
    const q = c.req.query();
    if (q.command !== 'STATUS') return withHeaders(invalidRequest(['$.command: must be STATUS']), g.headers);
    const media = q.media_id ? state.media.get(q.media_id) : undefined;
    if (!media || media.ownerId !== g.user.id) {
      return withHeaders(invalidRequest(['Your media IDs are invalid.']), g.headers);
    }
    if (media.state === 'pending' || media.state === 'in_progress') {
      media.pollsLeft -= 1;
      media.state = media.pollsLeft <= 0 ? xSetting(state, 'videoProcessingOutcome') : 'in_progress';
    }
    return withHeaders(c.json(xMediaBody(state, media, true)), g.headers);
  });

  app.post('/2/media/upload/initialize', async (c) => {
    const g = guard(c, X_QUOTAS.mediaChunked);
    if ('response' in g) return g.response;
    const body = await readJson(c);
    if (body === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) {
      return withHeaders(invalidRequest(['Request body must be a JSON object']), g.headers);
    }
    const fields = body as Record<string, unknown>;
    const allowed = ['media_type', 'total_bytes', 'media_category', 'additional_owners', 'shared'];
    const problems = Object.keys(fields).filter((k) => !allowed.includes(k)).map(notInSchema);
    if (typeof fields.media_type !== 'string' || !MEDIA_TYPES.includes(fields.media_type)) {
      problems.push(`$.media_type: does not have a value in the enumeration ${JSON.stringify(MEDIA_TYPES)}`);
    }
    const total = fields.total_bytes;
    if (typeof total !== 'number' || !Number.isInteger(total) || total < 0 || total > MAX_TOTAL_BYTES) {
      problems.push(`$.total_bytes: must be an integer from 0 to ${MAX_TOTAL_BYTES}`);
    }
    if (typeof fields.media_category !== 'string' || !CATEGORIES.includes(fields.media_category)) {
      problems.push(
        `$.media_category: does not have a value in the enumeration ${JSON.stringify(CATEGORIES)}`,
      );
    }
    if (problems.length > 0) return withHeaders(invalidRequest(problems), g.headers);
    const limit = LIMIT_BY_CATEGORY[fields.media_category as string];
    if (limit !== undefined && (total as number) > limit) {
      return withHeaders(invalidRequest([`File size exceeds ${limit} bytes.`]), g.headers);
    }
    const media = createXMedia(
      state,
      g.user.id,
      fields.media_category as string,
      fields.media_type as string,
      total as number,
    );
    return withHeaders(c.json(xMediaBody(state, media, false)), g.headers);
  });

  app.post('/2/media/upload/:id/append', limitBody(X_MAX_CHUNK_BYTES + FORM_OVERHEAD_BYTES), async (c) => {
    const g = guard(c, X_QUOTAS.mediaChunked);
    if ('response' in g) return g.response;
    const media = state.media.get(c.req.param('id'));
    if (!media || media.ownerId !== g.user.id || media.state !== 'uploading') {
      return withHeaders(invalidRequest(['Your media IDs are invalid.']), g.headers);
    }
    const input = await readMediaInput(c, ['media', 'segment_index']);
    if ('error' in input) return withHeaders(invalidRequest([input.error]), g.headers);
    const index = Number(input.fields.segment_index);
    const problems: string[] = [];
    if (!input.bytes) problems.push('$.media: is missing but it is required');
    if (!/^\d{1,3}$/.test(input.fields.segment_index ?? '') || index > 999) {
      problems.push('$.segment_index: must be an integer from 0 to 999');
    }
    if (input.bytes && input.bytes.byteLength > X_MAX_CHUNK_BYTES) {
      problems.push(`$.media: must be at most ${X_MAX_CHUNK_BYTES} bytes per chunk`);
    }
    if (problems.length > 0) return withHeaders(invalidRequest(problems), g.headers);
    receiveSegment(media, index, input.bytes!);
    return withHeaders(
      c.json({ data: { expires_at: Math.floor(media.expiresAt.getTime() / 1000) } }),
      g.headers,
    );
  });

  app.post('/2/media/upload/:id/finalize', (c) => {
    const g = guard(c, X_QUOTAS.mediaChunked);
    if ('response' in g) return g.response;
    const media = state.media.get(c.req.param('id'));
    if (!media || media.ownerId !== g.user.id || media.state !== 'uploading') {
      return withHeaders(invalidRequest(['Your media IDs are invalid.']), g.headers);
    }
    const received = [...media.segments.values()].reduce((a, b) => a + b, 0);
    const contiguous = [...media.segments.keys()].sort((a, b) => a - b).every((k, i) => k === i);
    if (received !== media.totalBytes || !contiguous) {
      return withHeaders(
        invalidRequest([`File size mismatch: expected ${media.totalBytes} bytes, received ${received}.`]),
        g.headers,
      );
    }
    finishReceiving(media);
    media.state = media.category === 'tweet_image' ? 'succeeded' : 'pending';
    return withHeaders(c.json(xMediaBody(state, media, true)), g.headers);
  });
}
