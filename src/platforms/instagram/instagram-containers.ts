/**
 * Building and awaiting Instagram media containers (docs/platform-apis.md §2.3):
 * one image or reel → one container; a carousel → one child per item (`is_carousel_item=true`, no
 * caption), each FINISHED before the parent (`media_type=CAROUSEL`, `children`, `caption`) is made.
 *
 * Waiting polls `status_code` with a doubling interval (capped at one minute, as Instagram asks for
 * video) until FINISHED, for at most `maxWaitMs` (5 minutes by default, the documented bound).
 */
import type { MediaItem } from '../../domain/post.ts';
import { PublishError } from '../publish-error.ts';
import type { ContainerStatus, InstagramApi } from './instagram-api.ts';
import { mediaKind } from './instagram-text.ts';

export interface ContainerWait {
  /** First poll interval; doubles up to 60 s. */
  pollIntervalMs: number;
  /** Give up after this long (the container stays unpublished: a retry is safe). */
  maxWaitMs: number;
}

const MAX_POLL_INTERVAL_MS = 60_000;

export interface ContainerContext {
  api: InstagramApi;
  userId: string;
  token: string;
  signal: AbortSignal;
  wait: ContainerWait;
  now: () => Date;
}

/** Creates the container(s) for a post and returns the id to publish (the parent for a carousel). */
export async function createPostContainer(
  ctx: ContainerContext,
  caption: string,
  media: readonly MediaItem[],
) {
  if (media.length === 1) {
    const only = media[0]!;
    return await ctx.api.createContainer(
      ctx.userId,
      { ...itemParams(only, false), caption },
      ctx.token,
      ctx.signal,
    );
  }
  const children: string[] = [];
  for (const item of media) {
    children.push(await ctx.api.createContainer(ctx.userId, itemParams(item, true), ctx.token, ctx.signal));
  }
  for (const child of children) await awaitFinished(ctx, child);
  return await ctx.api.createContainer(
    ctx.userId,
    { media_type: 'CAROUSEL', children: children.join(','), caption },
    ctx.token,
    ctx.signal,
  );
}

function itemParams(item: MediaItem, carouselItem: boolean): Record<string, string> {
  const video = mediaKind(item.url) === 'video';
  const params: Record<string, string> = video
    ? { media_type: carouselItem ? 'VIDEO' : 'REELS', video_url: item.url }
    : { image_url: item.url };
  if (carouselItem) params.is_carousel_item = 'true';
  if (!video && item.altText) params.alt_text = item.altText;
  return params;
}

/** Polls until FINISHED (or PUBLISHED, returned as is); throws on ERROR, EXPIRED or timeout. */
export async function awaitFinished(ctx: ContainerContext, containerId: string): Promise<ContainerStatus> {
  const deadline = ctx.now().getTime() + ctx.wait.maxWaitMs;
  let interval = ctx.wait.pollIntervalMs;
  for (;;) {
    const status = await ctx.api.containerStatus(containerId, ctx.token, ctx.signal);
    if (status.statusCode === 'FINISHED' || status.statusCode === 'PUBLISHED') return status;
    if (status.statusCode === 'ERROR') throw containerError(status);
    if (status.statusCode === 'EXPIRED') {
      throw new PublishError(
        'platform_unavailable',
        'The Instagram media container expired before publishing',
        {
          platform: 'instagram',
          platformCode: 'EXPIRED',
          platformMessage: status.status,
        },
      );
    }
    const left = deadline - ctx.now().getTime();
    if (left <= 0) {
      throw new PublishError(
        'platform_unavailable',
        `Instagram was still processing the media after ${
          Math.round(ctx.wait.maxWaitMs / 1000)
        } s; it will be tried again`,
        { platform: 'instagram', platformCode: 'IN_PROGRESS', platformMessage: status.status },
      );
    }
    await sleep(Math.min(interval, left), ctx.signal);
    interval = Math.min(interval * 2, MAX_POLL_INTERVAL_MS);
  }
}

function containerError(status: ContainerStatus): PublishError {
  const subcode = status.status?.match(/\b(22\d{5})\b/)?.[1] ?? null;
  const unreachable = subcode === '2207052' || subcode === '2207003';
  return new PublishError(
    unreachable ? 'media_unreachable' : 'media_invalid',
    unreachable
      ? 'Instagram could not download the media; the URL must be public https'
      : 'Instagram could not process the media (JPEG images, 4:5–1.91:1, up to 8 MB; MP4/MOV reels)',
    {
      platform: 'instagram',
      platformCode: subcode ? `ERROR/${subcode}` : 'ERROR',
      platformMessage: status.status,
    },
  );
}

/** Waits `ms`, or rejects with a `network` PublishError as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => {
      clearTimeout(timer);
      reject(
        new PublishError('network', 'Stopped waiting for Instagram: the caller aborted', {
          platform: 'instagram',
          cause: signal.reason,
        }),
      );
    };
    if (signal.aborted) return aborted();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', aborted);
      resolve();
    }, ms);
    signal.addEventListener('abort', aborted, { once: true });
  });
}
