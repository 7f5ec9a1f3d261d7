/**
 * Instagram's content rules (docs/platform-apis.md §2.3–2.4), checked before anything is sent:
 * media is required (there are no text-only posts), 1 item or a carousel of 2–10, each a public
 * https URL of a JPEG image or an MP4/MOV video; the caption is ≤ 2200 characters with ≤ 30 hashtags
 * and ≤ 20 @mentions; alt text ≤ 1000 characters (sent for images only; Instagram ignores it on video).
 *
 * A URL without a file extension passes (its type is unknown until Instagram fetches it, and a
 * rejection then comes back as media_invalid); a URL whose extension names another type fails here.
 */
import type { MediaItem } from '../../domain/post.ts';
import type { ContentViolation, PublishContent } from '../publisher.ts';

export const MAX_CAPTION_LENGTH = 2200;
export const MAX_HASHTAGS = 30;
export const MAX_MENTIONS = 20;
export const MAX_CAROUSEL_ITEMS = 10;
export const MIN_CAROUSEL_ITEMS = 2;
export const MAX_ALT_TEXT_LENGTH = 1000;

export type InstagramMediaKind = 'image' | 'video' | 'unknown_type';

const IMAGE_EXTENSIONS = new Set(['jpg', 'jpeg']);
const VIDEO_EXTENSIONS = new Set(['mp4', 'mov']);

/** A hashtag: `#` after a non-word character (or the start), then letters, digits or `_`. */
const HASHTAG = /(^|[^\p{L}\p{N}_&#])#[\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*/gu;
/** A mention: `@` after a non-word character (so e-mail addresses do not count), then a username. */
const MENTION = /(^|[^\p{L}\p{N}_.@])@[A-Za-z0-9._]+/gu;

/** Characters as Instagram counts them: code points. */
export function captionLength(text: string): number {
  return Array.from(text).length;
}

export function countHashtags(text: string): number {
  return text.match(HASHTAG)?.length ?? 0;
}

export function countMentions(text: string): number {
  return text.match(MENTION)?.length ?? 0;
}

/** image / video by the URL's file extension; `null` when the extension names another type. */
export function mediaKind(url: string): InstagramMediaKind | null {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return null;
  }
  const match = path.match(/\.([A-Za-z0-9]+)$/);
  if (!match) return 'unknown_type';
  const ext = match[1]!.toLowerCase();
  if (IMAGE_EXTENSIONS.has(ext)) return 'image';
  if (VIDEO_EXTENSIONS.has(ext)) return 'video';
  return null;
}

export interface InstagramContentRules {
  /**
   * Accept http media URLs (MEDIA_ALLOW_PRIVATE_HOSTS=true: dev stack and tests, whose sandbox serves
   * media over http). Real Instagram fetches https only. (Default: false)
   */
  allowHttpMedia?: boolean;
}

export function validateInstagramContent(
  content: PublishContent,
  rules: InstagramContentRules = {},
): ContentViolation[] {
  const violations: ContentViolation[] = [];
  const add = (rule: string, path: string, message: string) =>
    violations.push({ platform: 'instagram', rule, path, message });
  const { text, media } = content;

  if (media.length === 0) {
    add('media_required', 'media', 'Instagram has no text-only posts; add at least one JPEG image or video');
  }
  if (media.length > MAX_CAROUSEL_ITEMS) {
    add(
      'too_many_media',
      'media',
      `An Instagram carousel holds ${MIN_CAROUSEL_ITEMS}–${MAX_CAROUSEL_ITEMS} items; this post has ${media.length}`,
    );
  }
  const length = captionLength(text);
  if (length > MAX_CAPTION_LENGTH) {
    add(
      'text_too_long',
      'text',
      `Instagram captions allow ${MAX_CAPTION_LENGTH} characters; this one has ${length}`,
    );
  }
  const hashtags = countHashtags(text);
  if (hashtags > MAX_HASHTAGS) {
    add(
      'too_many_hashtags',
      'text',
      `Instagram allows ${MAX_HASHTAGS} hashtags per caption; this one has ${hashtags}`,
    );
  }
  const mentions = countMentions(text);
  if (mentions > MAX_MENTIONS) {
    add(
      'too_many_mentions',
      'text',
      `Instagram allows ${MAX_MENTIONS} @mentions per caption; this one has ${mentions}`,
    );
  }
  media.forEach((item, index) => violations.push(...validateMediaItem(item, index, rules)));
  return violations;
}

function validateMediaItem(item: MediaItem, index: number, rules: InstagramContentRules): ContentViolation[] {
  const violations: ContentViolation[] = [];
  const path = `media[${index}].url`;
  const add = (rule: string, where: string, message: string) =>
    violations.push({ platform: 'instagram', rule, path: where, message });
  let url: URL | null = null;
  try {
    url = new URL(item.url);
  } catch {
    add('media_url_invalid', path, `media[${index}] is not a URL`);
    return violations;
  }
  if (url.protocol !== 'https:' && !(rules.allowHttpMedia && url.protocol === 'http:')) {
    add(
      'media_url_not_https',
      path,
      `Instagram fetches media itself and needs a public https URL; got ${url.protocol}`,
    );
  }
  const kind = mediaKind(item.url);
  if (kind === null) {
    add(
      'media_type_unsupported',
      path,
      'Instagram accepts JPEG images (.jpg, .jpeg) and MP4/MOV videos; convert the file (PNG, GIF, WEBP, HEIC are refused)',
    );
  }
  if (item.altText !== undefined) {
    const altLength = Array.from(item.altText).length;
    if (altLength > MAX_ALT_TEXT_LENGTH) {
      add(
        'alt_text_too_long',
        `media[${index}].altText`,
        `Instagram alt text allows ${MAX_ALT_TEXT_LENGTH} characters; this one has ${altLength}`,
      );
    }
  }
  return violations;
}
