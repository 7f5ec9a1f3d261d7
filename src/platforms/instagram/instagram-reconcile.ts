/**
 * Finding what an earlier, ambiguous attempt left on Instagram, so a post is never published twice.
 *
 * What the API allows (docs/platform-apis.md §2.5, §2.8): a container's `status_code` says PUBLISHED once
 * it is live, but the container does not name the media it became, and containers cannot be listed.
 * Published media can be listed (`GET /{ig-user-id}/media`, newest first) with caption and timestamp.
 * So:
 * 1. The publisher remembers, per target, the container it created (in this process, bounded) and
 *    whether its media_publish may have gone out. With it, reconcile reads the container's status:
 *    anything but PUBLISHED means nothing went live.
 * 2. To name the media of a PUBLISHED container — or when the status answer is unclear (5xx, timeout,
 *    an unreadable body), or the container is not known (another process, a restart) — recent media
 *    are matched by caption (NFC, trimmed) and type, newest first, published within the send window
 *    [since − skew, until + skew], never an id another target already holds.
 * 3. Without a known container, "not found" means `not_published` only when the listing reached past
 *    the window; an empty caption cannot be matched at all (`unknown`).
 * A creator who posts the same caption by hand within the window could have that post adopted; the
 * alternative (publishing again) risks a visible duplicate, which is worse.
 */
import type { InstagramApi, RecentMedia } from './instagram-api.ts';

const MAX_PAGES = 4;
/** Clock skew allowed between the database clock (sentAfter), ours and Instagram's timestamps. */
export const SKEW_MS = 60_000;

export interface MediaSearch {
  api: InstagramApi;
  userId: string;
  token: string;
  signal: AbortSignal;
  caption: string;
  /** IMAGE, VIDEO or CAROUSEL_ALBUM. */
  mediaType: string;
  /** The send window: media published before `since` − skew or after `until` + skew are not this send. */
  since: Date;
  until: Date;
  /** Media ids already stored for other targets of the account: never matched. */
  taken?: ReadonlySet<string>;
}

export type MediaSearchResult =
  | { found: RecentMedia }
  | { found: null; complete: boolean };

export async function findPublishedMedia(search: MediaSearch): Promise<MediaSearchResult> {
  const wanted = normalizeCaption(search.caption);
  const oldest = search.since.getTime() - SKEW_MS;
  const newest = search.until.getTime() + SKEW_MS;
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { media, next } = await search.api.recentMedia(search.userId, search.token, search.signal, after);
    for (const item of media) {
      const at = item.timestamp?.getTime() ?? null;
      if (at !== null && at < oldest) return { found: null, complete: true };
      if (at !== null && at > newest) continue;
      if (search.taken?.has(item.id)) continue;
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
