/**
 * Whether a text can be stored as it is, in both stores alike. Postgres `text` refuses the NUL
 * character (`invalid byte sequence for encoding "UTF8": 0x00`), and a lone UTF-16 surrogate has no
 * UTF-8 form at all (the driver would write U+FFFD or fail), while the in-memory store keeps both: so
 * the API refuses them up front, naming the field, and every text a creator gets back is the text
 * they sent.
 */

/** Why `value` cannot be stored, in words a person can act on; null when it can. */
export function storableTextProblem(value: string): string | null {
  const nul = value.indexOf('\u0000');
  if (nul !== -1) {
    return `contains a NUL character (U+0000) at index ${nul}; remove it — no platform shows it and the database cannot store it`;
  }
  const at = firstLoneSurrogate(value);
  if (at !== -1) {
    return `contains a lone UTF-16 surrogate (U+${
      value.charCodeAt(at).toString(16).toUpperCase()
    }) at index ${at}: half of an emoji or other character outside the Basic Multilingual Plane; send the whole character`;
  }
  return null;
}

/** Index of the first surrogate without its pair, or -1 (String#isWellFormed is ES2024). */
function firstLoneSurrogate(value: string): number {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return i;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return i;
  }
  return -1;
}

const REPLACEMENT = '\uFFFD';

/**
 * Text we store but did not get from the creator (a platform's error message, notification wording,
 * a delivery-log error) made storable instead of refused, which would lose it: each NUL or lone
 * UTF-16 surrogate (e.g. an emoji cut in half by a length limit) becomes U+FFFD — what the Postgres
 * driver writes for a lone surrogate anyway; NUL it cannot write at all. With `maxChars`, cut to at
 * most that many code points (never inside a pair).
 */
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
