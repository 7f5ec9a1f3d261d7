/**
 * Media flows from its host into the platform upload instead of being downloaded first: the X and
 * LinkedIn adapters against the sandbox, with a media host (tests/support/generated-media.ts) that
 * holds back the rest of a file until the platform has received the first part of it. A download that
 * buffered the file would never be given the rest (the hold would time out and the test fail).
 * What X received is checked by its SHA-256, which the sandbox keeps instead of the bytes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PublishAccount, PublishContent, PublishRequest } from '../../src/platforms/publisher.ts';
import { isPublishError, type PublishError } from '../../src/platforms/publish-error.ts';
import { createXPublisher } from '../../src/platforms/x/x-publisher.ts';
import { X_CHUNK_BYTES } from '../../src/platforms/x/x-append-chunks.ts';
import { X_UNSIZED_VIDEO_LIMIT } from '../../src/platforms/x/x-media.ts';
import { createLinkedInPublisher } from '../../src/platforms/linkedin/linkedin-publisher.ts';
import { uploadedSha256 } from '../../src/sandbox/x/x-sandbox-media-records.ts';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/start-sandbox.ts';
import { type MediaHost, sha256Of, startMediaHost } from '../support/generated-media.ts';
import { waitFor } from '../support/wait-for.ts';

const MB = 1024 * 1024;

let sandbox: RunningSandbox;
let media: MediaHost;

before(async () => {
  sandbox = await startSandbox({ port: 0 });
});

after(async () => {
  await sandbox?.close();
});

function request(account: PublishAccount, content: PublishContent): PublishRequest {
  return {
    postId: crypto.randomUUID(),
    targetId: crypto.randomUUID(),
    content,
    account,
    attempt: 1,
    signal: AbortSignal.timeout(30_000),
  };
}

function xAccount(): PublishAccount {
  const { user, token } = sandbox.sandbox.x.connectAccount();
  return {
    id: crypto.randomUUID(),
    externalId: user.id,
    tokens: { accessToken: token.accessToken, refreshToken: token.refreshToken, expiresAt: token.expiresAt },
  };
}

const xPublisher = () =>
  createXPublisher({
    baseUrl: `${sandbox.url}/x`,
    clientId: 'sandbox-x-client',
    clientSecret: 'sandbox-x-secret',
    allowPrivateMediaHosts: true,
    timeoutMs: 10_000,
  });

async function failure(promise: Promise<unknown>): Promise<PublishError> {
  const err = await promise.then(() => assert.fail('expected the publish to fail'), (e: unknown) => e);
  assert.ok(isPublishError(err), `a PublishError, got ${String(err)}`);
  return err;
}

describe('X video upload streaming', () => {
  before(async () => {
    media = await startMediaHost();
  });
  after(async () => {
    await media?.close();
  });

  it('appends the first chunks to X before the video has finished downloading', async () => {
    const bytes = 5 * X_CHUNK_BYTES + 12_345;
    const hold = 2 * X_CHUNK_BYTES;
    const account = xAccount();
    const pending = xPublisher().publish(
      request(account, {
        text: 'streamed',
        media: [{ url: `${media.url}/video.mp4?bytes=${bytes}&hold=${hold}` }],
      }),
    );
    // X has the first chunk while the host still holds back everything after `hold` bytes.
    const uploading = await waitFor(
      () =>
        [...sandbox.sandbox.x.state.media.values()].find((m) =>
          m.ownerId === account.externalId && m.segments.size > 0
        ),
      { what: 'the first APPEND', timeoutMs: 10_000 },
    );
    assert.ok(media.sent() <= hold, `only ${hold} bytes were sent so far (${media.sent()})`);
    media.release();
    const published = await pending;
    assert.match(published.externalId, /^\d+$/);
    assert.equal(uploading.segments.size, 6);
    assert.equal(uploading.totalBytes, bytes);
    assert.equal(uploadedSha256(uploading), sha256Of('/video.mp4', bytes), 'X received the bytes, in order');
  });

  it('sizes a small video sent without Content-Length by reading it, then uploads it', async () => {
    const bytes = X_CHUNK_BYTES + 1000;
    const account = xAccount();
    await xPublisher().publish(
      request(account, {
        text: 'unsized',
        media: [{ url: `${media.url}/video.mp4?bytes=${bytes}&length=0` }],
      }),
    );
    const uploaded = [...sandbox.sandbox.x.state.media.values()].find((m) =>
      m.ownerId === account.externalId
    )!;
    assert.equal(uploaded.totalBytes, bytes);
    assert.equal(uploadedSha256(uploaded), sha256Of('/video.mp4', bytes));
  });

  it('refuses a video without Content-Length larger than it may buffer, before starting an upload', async () => {
    const account = xAccount();
    const url = `${media.url}/video.mp4?bytes=${X_UNSIZED_VIDEO_LIMIT + MB}&length=0`;
    const err = await failure(
      xPublisher().publish(request(account, { text: 'too big unsized', media: [{ url }] })),
    );
    assert.equal(err.code, 'media_unreachable');
    assert.equal(err.kind, 'rejected', err.message);
    assert.match(err.message, /no Content-Length.*serve the file with a Content-Length header/);
    const started = [...sandbox.sandbox.x.state.media.values()].filter((m) =>
      m.ownerId === account.externalId
    );
    assert.deepEqual(started, [], 'no upload was initialized');
  });

  it('fails the attempt as a passing media_unreachable when the download breaks off mid-upload, posting nothing', async () => {
    const account = xAccount();
    const url = `${media.url}/video.mp4?bytes=${3 * X_CHUNK_BYTES}&break=${X_CHUNK_BYTES + MB}`;
    const err = await failure(xPublisher().publish(request(account, { text: 'broken', media: [{ url }] })));
    assert.equal(err.code, 'media_unreachable');
    assert.equal(err.kind, 'transient', err.message);
    assert.match(err.message, /broke off/);
    assert.equal(sandbox.sandbox.x.state.posts.filter((p) => p.authorId === account.externalId).length, 0);
  });
});

describe('LinkedIn image upload streaming', () => {
  before(async () => {
    media = await startMediaHost();
  });
  after(async () => {
    await media?.close();
  });

  it('starts the PUT to LinkedIn before the image has finished downloading', async () => {
    const { urn, token } = sandbox.sandbox.linkedin.createMember({});
    const account: PublishAccount = {
      id: crypto.randomUUID(),
      externalId: urn,
      tokens: {
        accessToken: token.accessToken,
        refreshToken: token.refreshToken,
        expiresAt: token.expiresAt,
      },
    };
    const publisher = createLinkedInPublisher({
      baseUrl: `${sandbox.url}/linkedin`,
      oauthBaseUrl: `${sandbox.url}/linkedin`,
      clientId: 'sandbox-linkedin-client',
      clientSecret: 'sandbox-linkedin-secret',
      allowPrivateMediaHosts: true,
      timeoutMs: 10_000,
      now: () => sandbox.sandbox.knobs.now(),
    });
    const bytes = 6 * MB;
    const puts = () =>
      sandbox.sandbox.knobs.requests('linkedin').filter((r) =>
        r.method === 'PUT' && r.path.includes('/dms-uploads/')
      );
    const before = puts().length;
    const pending = publisher.publish(
      request(account, {
        text: 'streamed image',
        media: [{ url: `${media.url}/image.png?bytes=${bytes}&hold=${MB}` }],
      }),
    );
    await waitFor(() => puts().length > before, { what: 'the PUT to begin', timeoutMs: 10_000 });
    assert.ok(media.sent() <= MB, `the PUT began with ${media.sent()} of ${bytes} bytes downloaded`);
    media.release();
    const published = await pending;
    assert.match(published.externalId, /^urn:li:/);
  });
});
