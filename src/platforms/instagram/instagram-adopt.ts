/**
 * Adopting what an earlier attempt left live on Instagram (see instagram-reconcile.ts for the search
 * and instagram-container-memo.ts for what is remembered): a PUBLISHED container's post, found among
 * recent media; or, when Instagram gives no clear status for a container whose publish may have gone
 * out, its post if found — else `outcome_unknown`, never a second publish or a second container.
 */
import { isPublishError, PublishError } from '../publish-error.ts';
import type { PublishContent, Published, PublishRequest } from '../publisher.ts';
import { type ContainerMemo, readContainerStatus } from './instagram-container-memo.ts';
import type { ContainerContext } from './instagram-containers.ts';
import { findPublishedMedia, type MediaSearchResult } from './instagram-reconcile.ts';
import { mediaKind } from './instagram-text.ts';

/** The request's post among recent media, published between `since` and now (with skew). */
export function searchMedia(
  ctx: ContainerContext,
  request: PublishRequest,
  since: Date,
  taken?: ReadonlySet<string>,
): Promise<MediaSearchResult> {
  return findPublishedMedia({
    ...ctx,
    caption: request.content.text,
    mediaType: listedType(request.content),
    since,
    until: ctx.now(),
    taken,
  });
}

/** Remembers the media the container became and names it. */
export function adopted(entry: ContainerMemo, mediaId: string, url: string | null): Published {
  entry.mediaId = mediaId;
  entry.url = url;
  return { externalId: mediaId, url };
}

/** Names the media a PUBLISHED container became; outcome_unknown when it cannot be found. */
export async function adopt(
  ctx: ContainerContext,
  request: PublishRequest,
  entry: ContainerMemo,
): Promise<Published> {
  let search: MediaSearchResult;
  try {
    search = await searchMedia(ctx, request, entry.createdAt);
  } catch (err) {
    if (!isPublishError(err)) throw err;
    throw new PublishError(
      'outcome_unknown',
      'The Instagram container is PUBLISHED but its post could not be looked up; it will be reconciled',
      { platform: 'instagram', platformCode: 'PUBLISHED', cause: err },
    );
  }
  if (search.found) return adopted(entry, search.found.id, search.found.permalink);
  throw new PublishError(
    'outcome_unknown',
    'The Instagram container is already PUBLISHED but its post was not found among recent media; check the account',
    { platform: 'instagram', platformCode: 'PUBLISHED' },
  );
}

/**
 * Instagram gave no clear status for a container whose publish may have gone out: its post, if
 * found among recent media; else outcome_unknown — it may be live, so it is neither published again
 * nor replaced by a new container.
 */
export async function adoptWithoutStatus(
  ctx: ContainerContext,
  request: PublishRequest,
  entry: ContainerMemo,
  unclear: PublishError,
): Promise<Published> {
  let search: MediaSearchResult | null = null;
  let searchError: unknown = null;
  try {
    search = await searchMedia(ctx, request, entry.createdAt);
  } catch (err) {
    if (!isPublishError(err)) throw err;
    searchError = err;
  }
  if (search?.found) return adopted(entry, search.found.id, search.found.permalink);
  throw new PublishError(
    'outcome_unknown',
    `Instagram gave no clear status for the media container ${entry.containerId}, whose publish may ` +
      `have gone out (${unclear.message}), and its post ${
        searchError ? 'could not be looked for' : 'is not among recent media'
      }; it is not published again and will be reconciled`,
    {
      platform: 'instagram',
      platformStatus: unclear.platformStatus,
      platformCode: unclear.platformCode,
      platformMessage: unclear.platformMessage,
      cause: unclear,
    },
  );
}

/**
 * After a publish whose answer was lost (or that Instagram calls spent): the post if the container
 * went live, else null (the original error stands: the container is clearly not live). An unclear
 * status is settled by the media listing or becomes outcome_unknown.
 */
export async function adoptIfPublished(
  ctx: ContainerContext,
  request: PublishRequest,
  entry: ContainerMemo,
): Promise<Published | null> {
  const check = await readContainerStatus(ctx, entry.containerId);
  if ('unclear' in check) return await adoptWithoutStatus(ctx, request, entry, check.unclear);
  if (check.status === 'PUBLISHED') return await adopt(ctx, request, entry);
  entry.mayBePublished = false;
  return null;
}

/** How the listing names the post's type. */
export function listedType(content: PublishContent): string {
  if (content.media.length > 1) return 'CAROUSEL_ALBUM';
  return content.media[0] && mediaKind(content.media[0].url) === 'video' ? 'VIDEO' : 'IMAGE';
}
