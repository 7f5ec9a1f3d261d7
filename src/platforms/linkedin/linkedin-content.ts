/**
 * LinkedIn's content rules (docs/platform-apis.md §3.3–3.4), checked before anything is sent:
 * the commentary as sent — the little-text form, with every reserved character escaped — is at most
 * 3000 characters (code points); a post without media needs text; images only (JPEG, PNG, GIF), at
 * most 20, each a URL the worker may download (https).
 */
import type { ContentViolation, PublishContent } from '../publisher.ts';
import { escapeLittleText } from './linkedin-little-text.ts';

export const MAX_COMMENTARY_LENGTH = 3000;
export const MAX_IMAGES = 20;
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif'] as const;
const OTHER_EXTENSIONS = /\.(mp4|mov|avi|webm|mkv|pdf|docx?|pptx?|webp|heic|tiff?|bmp|svg)$/i;

/** What the 3000 limit is measured on: the escaped commentary, counted in code points. */
export function commentaryLength(text: string): number {
  return Array.from(escapeLittleText(text)).length;
}

export function validateLinkedInContent(content: PublishContent): ContentViolation[] {
  const violations: ContentViolation[] = [];
  const add = (rule: string, path: string, message: string) =>
    violations.push({ platform: 'linkedin', rule, path, message });
  const length = commentaryLength(content.text);
  if (length > MAX_COMMENTARY_LENGTH) {
    const plain = Array.from(content.text).length;
    add(
      'text_too_long',
      'text',
      `LinkedIn allows ${MAX_COMMENTARY_LENGTH} characters; this text has ${length}` +
        (plain !== length ? ` once its ${length - plain} reserved characters are escaped` : ''),
    );
  }
  if (content.text.trim() === '' && content.media.length === 0) {
    add('text_required', 'text', 'A LinkedIn post without an image needs text');
  }
  if (content.media.length > MAX_IMAGES) {
    add(
      'too_many_media',
      'media',
      `LinkedIn allows ${MAX_IMAGES} images per post; this post has ${content.media.length}`,
    );
  }
  content.media.forEach((item, index) => {
    const path = `media[${index}].url`;
    let url: URL;
    try {
      url = new URL(item.url);
    } catch {
      add('media_url_invalid', path, `media[${index}] is not a URL`);
      return;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      add('media_url_invalid', path, `media[${index}] must be an https URL; got ${url.protocol}`);
    }
    if (OTHER_EXTENSIONS.test(url.pathname)) {
      add('media_type_unsupported', path, 'LinkedIn posts here take images only (JPEG, PNG, GIF)');
    }
  });
  return violations;
}
