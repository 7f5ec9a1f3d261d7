import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { XServedPost } from '../../src/platforms/x/x-api.ts';
import type { XSentPost } from '../../src/platforms/x/x-reconcile.ts';
import { findSentXPost, withoutLinks } from '../../src/platforms/x/x-reconcile.ts';
import { serveXText, xMediaOf } from '../../src/sandbox/x/x-sandbox-text.ts';

const SENT_AT = new Date('2026-03-01T12:00:00.000Z');
const SKEW = 60_000;

function sent(text: string, overrides: Partial<XSentPost> = {}): XSentPost {
  return {
    text,
    mediaCount: 0,
    sentAfter: SENT_AT,
    now: new Date(SENT_AT.getTime() + 30_000),
    clockSkewMs: SKEW,
    takenExternalIds: [],
    replyTo: null,
    ...overrides,
  };
}

/** A post as X serves `text` with `mediaCount` photos, created `offsetMs` after SENT_AT. */
function served(id: string, text: string, mediaCount = 0, offsetMs = 1000): XServedPost {
  const media = Array.from(
    { length: mediaCount },
    (_, i) => xMediaOf(`18800000000000000${i}${id}`, 'tweet_image'),
  );
  return {
    id,
    text: serveXText(id, 'creator', text, media).text,
    createdAt: new Date(SENT_AT.getTime() + offsetMs).toISOString(),
    mediaKeys: media.map((m) => m.media_key),
    referencedTweets: [],
  };
}

const page = (...posts: XServedPost[]) => ({ posts, nextToken: null });
const adopted = (id: string) => ({
  status: 'published',
  published: { externalId: id, url: `https://x.com/i/web/status/${id}` },
});

describe('X reconcile matching', () => {
  it('compares texts without URLs, t.co links and extra whitespace', () => {
    const text = 'Read  https://example.com/a, then example.org!\n日本 😀';
    assert.equal(withoutLinks(text), 'Read , then ! 日本 😀');
    assert.equal(
      withoutLinks(serveXText('1', 'u', text, [xMediaOf('2', 'tweet_image')]).text),
      withoutLinks(text),
    );
    assert.equal(withoutLinks('Cafe\u0301'), 'Caf\u00e9', 'NFC');
  });

  it('adopts the one post whose text without links, media count and creation time match', () => {
    const text = 'Launch https://example.com/launch today';
    const result = findSentXPost(
      page(served('3', 'Something else'), served('2', text, 1), served('1', text)),
      sent(text, { mediaCount: 1 }),
    );
    assert.deepEqual(result, adopted('2'));
  });

  it('does not adopt a post whose media count differs', () => {
    assert.deepEqual(findSentXPost(page(served('1', 'Hello', 2)), sent('Hello', { mediaCount: 1 })), {
      status: 'not_published',
    });
  });

  it('ignores look-alikes created before the send began (less the skew) or after now (plus the skew)', () => {
    const input = sent('', { mediaCount: 1 });
    const early = served('1', '', 1, -SKEW - 1000);
    const late = served('2', '', 1, 30_000 + SKEW + 1000);
    assert.deepEqual(findSentXPost(page(late, early), input), { status: 'not_published' });
    const justInside = served('3', '', 1, -SKEW + 1000);
    assert.deepEqual(findSentXPost(page(late, justInside, early), input), adopted('3'));
  });

  it('never adopts a post another target holds', () => {
    assert.deepEqual(findSentXPost(page(served('1', 'Hi')), sent('Hi', { takenExternalIds: ['1'] })), {
      status: 'not_published',
    });
  });

  it('answers unknown, naming how many, when two posts match', () => {
    const result = findSentXPost(page(served('2', '', 1), served('1', '', 1)), sent('', { mediaCount: 1 }));
    assert.equal(result.status, 'unknown');
    assert.match(result.status === 'unknown' ? result.reason : '', /^2 posts on X .*\(2, 1\)/);
  });

  it('treats a text that is only a link like a media-only post: media count, window and one candidate', () => {
    const text = 'https://example.com/only';
    assert.deepEqual(findSentXPost(page(served('1', 'https://example.com/other')), sent(text)), adopted('1'));
    assert.deepEqual(findSentXPost(page(served('1', 'words')), sent(text)), { status: 'not_published' });
  });

  it('answers unknown when the timeline has another page that may hold a look-alike', () => {
    const result = findSentXPost({ posts: [served('1', 'Hi')], nextToken: 'next' }, sent('Hi'));
    assert.equal(result.status, 'unknown');
  });

  it('answers unknown when X does not say when a look-alike was created', () => {
    const result = findSentXPost(page({ ...served('1', 'Hi'), createdAt: null }), sent('Hi'));
    assert.equal(result.status, 'unknown');
  });

  it('recognises a text X served with &, < and > HTML-escaped', () => {
    const text = 'Fish & chips <today> https://example.com';
    const escaped = { ...served('1', text), text: 'Fish &amp; chips &lt;today&gt; https://t.co/abcdefghij' };
    assert.deepEqual(findSentXPost(page(escaped), sent(text)), adopted('1'));
  });
});
