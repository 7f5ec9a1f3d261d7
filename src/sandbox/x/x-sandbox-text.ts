/**
 * The text X serves back for a post (docs/platform-apis.md §1.9): every URL twitter-text detects becomes a
 * `https://t.co/<10 alnum>` link, and a post with media gets one more t.co link, to the media, at the
 * end (a media-only post's text is that link alone). The links are derived from the post id, so the
 * create answer, `GET /2/tweets/:id` and the timeline all serve the same text.
 */
import twitterText from 'twitter-text';

/** One `entities.urls[]` item; `start`/`end` count code points of the served text, as X's do. */
export interface XServedUrl {
  start: number;
  end: number;
  url: string;
  expanded_url: string;
  display_url: string;
  /** Only on the media link. */
  media_key?: string;
}

export interface XServedMedia {
  media_key: string;
  type: 'photo' | 'video' | 'animated_gif';
}

export interface XServedText {
  text: string;
  urls: XServedUrl[];
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DISPLAY_MAX = 26;

/** A t.co link that depends only on `seed` (FNV-1a, then a xorshift stream for the 10 characters). */
export function tcoLink(seed: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  let code = '';
  for (let i = 0; i < 10; i++) {
    h ^= h << 13;
    h ^= h >>> 17;
    h ^= h << 5;
    h >>>= 0;
    code += ALPHABET[h % ALPHABET.length];
  }
  return `https://t.co/${code}`;
}

/** The media key X gives an upload: `3_` photos, `7_` video, `16_` GIFs. */
export function xMediaOf(mediaId: string, category: string): XServedMedia {
  if (category === 'tweet_video') return { media_key: `7_${mediaId}`, type: 'video' };
  if (category === 'tweet_gif') return { media_key: `16_${mediaId}`, type: 'animated_gif' };
  return { media_key: `3_${mediaId}`, type: 'photo' };
}

/** `text` (as sent, NFC) as X serves it for post `postId` by `username` with `media`. */
export function serveXText(
  postId: string,
  username: string,
  text: string,
  media: readonly XServedMedia[],
): XServedText {
  const urls: XServedUrl[] = [];
  let served = '';
  let last = 0;
  // twitter-text indices are UTF-16 offsets; entity indices are code points.
  twitterText.extractUrlsWithIndices(text).forEach(({ url, indices: [from, to] }, index) => {
    served += text.slice(last, from);
    const link = tcoLink(`${postId}:${index}`);
    const expanded = /^https?:\/\//i.test(url) ? url : `http://${url}`;
    const start = codePoints(served);
    urls.push({
      start,
      end: start + link.length,
      url: link,
      expanded_url: expanded,
      display_url: display(expanded),
    });
    served += link;
    last = to;
  });
  served += text.slice(last);
  const first = media[0];
  if (first) {
    const link = tcoLink(`${postId}:media`);
    served = served === '' ? link : `${served} ${link}`;
    const start = codePoints(served) - link.length;
    const kind = first.type === 'video' ? 'video' : 'photo';
    urls.push({
      start,
      end: start + link.length,
      url: link,
      expanded_url: `https://x.com/${username}/status/${postId}/${kind}/1`,
      display_url: `pic.x.com/${link.slice('https://t.co/'.length)}`,
      media_key: first.media_key,
    });
  }
  return { text: served, urls };
}

function codePoints(text: string): number {
  return Array.from(text).length;
}

/** X's display_url: no scheme, no `www.`, cut with an ellipsis. */
function display(expanded: string): string {
  const bare = expanded.replace(/^https?:\/\//i, '').replace(/^www\./i, '');
  const chars = Array.from(bare);
  return chars.length <= DISPLAY_MAX ? bare : `${chars.slice(0, DISPLAY_MAX).join('')}…`;
}
