/**
 * X's content rules, checked before sending (docs/platform-apis.md §1.4, §1.7, §1.8). Length is the
 * weighted count of twitter-text config v3 (`parseTweet`): URLs count 23, emoji sequences 2, CJK and
 * most non-Latin code points 2, Latin 1; the limit is 280.
 */
import twitterText from 'twitter-text';
import type { ContentViolation, PublishContent } from '../publisher.ts';

export const X_MAX_WEIGHTED_LENGTH = 280;
/** Up to 4 photos, or 1 GIF, or 1 video per post. */
export const X_MAX_MEDIA = 4;
/** Self-serve plans (2026-04-13): at most one cashtag per post. */
export const X_MAX_CASHTAGS = 1;

const VIDEO_OR_GIF = /\.(mp4|mov|m4v|webm|gif)$/i;

/** The weighted length X counts for this text (NFC-normalised first, as X does). */
export function xTextLength(text: string): number {
  return twitterText.parseTweet(text.normalize('NFC')).weightedLength;
}

export interface XValidateOptions {
  /** Media URLs may be http: and private hosts (MEDIA_ALLOW_PRIVATE_HOSTS, development only). */
  allowPrivateMediaHosts?: boolean;
}

/** Every rule the content breaks on X; empty when it may be sent. */
export function validateXContent(
  content: PublishContent,
  options: XValidateOptions = {},
): ContentViolation[] {
  const violations: ContentViolation[] = [];
  const add = (rule: string, path: string, message: string) =>
    violations.push({ platform: 'x', rule, path, message });
  const text = content.text.normalize('NFC');

  if (text.trim() === '' && content.media.length === 0) {
    add('text_required', 'text', 'X needs text or media; this post has neither');
  }
  const length = xTextLength(text);
  if (length > X_MAX_WEIGHTED_LENGTH) {
    add(
      'text_too_long',
      'text',
      `X allows ${X_MAX_WEIGHTED_LENGTH} weighted characters; this text has ${length} ` +
        '(links count 23, emoji and CJK characters count 2)',
    );
  }
  if (text !== '' && twitterText.hasInvalidCharacters(text)) {
    add('text_invalid_characters', 'text', 'the text contains characters X refuses (e.g. U+FFFE, U+FEFF)');
  }
  const cashtags = twitterText.extractCashtags(text);
  if (cashtags.length > X_MAX_CASHTAGS) {
    add(
      'too_many_cashtags',
      'text',
      `X allows ${X_MAX_CASHTAGS} cashtag per post; this text has ${cashtags.length}`,
    );
  }
  if (content.media.length > X_MAX_MEDIA) {
    add(
      'too_many_media',
      'media',
      `X allows up to ${X_MAX_MEDIA} images per post; this post has ${content.media.length}`,
    );
  }
  const videoOrGif = content.media.filter((m) => VIDEO_OR_GIF.test(pathOf(m.url)));
  if (videoOrGif.length > 0 && content.media.length > 1) {
    add('media_mix', 'media', 'a GIF or video must be the only media of an X post');
  }
  content.media.forEach((item, index) => {
    const problem = mediaUrlProblem(item.url, options.allowPrivateMediaHosts ?? false);
    if (problem) add('media_url_invalid', `media[${index}].url`, problem);
    if (item.altText !== undefined && item.altText.length > 1000) {
      add('alt_text_too_long', `media[${index}].altText`, 'X allows 1000 characters of alt text');
    }
  });
  return violations;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/** A reason the URL cannot be used as a media source, or null. */
export function mediaUrlProblem(url: string, allowHttp: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the media URL is not a valid absolute URL';
  }
  if (parsed.protocol === 'https:' || (allowHttp && parsed.protocol === 'http:')) return null;
  return `media URLs must use https (got ${parsed.protocol})`;
}
