/**
 * Which of an account's recent X posts an ambiguous send made (docs/platform-apis.md §1.9). X never serves
 * the text as sent: every URL comes back as a t.co link, and a post with media ends with one more
 * (a media-only post's text is that link alone). So a post is recognised by what survives: its text
 * with every link removed, its media count, and when it was created. It must also be the only such
 * post: two look-alikes, or a page that may hide a third, is `unknown`, never a guess.
 *
 * Replies (a thread's next part, a first comment) are told apart by what they answer: a reply send
 * only matches a post whose `referenced_tweets` holds `replied_to` that id, and a send that answers
 * nothing never matches a reply — a thread's second part repeating the first's text is not the first.
 * X puts the @handle of the answered author in front of a reply to someone else, so a reply's
 * served text may carry leading @mentions the sent text lacked.
 */
import twitterText from 'twitter-text';
import type { ReconcileResult } from '../publisher.ts';
import type { XServedPost, XTimelinePage } from './x-api.ts';
import { repliedToId } from './x-api.ts';

export interface XSentPost {
  text: string;
  mediaCount: number;
  /** The post this send answered (`reply.in_reply_to_tweet_id`), or null for a post that starts one. */
  replyTo: string | null;
  /** When the ambiguous send began (database clock). */
  sentAfter: Date;
  now: Date;
  /** How far X's clock may differ from ours, either way. */
  clockSkewMs: number;
  /** Post ids other targets already hold: never this send. */
  takenExternalIds: readonly string[];
}

const T_CO = /https?:\/\/t\.co\/[A-Za-z0-9]+/gi;
/** One leading @mention as X prefixes it to a reply (handles are 1–15 word characters). */
const LEADING_MENTION = /^@\w{1,15} /;
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

/**
 * sameText, also after dropping leading @mentions one at a time: X's reply prefix. Only whole
 * leading mentions go, so "@ann hi" still differs from "@bob hi".
 */
function sameReplyText(served: string, wanted: string): boolean {
  let rest = withoutLinks(served);
  for (;;) {
    if (sameText(rest, wanted)) return true;
    const mention = LEADING_MENTION.exec(rest);
    if (!mention) return false;
    rest = rest.slice(mention[0].length);
  }
}

/** True when `post` answers what the send answered: the same post, or neither answers any. */
function sameReplyTarget(post: XServedPost, replyTo: string | null): boolean {
  return repliedToId(post) === replyTo;
}

/** The reconcile answer for `sent`, given the timeline page read from `sentAfter − clockSkewMs`. */
export function findSentXPost(page: XTimelinePage, sent: XSentPost): ReconcileResult {
  const wanted = withoutLinks(sent.text);
  const earliest = sent.sentAfter.getTime() - sent.clockSkewMs;
  const latest = sent.now.getTime() + sent.clockSkewMs;
  const taken = new Set(sent.takenExternalIds);
  const textMatches = sent.replyTo === null ? sameText : sameReplyText;
  const alike = page.posts.filter((p) =>
    !taken.has(p.id) && p.mediaKeys.length === sent.mediaCount && sameReplyTarget(p, sent.replyTo) &&
    textMatches(p.text, wanted)
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
