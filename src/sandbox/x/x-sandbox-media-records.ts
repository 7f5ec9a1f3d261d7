/**
 * The X sandbox's media records: creating one (expiry and video "processing" polls from the
 * settings) and the JSON X answers about it, `processing_info` included where X shows it.
 */
import type { XSandboxMedia, XSandboxState } from './x-sandbox-state.ts';
import { nextXId, xSetting } from './x-sandbox-state.ts';

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
