/**
 * Sample media the sandbox serves at `/_sandbox/media/<name>` so demos and tests have URLs to post:
 * - `sample.png`  a real 1×1 PNG
 * - `sample.jpg`  a real 640×640 picture (sample-picture.ts), so pages can show it; with `?w=` and/or
 *                 `?h=`, a JPEG header whose start-of-frame carries that size (the other one 1080):
 *                 enough for type and size sniffing, not a decodable picture
 * - `sample.gif`  a real 1×1 GIF
 * - `sample.mp4`  an `ftyp` box padded to `?bytes=` (default 1 MiB): a video by its header only
 * `?type=` overrides the Content-Type (e.g. to serve a "text/html" image), `?bytes=` pads any file.
 */
import { SAMPLE_PICTURE_JPEG_BASE64 } from './sample-picture.ts';

const PNG_1X1 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const GIF_1X1 = 'R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';

const TYPES: Record<string, string> = {
  'sample.png': 'image/png',
  'sample.jpg': 'image/jpeg',
  'sample.gif': 'image/gif',
  'sample.mp4': 'video/mp4',
};

export function sampleMediaResponse(name: string, query: URLSearchParams): Response {
  const type = TYPES[name];
  if (!type) return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
  const pad = Number(query.get('bytes') ?? (name === 'sample.mp4' ? 1024 * 1024 : 0));
  let bytes: Uint8Array;
  if (name === 'sample.png') bytes = fromBase64(PNG_1X1);
  else if (name === 'sample.gif') bytes = fromBase64(GIF_1X1);
  else if (name === 'sample.jpg' && (query.has('w') || query.has('h'))) {
    bytes = jpegHeader(Number(query.get('w') ?? 1080), Number(query.get('h') ?? 1080));
  } else if (name === 'sample.jpg') bytes = fromBase64(SAMPLE_PICTURE_JPEG_BASE64);
  else bytes = new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x6d, 0x70, 0x34, 0x32, 0, 0, 0, 0]);
  if (Number.isInteger(pad) && pad > bytes.byteLength && pad <= 64 * 1024 * 1024) {
    const padded = new Uint8Array(pad);
    padded.set(bytes);
    bytes = padded;
  }
  return new Response(bytes as BodyInit, {
    headers: { 'content-type': query.get('type') ?? type, 'content-length': String(bytes.byteLength) },
  });
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function jpegHeader(width: number, height: number): Uint8Array {
  const w = Math.max(1, Math.min(65535, Math.round(width) || 1));
  const h = Math.max(1, Math.min(65535, Math.round(height) || 1));
  return new Uint8Array([
    0xff,
    0xd8, // SOI
    0xff,
    0xe0,
    0x00,
    0x10,
    0x4a,
    0x46,
    0x49,
    0x46,
    0x00,
    0x01,
    0x01,
    0x00,
    0x00,
    0x01,
    0x00,
    0x01,
    0x00,
    0x00, // APP0 JFIF
    0xff,
    0xc0,
    0x00,
    0x0b,
    0x08,
    h >> 8,
    h & 0xff,
    w >> 8,
    w & 0xff,
    0x01,
    0x01,
    0x11,
    0x00, // SOF0, 1 component
    0xff,
    0xd9, // EOI
  ]);
}
