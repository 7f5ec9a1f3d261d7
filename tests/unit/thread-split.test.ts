import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { splitThread } from '../../src/domain/thread-split.ts';
import type { SplitResult } from '../../src/domain/thread-split.ts';
import { xTextLength } from '../../src/platforms/x/x-text.ts';

/** X's rules: the weighted count (URLs 23, emoji and CJK 2), 280, at most 25 parts. */
const X = { length: xTextLength, limit: 280, maxParts: 25 };

function partsOf(result: SplitResult): string[] {
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.parts;
}

/** The part without its " n/N" numbering, after checking the numbering is there. */
function unnumbered(part: string, n: number, of: number): string {
  const suffix = ` ${n}/${of}`;
  assert.ok(part.endsWith(suffix), `part ${n} ends with "${suffix}": ${part}`);
  return part.slice(0, -suffix.length);
}

function assertThread(text: string, parts: string[]): void {
  assert.ok(parts.length >= 2, `a thread of ${parts.length} parts`);
  const words = parts.flatMap((p, i) => unnumbered(p, i + 1, parts.length).split(' '));
  assert.deepEqual(words, text.trim().split(/\s+/), 'every word, whole and in order');
  for (const part of parts) assert.ok(xTextLength(part) <= 280, `${xTextLength(part)} <= 280: ${part}`);
}

describe('splitThread', () => {
  it('keeps a text within the limit as one part, trimmed and unnumbered', () => {
    assert.deepEqual(splitThread('  Short and sweet.  ', X), { ok: true, parts: ['Short and sweet.'] });
    const exactly = 'a'.repeat(280);
    assert.deepEqual(splitThread(exactly, X), { ok: true, parts: [exactly] });
  });

  it('splits a long text into parts numbered n/N, each within the weighted limit', () => {
    const text = Array.from({ length: 150 }, (_, i) => `word${i}`).join(' ');
    const parts = partsOf(splitThread(text, X));
    assertThread(text, parts);
    assert.ok(parts.length <= Math.ceil(xTextLength(text) / 200), `${parts.length} parts is not wasteful`);
  });

  it('counts by the weighted length: a long URL counts 23, so it fits where its characters would not', () => {
    const urls = Array.from({ length: 20 }, (_, i) => `https://example.com/${i}/${'p'.repeat(180)}`);
    const text = urls.join(' ');
    assert.ok(text.length > 3600 && xTextLength(text) < 500);
    const parts = partsOf(splitThread(text, X));
    assert.equal(parts.length, 2, 'two parts by weight, not 14 by characters');
    assertThread(text, parts);
    for (const url of urls) {
      assert.ok(parts.some((p) => p.split(' ').includes(url)), `${url.slice(0, 30)}… is in one part, whole`);
    }
  });

  it('never cuts an emoji, a ZWJ family or one attached to a word', () => {
    const family = '👩‍👩‍👧‍👦';
    const text = Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? family : `go🚀${i}`)).join(' ');
    assert.ok(xTextLength(text) > 280);
    assertThread(text, partsOf(splitThread(text, X)));
  });

  it('counts CJK as 2, so a part holds fewer CJK characters than Latin ones', () => {
    const text = '日本語 '.repeat(100).trim(); // 399 characters, weighted 699
    const parts = partsOf(splitThread(text, X));
    assertThread(text, parts);
    assert.equal(parts.length, 3, 'three parts by weight; by characters two would do');
  });

  it('ends a part at a sentence end once the part holds most of its room', () => {
    const first = `${'Lorem ipsum dolor sit amet, '.repeat(7)}the end of the first thought.`; // 225 characters
    const second = 'And then a second thought runs on for a while with many more words in it '.repeat(3)
      .trim();
    const text = `${first} ${second}`;
    const parts = partsOf(splitThread(text, X));
    assert.equal(parts.length, 2);
    assert.equal(unnumbered(parts[0]!, 1, 2), first, 'part 1 ends where the first thought ends');
    assert.equal(unnumbered(parts[1]!, 2, 2), second);
  });

  it('does not end a part at a sentence end that comes early, leaving most of its room empty', () => {
    const text = `Hi. ${'and more words follow after the greeting '.repeat(10).trim()}`;
    const parts = partsOf(splitThread(text, X));
    assertThread(text, parts);
    assert.notEqual(unnumbered(parts[0]!, 1, parts.length), 'Hi.');
    assert.ok(xTextLength(parts[0]!) > 200, 'part 1 uses its room');
  });

  it('fails with a reason when the text needs more parts than a thread may have', () => {
    const text = 'word '.repeat(400).trim(); // about 2000 characters: 8 parts
    const result = splitThread(text, { ...X, maxParts: 3 });
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /needs \d+ parts, more than a thread's 3; shorten it/);
    assert.equal(splitThread('word '.repeat(2000).trim(), X).ok, false, 'over 25 parts on X');
  });

  it('fails with a reason when one word is longer than a part may be', () => {
    const word = 'a'.repeat(300);
    const result = splitThread(`Look at this: ${word} wow`, X);
    assert.equal(result.ok, false);
    assert.match(
      result.ok ? '' : result.reason,
      /is longer than one part of a thread may be \(274\); shorten it/,
    );
  });
});
