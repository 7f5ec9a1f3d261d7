/**
 * LinkedIn "little text", the format of a post's `commentary` (docs/platform-apis.md §3.6).
 *
 * The reserved characters `\ | { } @ [ ] ( ) < > # * _ ~` carry markup (mentions `@[Name](urn)`,
 * hashtag templates `{hashtag|\#|tag}`); to appear as plain text each one must be preceded by a
 * backslash. An unescaped reserved character does not fail the request: LinkedIn answers 201 and
 * silently truncates the post at that point. So every creator text is escaped, all of it, before it
 * is sent; the creator's `#tag` then shows as the plain text "#tag".
 */

/** Every character LinkedIn's little text reserves. */
export const LITTLE_TEXT_RESERVED = [
  '\\',
  '|',
  '{',
  '}',
  '@',
  '[',
  ']',
  '(',
  ')',
  '<',
  '>',
  '#',
  '*',
  '_',
  '~',
] as const;

const RESERVED_PATTERN = /[\\|{}@[\]()<>#*_~]/g;

/** The creator's plain text as little text: every reserved character backslash-escaped. */
export function escapeLittleText(text: string): string {
  return text.replace(RESERVED_PATTERN, (char) => `\\${char}`);
}
