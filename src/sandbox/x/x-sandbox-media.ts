/**
 * X v2 media upload in the sandbox (platform-apis.md §1.3 b, §1.7): one-shot `POST /2/media/upload`
 * (multipart or JSON base64; `media` and `media_category` required), the chunked
 * initialize / append / finalize endpoints, and `GET /2/media/upload?command=STATUS`. Media need
 * `media.write`; images are sniffed (JPEG, PNG, GIF, WEBP) and size-checked; video "processes" for
 * `x.videoProcessingPolls` STATUS calls and ends as `x.videoProcessingOutcome`.
 */
import type { Context, Hono } from 'hono';
import type { XSandboxMedia, XSandboxState, XSandboxUser } from './x-sandbox-state.ts';
import {
  authenticate,
  invalidRequest,
  nextXId,
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

export function registerXMediaRoutes(app: Hono, state: XSandboxState): void {
  const { knobs } = state;

  function newMedia(ownerId: string, category: string, mediaType: string, totalBytes: number): XSandboxMedia {
    const now = knobs.now();
    const media: XSandboxMedia = {
      id: nextXId(state, 'media'),
      ownerId,
      category,
      mediaType,
      totalBytes,
      segments: new Map(),
      state: 'uploading',
      pollsLeft: xSetting(state, 'videoProcessingPolls'),
      createdAt: now,
      expiresAt: new Date(now.getTime() + xSetting(state, 'mediaExpiresAfterSecs') * 1000),
      width: 0,
      height: 0,
    };
    state.media.set(media.id, media);
    return media;
  }

  function mediaBody(media: XSandboxMedia, withProcessing: boolean) {
    const processing = withProcessing && media.state !== 'uploading' && media.category !== 'tweet_image'
      ? {
        processing_info: {
          state: media.state,
          ...(media.state === 'pending' || media.state === 'in_progress'
            ? { check_after_secs: xSetting(state, 'videoCheckAfterSecs') }
            : {}),
          progress_percent: media.state === 'succeeded' ? 100 : media.state === 'in_progress' ? 50 : 0,
          ...(media.state === 'failed'
            ? { error: { code: 1, name: 'InvalidMedia', message: 'Unsupported video format' } }
            : {}),
        },
      }
      : {};
    return {
      data: {
        id: media.id,
        media_key: `${
          media.category === 'tweet_video' ? 7 : media.category === 'tweet_gif' ? 16 : 3
        }_${media.id}`,
        size: media.totalBytes,
        expires_after_secs: Math.max(
          0,
          Math.round((media.expiresAt.getTime() - knobs.now().getTime()) / 1000),
        ),
        ...(media.category === 'tweet_image'
          ? { image: { image_type: media.mediaType, w: media.width, h: media.height } }
          : {}),
        ...processing,
      },
    };
  }

  type Guarded = { response: Response } | { user: XSandboxUser; headers: Headers };
  function guard(c: Context, quota: (typeof X_QUOTAS)[keyof typeof X_QUOTAS]): Guarded {
    const auth = authenticate(state, c, ['media.write']);
    if (!auth.ok) return { response: auth.response };
    const limit = rateLimit(state, quota, auth.user.id);
    if (limit.exceeded) return { response: withHeaders(tooManyRequests(), limit.headers) };
    return { user: auth.user, headers: limit.headers };
  }

  // One-shot upload, and STATUS.
  app.post('/2/media/upload', async (c) => {
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
    const media = newMedia(g.user.id, category!, sniffed.type, input.bytes!.byteLength);
    media.width = sniffed.width;
    media.height = sniffed.height;
    media.state = 'succeeded';
    return withHeaders(c.json(mediaBody(media, false)), g.headers);
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
    return withHeaders(c.json(mediaBody(media, true)), g.headers);
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
    const media = newMedia(
      g.user.id,
      fields.media_category as string,
      fields.media_type as string,
      total as number,
    );
    return withHeaders(c.json(mediaBody(media, false)), g.headers);
  });

  app.post('/2/media/upload/:id/append', async (c) => {
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
    if (problems.length > 0) return withHeaders(invalidRequest(problems), g.headers);
    media.segments.set(index, input.bytes!.byteLength);
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
    media.state = media.category === 'tweet_image' ? 'succeeded' : 'pending';
    return withHeaders(c.json(mediaBody(media, true)), g.headers);
  });
}

function notInSchema(key: string): string {
  return `$.${key}: is not defined in the schema and the schema does not allow additional properties`;
}

async function readJson(c: Context): Promise<unknown> {
  if (!(c.req.header('content-type') ?? '').startsWith('application/json')) return undefined;
  try {
    return JSON.parse(await c.req.text());
  } catch {
    return undefined;
  }
}

/** Multipart (`media` is a file) or JSON (`media` is base64). Unknown fields are refused. */
async function readMediaInput(
  c: Context,
  allowed: string[],
): Promise<{ bytes: Uint8Array | null; fields: Record<string, string> } | { error: string }> {
  const type = c.req.header('content-type') ?? '';
  const fields: Record<string, string> = {};
  let bytes: Uint8Array | null = null;
  if (type.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await c.req.raw.formData();
    } catch {
      return { error: 'Request body is not valid multipart/form-data' };
    }
    for (const [key, value] of form.entries()) {
      if (!allowed.includes(key)) return { error: notInSchema(key) };
      if (key === 'media') {
        bytes = typeof value === 'string'
          ? new TextEncoder().encode(value)
          : new Uint8Array(await value.arrayBuffer());
      } else fields[key] = typeof value === 'string' ? value : '';
    }
    return { bytes, fields };
  }
  if (type.startsWith('application/json')) {
    const body = await readJson(c);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { error: 'Request body must be a JSON object' };
    }
    for (const [key, value] of Object.entries(body)) {
      if (!allowed.includes(key)) return { error: notInSchema(key) };
      if (key === 'media') {
        if (typeof value !== 'string') return { error: '$.media: must be a base64 string' };
        try {
          bytes = Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0));
        } catch {
          return { error: '$.media: must be a base64 string' };
        }
      } else fields[key] = String(value);
    }
    return { bytes, fields };
  }
  return { error: 'Content-Type must be multipart/form-data or application/json' };
}

/** The image type and size from the first bytes; null when it is not JPEG, PNG, GIF or WEBP. */
export function sniffImage(b: Uint8Array): { type: string; width: number; height: number } | null {
  const u16be = (i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  const u16le = (i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
  const u32be = (i: number) => ((u16be(i) << 16) >>> 0) + u16be(i + 2);
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    return { type: 'image/png', width: u32be(16), height: u32be(20) };
  }
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) {
    return { type: 'image/gif', width: u16le(6), height: u16le(8) };
  }
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45) {
    return { type: 'image/webp', width: 0, height: 0 };
  }
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    // Walk the segments to the first start-of-frame marker for the size.
    let i = 2;
    while (i + 9 < b.length && b[i] === 0xff) {
      const marker = b[i + 1]!;
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { type: 'image/jpeg', width: u16be(i + 7), height: u16be(i + 5) };
      }
      i += 2 + u16be(i + 2);
    }
    return { type: 'image/jpeg', width: 0, height: 0 };
  }
  return null;
}
