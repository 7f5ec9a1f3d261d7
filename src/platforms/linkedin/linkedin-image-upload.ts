/**
 * LinkedIn image upload, one image at a time: open the download (media-fetch: https, public hosts,
 * status/type/size checked) → initializeUpload → PUT the bytes as they download → wait until LinkedIn
 * reports the image AVAILABLE. The PUT streams the download (with its Content-Length when the media
 * host sent one), so an image costs a read buffer of memory, not its size. LinkedIn takes images only
 * here (linkedin-content.ts); there is no video upload to stream.
 */
import { openMedia } from '../media-fetch.ts';
import { PublishError } from '../publish-error.ts';
import type { PublishRequest } from '../publisher.ts';
import type { LinkedInApi } from './linkedin-api.ts';
import { IMAGE_TYPES } from './linkedin-content.ts';
import type { LinkedInPublisherOptions } from './linkedin-options.ts';

const IMAGE_READY_POLLS = 5;

/** What the upload needs from the adapter's options. */
export type ImageUploadOptions =
  & Pick<LinkedInPublisherOptions, 'allowPrivateMediaHosts' | 'resolveHost' | 'maxImageBytes' | 'timeoutMs'>
  & {
    /** PEM certificates trusted for media hosts instead of the runtime's roots (tests). */
    trustedCa?: readonly string[];
  };

export interface UploadedImage {
  id: string;
  altText?: string;
}

/** Uploads the request's images in order, as `author`; their image URNs with any alt text. */
export async function uploadLinkedInImages(
  api: LinkedInApi,
  options: ImageUploadOptions,
  request: PublishRequest,
  author: string,
): Promise<UploadedImage[]> {
  const images: UploadedImage[] = [];
  for (const item of request.content.media) {
    const media = await openMedia(item.url, {
      platform: 'linkedin',
      allowPrivateHosts: options.allowPrivateMediaHosts,
      ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
      ...(options.trustedCa ? { trustedCa: options.trustedCa } : {}),
      maxBytes: options.maxImageBytes ?? 20 * 1024 * 1024,
      allowedTypes: IMAGE_TYPES,
      signal: request.signal,
      timeoutMs: options.timeoutMs,
    });
    const token = request.account.tokens.accessToken;
    try {
      const upload = await api.initializeImageUpload(author, token, request.signal);
      try {
        await api.uploadImage(upload, media.body, media.contentType, token, request.signal, media.length);
      } catch (err) {
        // A PUT that failed because the download under it did reports the download's reason.
        throw media.failure() ?? err;
      }
      await awaitImage(api, upload.image, token, request.signal);
      images.push(item.altText ? { id: upload.image, altText: item.altText } : { id: upload.image });
    } finally {
      await media.cancel();
    }
  }
  return images;
}

/** Waits until an uploaded image is AVAILABLE (it usually is at once); a bounded number of looks. */
async function awaitImage(
  api: LinkedInApi,
  image: string,
  token: string,
  signal: AbortSignal,
): Promise<void> {
  for (let look = 0; look < IMAGE_READY_POLLS; look++) {
    const status = await api.imageStatus(image, token, signal);
    if (status === 'AVAILABLE' || status === null) return;
    if (status === 'PROCESSING_FAILED' || status === 'FAILED') {
      throw new PublishError('media_invalid', 'LinkedIn could not process the image', {
        platform: 'linkedin',
        platformCode: status,
      });
    }
    await pause(200 * (look + 1), signal);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      reject(
        new PublishError('network', 'Stopped waiting for the LinkedIn image: the caller aborted', {
          platform: 'linkedin',
        }),
      );
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}
