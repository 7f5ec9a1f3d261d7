/**
 * Which of an account's recent X posts an ambiguous send made (docs/platform-apis.md §1.9). X never serves
 * the text as sent: every URL comes back as a t.co link, and a post with media ends with one more
 * (a media-only post's text is that link alone). So a post is recognised by what survives: its text
 * with every link removed, its media count, and when it was created. It must also be the only such
 * post: two look-alikes, or a page that may hide a third, is `unknown`, never a guess.
 */
import twitterText from 'twitter-text';
import type { ReconcileResult } from '../publisher.ts';
import type { XTimelinePage } from './x-api.ts';

export interface XSentPost {
  text: string;
  mediaCount: number;
  /** When the ambiguous send began (database clock). */
  sentAfter: Date;
  now: Date;
  /** How far X's clock may differ from ours, either way. */
  clockSkewMs: number;
  /** Post ids other targets already hold: never this send. */
  takenExternalIds: readonly string[];
}

const T_CO = /https?:\/\/t\.co\/[A-Za-z0-9]+/gi;
const HTML_ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

/** NFC, every URL twitter-text finds and every t.co link cut out, whitespace collapsed. */
export function withoutLinks(text: string): string {
  const nfc = text.normalize('NFC');
  let out = '';
  let last = 0;
  for (const { indices: [from, to] } of twitterText.extractUrlsWithIndices(nfc)) {
    // A space, not nothing, so the words either side stay apart on both sides of the comparison.
    out += `${nfc.slice(last, from)} `;
    last = to;
  }
  out += nfc.slice(last);
  return out.replace(T_CO, ' ').replace(/\s+/g, ' ').trim();
}

/** True when a served text is `wanted` once links are gone (X may HTML-escape `&`, `<` and `>`). */
function sameText(served: string, wanted: string): boolean {
  const bare = withoutLinks(served);
  return bare === wanted || bare.replace(/&(amp|lt|gt);/g, (e) => HTML_ENTITIES[e]!) === wanted;
}

/** The reconcile answer for `sent`, given the timeline page read from `sentAfter − clockSkewMs`. */
export function findSentXPost(page: XTimelinePage, sent: XSentPost): ReconcileResult {
  const wanted = withoutLinks(sent.text);
  const earliest = sent.sentAfter.getTime() - sent.clockSkewMs;
  const latest = sent.now.getTime() + sent.clockSkewMs;
  const taken = new Set(sent.takenExternalIds);
  const alike = page.posts.filter((p) =>
    !taken.has(p.id) && p.mediaKeys.length === sent.mediaCount && sameText(p.text, wanted)
  );
  const undated = alike.filter((p) => Number.isNaN(Date.parse(p.createdAt ?? '')));
  if (undated.length > 0) {
    return { status: 'unknown', reason: `X did not say when post ${undated[0]!.id} was created` };
  }
  const matches = alike.filter((p) => {
    const at = Date.parse(p.createdAt!);
    return at >= earliest && at <= latest;
  });
  if (page.nextToken !== null) {
    return {
      status: 'unknown',
      reason: `X holds more posts since ${
        new Date(earliest).toISOString()
      } than one page; cannot tell whether this one is among them`,
    };
  }
  if (matches.length > 1) {
    return {
      status: 'unknown',
      reason: `${matches.length} posts on X since ${new Date(earliest).toISOString()} look like this one (${
        matches.map((m) => m.id).join(', ')
      }); cannot tell which, if any, it is`,
    };
  }
  const match = matches[0];
  if (!match) return { status: 'not_published' };
  return { status: 'published', published: { externalId: match.id, url: xPostUrl(match.id) } };
}

/** X redirects this to the canonical /<username>/status/<id> URL. */
export function xPostUrl(id: string): string {
  return `https://x.com/i/web/status/${id}`;
}
