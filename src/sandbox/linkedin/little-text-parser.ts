/**
 * Reads LinkedIn little text the way LinkedIn shows it (docs/platform-apis.md §3.6), so the sandbox can
 * record what a real post would display:
 * - `\X` (X reserved) shows X;
 * - `@[Name](urn:li:person:…)` / `@[Name](urn:li:organization:…)` shows Name (a mention);
 * - `{hashtag|\#|tag}` and a bare `#tag` show #tag (a hashtag);
 * - any other unescaped reserved character is where a real post is silently cut off.
 */
const RESERVED = new Set(['\\', '|', '{', '}', '@', '[', ']', '(', ')', '<', '>', '#', '*', '_', '~']);
const MENTION = /^@\[([^\]\\]*)\]\((urn:li:(?:person|organization):[A-Za-z0-9_-]+)\)/;
const HASHTAG_TEMPLATE = /^\{hashtag\|\\#\|([\p{L}\p{N}_]+)\}/u;
const BARE_HASHTAG = /^#([\p{L}\p{N}_]+)/u;

export interface LittleTextReading {
  /** The text as displayed, with unescaped reserved characters kept as they are. */
  displayed: string;
  /** The text a real post would show: cut at the first unescaped reserved character. */
  truncated: string;
  /** The unescaped reserved characters, in order (empty when the text is well escaped). */
  unescaped: string[];
  mentions: string[];
  hashtags: string[];
}

export function readLittleText(input: string): LittleTextReading {
  let displayed = '';
  let cutAt: number | null = null;
  const unescaped: string[] = [];
  const mentions: string[] = [];
  const hashtags: string[] = [];
  let i = 0;
  while (i < input.length) {
    const rest = input.slice(i);
    const char = input[i]!;
    if (char === '\\' && i + 1 < input.length && RESERVED.has(input[i + 1]!)) {
      displayed += input[i + 1];
      i += 2;
      continue;
    }
    const mention = rest.match(MENTION);
    if (mention) {
      displayed += mention[1];
      mentions.push(mention[2]!);
      i += mention[0].length;
      continue;
    }
    const template = rest.match(HASHTAG_TEMPLATE) ?? (startsWord(input, i) ? rest.match(BARE_HASHTAG) : null);
    if (template) {
      displayed += `#${template[1]}`;
      hashtags.push(template[1]!);
      i += template[0].length;
      continue;
    }
    if (RESERVED.has(char)) {
      unescaped.push(char);
      if (cutAt === null) cutAt = displayed.length;
    }
    displayed += char;
    i += 1;
  }
  return {
    displayed,
    truncated: cutAt === null ? displayed : displayed.slice(0, cutAt),
    unescaped,
    mentions,
    hashtags,
  };
}

/** A bare `#tag` counts only at the start of a word. */
function startsWord(input: string, index: number): boolean {
  return index === 0 || /[\s([{]/.test(input[index - 1]!);
}
