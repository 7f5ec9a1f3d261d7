/**
 * The images the sandbox has seen, kept so its page can show thumbnails the way the platforms show
 * a post's pictures. An image is kept under the SHA-256 of its bytes when the sandbox serves it (its
 * sample media) or receives it (LinkedIn's image upload); X's upload records only a digest of what
 * arrived (x-sandbox-media-records.ts), which finds the picture here when the same bytes passed
 * through either way — as they do when the worker downloads a sandbox sample and uploads it to X.
 *
 * Bounded (the newest MAX_PREVIEWS images, each at most MAX_PREVIEW_BYTES), so a long soak that posts
 * thousands of pictures costs the sandbox a few megabytes at most.
 */
export const MAX_PREVIEWS = 64;
export const MAX_PREVIEW_BYTES = 2 * 1024 * 1024;

/** Where the sandbox serves a kept image (create-sandbox.ts). */
export function previewPath(sha256: string): string {
  return `/_sandbox/previews/${sha256}`;
}

export interface MediaPreview {
  bytes: Uint8Array;
  type: string;
}

export interface MediaPreviews {
  /** Keeps `bytes` when they are a JPEG, PNG, GIF or WEBP image; returns its key (SHA-256 hex) or null. */
  keep(bytes: Uint8Array): Promise<string | null>;
  get(sha256: string): MediaPreview | null;
  clear(): void;
}

export function createMediaPreviews(): MediaPreviews {
  // A Map keeps insertion order: the first key is the oldest.
  const kept = new Map<string, MediaPreview>();
  return {
    async keep(bytes) {
      const type = imageType(bytes);
      if (!type || bytes.byteLength > MAX_PREVIEW_BYTES) return null;
      const key = await sha256Hex(bytes);
      kept.delete(key);
      kept.set(key, { bytes, type });
      while (kept.size > MAX_PREVIEWS) kept.delete(kept.keys().next().value!);
      return key;
    },
    get: (sha256) => kept.get(sha256) ?? null,
    clear: () => kept.clear(),
  };
}

/** The image type by its magic bytes (not by what a Content-Type claims). */
function imageType(b: Uint8Array): string | null {
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'image/gif';
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57) return 'image/webp';
  return null;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
