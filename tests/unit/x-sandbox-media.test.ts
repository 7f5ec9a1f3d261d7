/**
 * The X sandbox's chunked upload as X bounds it (docs/platform-apis.md §1.3 b): chunks of at most
 * 5 MB, oversized requests refused by size before they are read (413, empty body, as X's edge), and
 * what was received kept as a count and a SHA-256 rather than bytes. In-process (`app.request`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createSandbox } from '../../src/sandbox/create-sandbox.ts';
import { uploadedSha256 } from '../../src/sandbox/x/x-sandbox-media-records.ts';

const MB = 1024 * 1024;

function setup() {
  const sandbox = createSandbox({});
  const { token } = sandbox.x.connectAccount();
  const auth = { authorization: `Bearer ${token.accessToken}` };
  const call = (path: string, init: RequestInit) =>
    sandbox.app.request(`/x${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
  async function initialize(totalBytes: number): Promise<string> {
    const res = await call('/2/media/upload/initialize', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        media_type: 'video/mp4',
        total_bytes: totalBytes,
        media_category: 'tweet_video',
      }),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { data: { id: string } }).data.id;
  }
  function append(id: string, index: number, bytes: Uint8Array) {
    const form = new FormData();
    form.set('media', new Blob([bytes as BlobPart]), 'chunk');
    form.set('segment_index', String(index));
    return call(`/2/media/upload/${id}/append`, { method: 'POST', body: form });
  }
  const finalize = (id: string) => call(`/2/media/upload/${id}/finalize`, { method: 'POST' });
  return { sandbox, initialize, append, finalize };
}

const bytesOf = (length: number, seed: number) =>
  Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);

describe('X sandbox chunked media upload', () => {
  it('refuses a chunk over 5 MB with 413 and an empty body, keeping nothing of it', async () => {
    const { sandbox, initialize, append } = setup();
    const id = await initialize(6 * MB);
    const res = await append(id, 0, new Uint8Array(5 * MB + 100 * 1024));
    assert.equal(res.status, 413);
    assert.equal(await res.text(), '');
    assert.equal(sandbox.x.state.media.get(id)!.segments.size, 0);
  });

  it('takes a chunk of exactly 5 MB', async () => {
    const { initialize, append } = setup();
    const id = await initialize(5 * MB);
    assert.equal((await append(id, 0, new Uint8Array(5 * MB))).status, 200);
  });

  it('keeps the SHA-256 of segments appended in order, and its size, but not the bytes', async () => {
    const { sandbox, initialize, append, finalize } = setup();
    const parts = [bytesOf(MB, 1), bytesOf(MB, 2), bytesOf(1234, 3)];
    const total = parts.reduce((n, p) => n + p.byteLength, 0);
    const id = await initialize(total);
    for (const [index, part] of parts.entries()) assert.equal((await append(id, index, part)).status, 200);
    assert.equal((await finalize(id)).status, 200);
    const expected = createHash('sha256');
    for (const part of parts) expected.update(part);
    const media = sandbox.x.state.media.get(id)!;
    assert.equal(uploadedSha256(media), expected.digest('hex'));
    assert.deepEqual([...media.segments.values()], [MB, MB, 1234]);
  });

  it('knows no digest when a segment comes out of order or twice', async () => {
    const { sandbox, initialize, append, finalize } = setup();
    const id = await initialize(2 * MB);
    await append(id, 1, bytesOf(MB, 1));
    await append(id, 0, bytesOf(MB, 2));
    assert.equal((await finalize(id)).status, 200);
    assert.equal(uploadedSha256(sandbox.x.state.media.get(id)!), null);

    const again = await initialize(MB);
    await append(again, 0, bytesOf(MB, 1));
    await append(again, 0, bytesOf(MB, 1));
    await finalize(again);
    assert.equal(uploadedSha256(sandbox.x.state.media.get(again)!), null);
  });

  it('refuses a one-shot upload larger than any X accepts before reading it', async () => {
    const { sandbox } = setup();
    const { token } = sandbox.x.connectAccount();
    const form = new FormData();
    form.set('media', new Blob([new Uint8Array(22 * MB)]), 'media');
    form.set('media_category', 'tweet_gif');
    const res = await sandbox.app.request('/x/2/media/upload', {
      method: 'POST',
      headers: { authorization: `Bearer ${token.accessToken}` },
      body: form,
    });
    assert.equal(res.status, 413);
  });
});
