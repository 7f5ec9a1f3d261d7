/**
 * The X sandbox's media records: creating one (expiry and video "processing" polls from the
 * settings), what was received for it, and the JSON X answers about it, `processing_info` included
 * where X shows it.
 *
 * Received bytes are counted and digested, never kept: a 512 MB chunked video costs the sandbox one
 * chunk at a time. The SHA-256 covers the segments in order; it is computed while they arrive in order
 * (0, 1, 2, …), as our adapter sends them, and is unknown (null) once one arrives out of order or
 * twice, since a running digest cannot take bytes back. Node's incremental hash (node:crypto, also in
 * Deno) because Web Crypto digests only whole buffers.
 */
import { createHash, type Hash } from 'node:crypto';
import type { XSandboxMedia, XSandboxState } from './x-sandbox-state.ts';
import { nextXId, xSetting } from './x-sandbox-state.ts';

interface ReceivedBytes {
  hash: Hash | null;
  nextSegment: number;
  sha256: string | null;
}

/** Beside the records (not in them) so XSandboxMedia stays the plain state the sandbox page shows. */
const received = new WeakMap<XSandboxMedia, ReceivedBytes>();

/** Records one APPENDed segment: its size, and into the digest when it is the next one in order. */
export function receiveSegment(media: XSandboxMedia, index: number, bytes: Uint8Array): void {
  const state = received.get(media) ?? { hash: createHash('sha256'), nextSegment: 0, sha256: null };
  received.set(media, state);
  if (state.hash && index === state.nextSegment && !media.segments.has(index)) {
    state.hash.update(bytes);
    state.nextSegment += 1;
  } else state.hash = null;
  media.segments.set(index, bytes.byteLength);
}

/** Records the bytes of a one-shot upload. */
export function receiveWhole(media: XSandboxMedia, bytes: Uint8Array): void {
  received.set(media, {
    hash: null,
    nextSegment: 1,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  });
}

/** Ends the digest at FINALIZE. */
export function finishReceiving(media: XSandboxMedia): void {
  const state = received.get(media);
  if (!state) return;
  state.sha256 = state.hash ? state.hash.digest('hex') : null;
  state.hash = null;
}

/** The hex SHA-256 of what was uploaded, once finalized; null when unknown (see the module doc). */
export function uploadedSha256(media: XSandboxMedia): string | null {
  return received.get(media)?.sha256 ?? null;
}

export function createXMedia(
  state: XSandboxState,
  ownerId: string,
  category: string,
  mediaType: string,
  totalBytes: number,
): XSandboxMedia {
  const now = state.knobs.now();
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

export function xMediaBody(state: XSandboxState, media: XSandboxMedia, withProcessing: boolean) {
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
        Math.round((media.expiresAt.getTime() - state.knobs.now().getTime()) / 1000),
      ),
      ...(media.category === 'tweet_image'
        ? { image: { image_type: media.mediaType, w: media.width, h: media.height } }
        : {}),
      ...processing,
    },
  };
}
