/**
 * Splitting one long text into a numbered thread (`threadSplit: true`): parts end at a sentence end
 * where one falls in the last part of a part's room, else at a word boundary, so a URL or an emoji is
 * never cut (neither holds a space); each part gets " n/N" and stays within the platform's weighted
 * limit, measured by the platform's own count. Pure.
 */

export interface SplitRules {
  /** The platform's length count (X: weighted, URLs as 23). */
  length(text: string): number;
  limit: number;
  maxParts: number;
}

export type SplitResult =
  | { ok: true; parts: string[] }
  | { ok: false; reason: string };

/** A part breaks at a sentence end once it holds this share of its room. */
const SENTENCE_BREAK_SHARE = 0.6;

export function splitThread(text: string, rules: SplitRules): SplitResult {
  const trimmed = text.trim();
  if (rules.length(trimmed) <= rules.limit) return { ok: true, parts: [trimmed] };
  // Room for the widest numbering the thread can have (" 25/25").
  const suffixRoom = rules.length(` ${rules.maxParts}/${rules.maxParts}`);
  const room = rules.limit - suffixRoom;
  const words = trimmed.split(/\s+/);
  const parts: string[] = [];
  let current = '';
  for (const word of words) {
    if (rules.length(word) > room) {
      return {
        ok: false,
        reason: `"${word.slice(0, 40)}…" is longer than one part of a thread may be (${room}); shorten it`,
      };
    }
    const candidate = current === '' ? word : `${current} ${word}`;
    if (rules.length(candidate) > room) {
      parts.push(current);
      current = word;
      continue;
    }
    current = candidate;
    if (/[.!?…]["')\]]?$/.test(word) && rules.length(current) >= room * SENTENCE_BREAK_SHARE) {
      parts.push(current);
      current = '';
    }
  }
  if (current !== '') parts.push(current);
  if (parts.length > rules.maxParts) {
    return {
      ok: false,
      reason: `the text needs ${parts.length} parts, more than a thread's ${rules.maxParts}; shorten it`,
    };
  }
  return { ok: true, parts: parts.map((p, i) => `${p} ${i + 1}/${parts.length}`) };
}
