/**
 * X's content rules, checked before sending (docs/platform-apis.md §1.4, §1.7, §1.8). Length is the
 * weighted count of twitter-text config v3 (`parseTweet`): URLs count 23, emoji sequences 2, CJK and
 * most non-Latin code points 2, Latin 1; the limit is 280. A reply (a thread's next part, a first
 * comment) has the same rules; its leading auto-populated @mentions are X's and count 0.
 */
import twitterText from 'twitter-text';
import type { ContentViolation, PublishContent } from '../publisher.ts';
import { X_POST_ID } from './x-api.ts';

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
  violations.push(...textViolations(text, 'text', 'this text'));
  if (content.replyTo !== undefined && !X_POST_ID.test(content.replyTo)) {
    add(
      'reply_to_invalid',
      'replyTo',
      `a reply must name the X post it answers by its numeric id; got "${content.replyTo.slice(0, 40)}"`,
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

/**
 * Every rule a first comment breaks on X. On X a first comment is a reply to the post, so it has the
 * post's text rules; it carries no media, so it needs text.
 */
export function validateXComment(text: string): ContentViolation[] {
  const nfc = text.normalize('NFC');
  const violations: ContentViolation[] = [];
  if (nfc.trim() === '') {
    violations.push({
      platform: 'x',
      rule: 'text_required',
      path: 'firstComment',
      message: 'firstComment is empty; an X reply needs text',
    });
  }
  violations.push(...textViolations(nfc, 'firstComment', 'this firstComment'));
  return violations;
}

/** A first comment answers a live X post, named by its numeric id (CommentRequest.on). */
export function validateXCommentTarget(on: string): ContentViolation[] {
  if (X_POST_ID.test(on)) return [];
  return [{
    platform: 'x',
    rule: 'reply_to_invalid',
    path: 'on',
    message: `a first comment must name the X post it answers by its numeric id; got "${on.slice(0, 40)}"`,
  }];
}

/** The length, character and cashtag rules of an X text (NFC) found at `path`. */
function textViolations(text: string, path: string, subject: string): ContentViolation[] {
  const violations: ContentViolation[] = [];
  const add = (rule: string, message: string) => violations.push({ platform: 'x', rule, path, message });
  const length = xTextLength(text);
  if (length > X_MAX_WEIGHTED_LENGTH) {
    add(
      'text_too_long',
      `X allows ${X_MAX_WEIGHTED_LENGTH} weighted characters; ${subject} has ${length} ` +
        '(links count 23, emoji and CJK characters count 2)',
    );
  }
  if (text !== '' && twitterText.hasInvalidCharacters(text)) {
    add('text_invalid_characters', `${subject} contains characters X refuses (e.g. U+FFFE, U+FEFF)`);
  }
  const cashtags = twitterText.extractCashtags(text);
  if (cashtags.length > X_MAX_CASHTAGS) {
    add(
      'too_many_cashtags',
      `X allows ${X_MAX_CASHTAGS} cashtag per post; ${subject} has ${cashtags.length}`,
    );
  }
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
