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

/**
 * `value` with every NUL and lone surrogate replaced by U+FFFD, for text we store but did not get
 * from the creator (a platform's error message): it must be kept, not refused.
 */
export function toStorableText(value: string): string {
  let out = value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
  for (let at = firstLoneSurrogate(out); at !== -1; at = firstLoneSurrogate(out)) {
    out = `${out.slice(0, at)}\uFFFD${out.slice(at + 1)}`;
  }
  return out;
}
