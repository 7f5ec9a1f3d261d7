/**
 * How the Instagram sandbox judges a media URL, standing in for Meta's own download (docs/platform-apis.md
 * §2.4): https only (setting `instagram.requireHttps`, default true); images must be JPEG — judged by
 * the file extension, or, with the setting `instagram.fetchMedia`, by downloading the URL and reading
 * its first bytes and size (≤ 8 MiB). A URL registered as unreachable (InstagramSandbox.setMediaBehavior)
 * fails like a download that Meta could not make (9004/2207052).
 */
import type { Context } from 'hono';
import { graphError, type InstagramSandboxState } from './instagram-sandbox-state.ts';

const MAX_IMAGE_BYTES = 8 * 1024 * 1024;
const NON_JPEG = /\.(png|gif|webp|heic|heif|bmp|tiff?|svg|avif|mpo|jps)$/i;

export async function checkMediaUrl(
  c: Context,
  state: InstagramSandboxState,
  url: string,
  video: boolean,
): Promise<Response | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return unreachable(c);
  }
  const requireHttps = state.knobs.setting('instagram.requireHttps', true);
  if (parsed.protocol !== 'https:' && (requireHttps || parsed.protocol !== 'http:')) return unreachable(c);
  if (state.behaviors.get(url)?.outcome === 'unreachable') return unreachable(c);
  if (!video && NON_JPEG.test(parsed.pathname)) return notJpeg(c);
  if (!video && state.knobs.setting('instagram.fetchMedia', false)) return await fetchAndCheck(c, url);
  return null;
}

async function fetchAndCheck(c: Context, url: string): Promise<Response | null> {
  let bytes: Uint8Array;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) return unreachable(c);
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch {
    return unreachable(c);
  }
  if (bytes.byteLength > MAX_IMAGE_BYTES) {
    return graphError(c, 400, {
      message: 'The image is larger than 8 MiB',
      code: 36000,
      error_subcode: 2207004,
    });
  }
  if (!(bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)) return notJpeg(c);
  return null;
}

function unreachable(c: Context): Response {
  return graphError(c, 400, {
    message: "Media download has failed. The media URI doesn't meet our requirements.",
    code: 9004,
    error_subcode: 2207052,
    error_user_title: 'Media download has failed',
    error_user_msg: 'The media could not be fetched from this URI. Make sure it is public and uses https.',
  });
}

function notJpeg(c: Context): Response {
  return graphError(c, 400, {
    message: 'The image format is not supported. Only JPEG images are accepted.',
    code: 36001,
    error_subcode: 2207005,
  });
}
