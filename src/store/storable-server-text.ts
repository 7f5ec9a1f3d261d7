/**
 * Server-made text (notification wording, delivery-log errors) made storable the same way by both
 * notification stores. Unlike a creator's input, which the API refuses with 422 naming the field
 * (src/domain/storable-text.ts), this text is ours: refusing it would lose a notification, so a NUL
 * or a lone UTF-16 surrogate (e.g. an emoji cut in half by a length limit) becomes U+FFFD — which is
 * what the Postgres driver writes for a lone surrogate anyway, and NUL it cannot write at all.
 */

const REPLACEMENT = '\uFFFD';

/** `value` without NUL or lone surrogates, cut to at most `maxChars` code points when given. */
export function toStorableText(value: string, maxChars?: number): string {
  let out = '';
  let chars = 0;
  for (let i = 0; i < value.length; i++) {
    if (maxChars !== undefined && chars >= maxChars) break;
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += value[i]! + value[i + 1]!;
        i++;
      } else out += REPLACEMENT;
    } else if ((unit >= 0xdc00 && unit <= 0xdfff) || unit === 0) {
      out += REPLACEMENT;
    } else out += value[i]!;
    chars++;
  }
  return out;
}

/** Length in code points, as Postgres `length(text)` counts. */
export function charCount(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}
