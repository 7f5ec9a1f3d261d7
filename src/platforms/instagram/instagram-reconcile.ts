/**
 * Finding what an earlier, ambiguous attempt left on Instagram, so a post is never published twice.
 *
 * What the API allows (platform-apis.md §2.5, §2.8): a container's `status_code` says PUBLISHED once
 * it is live, but the container does not name the media it became, and containers cannot be listed.
 * Published media can be listed (`GET /{ig-user-id}/media`, newest first) with caption and timestamp.
 * So:
 * 1. The publisher remembers, per target, the container it created (in this process, bounded). With it,
 *    reconcile reads the container's status: anything but PUBLISHED means nothing went live.
 * 2. To name the media of a PUBLISHED container — or when the container is not known (another process,
 *    a restart) — recent media are matched by caption (NFC, trimmed) and type, newest first, not older
 *    than the container (or than the lookback window).
 * 3. Without a known container, "not found" means `not_published` only when the listing reached past
 *    the lookback window; an empty caption cannot be matched at all (`unknown`).
 * A creator who posts the same caption twice within the window could have the other post adopted; the
 * alternative (publishing again) risks a visible duplicate, which is worse.
 */
import type { InstagramApi, RecentMedia } from './instagram-api.ts';

/** How far back an unknown container's post is looked for. (7 days) */
export const RECONCILE_LOOKBACK_MS = 7 * 24 * 60 * 60 * 1000;
const MAX_PAGES = 4;
/** Clock skew allowed between our clock and Instagram's timestamps. */
const SKEW_MS = 5 * 60 * 1000;

export interface MediaSearch {
  api: InstagramApi;
  userId: string;
  token: string;
  signal: AbortSignal;
  caption: string;
  /** IMAGE, VIDEO or CAROUSEL_ALBUM. */
  mediaType: string;
  /** Match nothing older than this. */
  since: Date;
}

export type MediaSearchResult =
  | { found: RecentMedia }
  | { found: null; complete: boolean };

export async function findPublishedMedia(search: MediaSearch): Promise<MediaSearchResult> {
  const wanted = normalizeCaption(search.caption);
  const oldest = search.since.getTime() - SKEW_MS;
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { media, next } = await search.api.recentMedia(search.userId, search.token, search.signal, after);
    for (const item of media) {
      if (item.timestamp && item.timestamp.getTime() < oldest) return { found: null, complete: true };
      if (normalizeCaption(item.caption) === wanted && sameType(item.mediaType, search.mediaType)) {
        return { found: item };
      }
    }
    if (!next) return { found: null, complete: true };
    after = next;
  }
  return { found: null, complete: false };
}

export function normalizeCaption(caption: string): string {
  return caption.normalize('NFC').trim();
}

/** Reels are listed as VIDEO. */
function sameType(listed: string | null, wanted: string): boolean {
  return listed === null || listed === wanted || (wanted === 'VIDEO' && listed === 'REELS');
}
