/**
 * Instagram sandbox media containers: what `POST /{ig-user-id}/media` may create (media type, caption
 * limits, carousel children, media URL — docs/platform-apis.md §2.3–2.4) and which status a container is
 * in (FINISHED, IN_PROGRESS while a video "processes", ERROR, EXPIRED after a day, PUBLISHED).
 * Refusals answer in the Graph API error envelope.
 */
import type { Context } from 'hono';
import {
  type ContainerKind,
  graphError,
  type InstagramSandboxState,
  type SandboxContainer,
} from './instagram-sandbox-state.ts';
import { checkMediaUrl } from './instagram-sandbox-validation.ts';

/** A container not published within a day expires. */
const DAY_MS = 24 * 60 * 60 * 1000;

const HASHTAG = /(^|[^\p{L}\p{N}_&#])#[\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*/gu;
const MENTION = /(^|[^\p{L}\p{N}_.@])@[A-Za-z0-9._]+/gu;

type NewContainer = Omit<SandboxContainer, 'id' | 'owner' | 'createdAt' | 'params'>;

export async function validateContainer(
  c: Context,
  state: InstagramSandboxState,
  userId: string,
  p: Record<string, string>,
): Promise<NewContainer | Response> {
  const isCarouselItem = p.is_carousel_item === 'true';
  const type = p.media_type ?? (p.image_url ? 'IMAGE' : undefined);
  const caption = p.caption ?? '';
  const kinds: Record<string, ContainerKind> = {
    IMAGE: 'IMAGE',
    VIDEO: 'VIDEO',
    REELS: 'REELS',
    CAROUSEL: 'CAROUSEL',
    STORIES: 'STORIES',
  };
  if (type === undefined) {
    return graphError(c, 400, { message: '(#100) The parameter image_url is required.', code: 100 });
  }
  const kind = kinds[type];
  if (!kind || (kind === 'VIDEO' && !isCarouselItem)) {
    return graphError(c, 400, {
      message: `The media type ${type} is not supported here`,
      code: 100,
      error_subcode: 2207023,
    });
  }
  if (isCarouselItem && (p.caption !== undefined || p.collaborators !== undefined)) {
    return graphError(c, 400, {
      message: '(#100) Carousel items take no caption or collaborators; put them on the carousel',
      code: 100,
    });
  }
  const captionProblem = checkCaption(c, caption);
  if (captionProblem) return captionProblem;
  if (p.alt_text !== undefined && Array.from(p.alt_text).length > 1000) {
    return graphError(c, 400, { message: '(#100) alt_text must be at most 1000 characters', code: 100 });
  }
  const base = {
    kind,
    isCarouselItem,
    caption,
    children: [] as string[],
    errorSubcode: null,
    publishedMediaId: null,
  };
  if (kind === 'CAROUSEL') {
    const children = (p.children ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (children.length < 2 || children.length > 10) {
      return graphError(c, 400, {
        message: 'The carousel must have 2 to 10 items',
        code: 100,
        error_subcode: 2207028,
      });
    }
    for (const id of children) {
      const child = state.containers.get(id);
      if (!child || child.owner !== userId || !child.isCarouselItem) {
        return graphError(c, 400, {
          message: `(#100) Child ${id} is not a carousel item of this account`,
          code: 100,
        });
      }
      if (containerStatus(state, child, false) !== 'FINISHED') {
        return graphError(c, 400, {
          message: 'The media is not ready for publishing, please wait for a moment',
          code: 9007,
          error_subcode: 2207027,
        });
      }
    }
    return { ...base, mediaUrl: null, children, pollsLeft: 0 };
  }
  const video = kind !== 'IMAGE' && !(kind === 'STORIES' && p.image_url);
  const url = video ? p.video_url : p.image_url;
  if (!url) {
    return graphError(c, 400, {
      message: `(#100) The parameter ${video ? 'video_url' : 'image_url'} is required.`,
      code: 100,
    });
  }
  const checked = await checkMediaUrl(c, state, url, video);
  if (checked) return checked;
  const behavior = state.behaviors.get(url);
  const polls = behavior?.outcome === 'processing'
    ? behavior.polls
    : video
    ? state.knobs.setting('instagram.videoProcessingPolls', 2)
    : 0;
  return {
    ...base,
    mediaUrl: url,
    pollsLeft: polls,
    errorSubcode: behavior?.outcome === 'error' ? behavior.subcode : null,
  };
}

function checkCaption(c: Context, caption: string): Response | null {
  const length = Array.from(caption).length;
  if (length > 2200) {
    return graphError(c, 400, {
      message:
        `The submitted image's caption was ${length} characters long. The maximum number of characters for an image caption is 2200.`,
      code: 36004,
      error_subcode: 2207010,
    });
  }
  const hashtags = caption.match(HASHTAG)?.length ?? 0;
  if (hashtags > 30) {
    return graphError(c, 400, {
      message: `(#100) The caption has ${hashtags} hashtags; the maximum is 30`,
      code: 100,
    });
  }
  const mentions = caption.match(MENTION)?.length ?? 0;
  if (mentions > 20) {
    return graphError(c, 400, {
      message: 'The caption tags more than 20 accounts',
      code: 100,
      error_subcode: 2207040,
    });
  }
  return null;
}

/** Reading the status of a video counts as one poll (`consume`). */
export function containerStatus(state: InstagramSandboxState, container: SandboxContainer, consume: boolean) {
  if (container.publishedMediaId !== null) return 'PUBLISHED';
  if (container.errorSubcode !== null) return 'ERROR';
  if (state.knobs.now().getTime() - container.createdAt.getTime() > DAY_MS) return 'EXPIRED';
  if (container.pollsLeft > 0) {
    if (consume) container.pollsLeft -= 1;
    return 'IN_PROGRESS';
  }
  return 'FINISHED';
}

export function statusText(statusCode: string, container: SandboxContainer): string {
  if (statusCode === 'ERROR') {
    return `Error: Media upload has failed with error code ${container.errorSubcode}`;
  }
  if (statusCode === 'IN_PROGRESS') return 'In Progress: Media is still being processed.';
  if (statusCode === 'EXPIRED') return 'Expired: The container was not published within 24 hours.';
  if (statusCode === 'PUBLISHED') return 'Published: The media was published.';
  return 'Finished: Media has been uploaded and it is ready to be published.';
}
