import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningSandbox } from '../../src/sandbox/start-sandbox.ts';
import { startSandbox } from '../../src/sandbox/start-sandbox.ts';
import { waitFor } from '../support/wait-for.ts';

const INVALID_REQUEST = 'https://api.twitter.com/2/problems/invalid-request';
const BASIC = `Basic ${btoa('sandbox-x-client:sandbox-x-secret')}`;

describe('X sandbox', () => {
  let running: RunningSandbox;
  let base: string;
  before(async () => {
    running = await startSandbox({ port: 0 });
    base = `${running.url}/x`;
  });
  after(async () => {
    await running?.close();
  });

  const account = (input = {}) => running.sandbox.x.connectAccount(input);
  const tweet = (token: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/2/tweets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const tokenRequest = (
    form: Record<string, string>,
    headers: Record<string, string> = { authorization: BASIC },
  ) =>
    fetch(`${base}/2/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });

  describe('authentication', () => {
    it('answers 401 about:blank without a bearer token, with an unknown one, and with an expired one', async () => {
      const { token } = account();
      running.sandbox.knobs.tokens.expire('x', token.accessToken);
      for (const auth of [undefined, 'Bearer not-a-token', `Bearer ${token.accessToken}`]) {
        const res = await fetch(`${base}/2/tweets`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
          body: JSON.stringify({ text: 'hi' }),
        });
        assert.equal(res.status, 401);
        assert.equal(res.headers.get('content-type'), 'application/problem+json');
        assert.deepEqual(await res.json(), {
          title: 'Unauthorized',
          type: 'about:blank',
          status: 401,
          detail: 'Unauthorized',
        });
      }
    });

    it('refuses an app-only token with 403 unsupported-authentication', async () => {
      const { token } = account({ appOnly: true });
      const res = await tweet(token.accessToken, { text: 'hi' });
      assert.equal(res.status, 403);
      const body = await res.json();
      assert.equal(body.type, 'https://api.twitter.com/2/problems/unsupported-authentication');
      assert.equal(body.title, 'Unsupported Authentication');
    });

    it('refuses a token without tweet.write with 403 Forbidden, and uploads without media.write', async () => {
      const { token } = account({ scopes: ['tweet.read', 'users.read'] });
      const res = await tweet(token.accessToken, { text: 'hi' });
      assert.equal(res.status, 403);
      assert.deepEqual(await res.json(), {
        title: 'Forbidden',
        type: 'about:blank',
        status: 403,
        detail: 'Forbidden',
      });
      const upload = await fetch(`${base}/2/media/upload/initialize`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ media_type: 'video/mp4', total_bytes: 10, media_category: 'tweet_video' }),
      });
      assert.equal(upload.status, 403);
    });
  });

  describe('POST /2/tweets body', () => {
    async function invalid(body: unknown, headers: Record<string, string> = {}): Promise<string[]> {
      const res = await tweet(account().token.accessToken, body, headers);
      assert.equal(res.status, 400);
      const json = await res.json();
      assert.equal(json.type, INVALID_REQUEST);
      assert.equal(json.title, 'Invalid Request');
      assert.equal(json.detail, 'One or more parameters to your request was invalid.');
      return json.errors.map((e: { message: string }) => e.message);
    }

    it('refuses unknown fields, top-level and nested (additionalProperties: false)', async () => {
      const messages = await invalid({
        text: 'hi',
        idempotency_key: 'k',
        media: { media_ids: ['1'], alt: 'x' },
      });
      assert.ok(messages.some((m) => m.startsWith('$.idempotency_key: is not defined in the schema')));
      assert.ok(messages.some((m) => m.startsWith('$.media.alt: is not defined in the schema')));
    });

    it('refuses a body that is not JSON, or not sent as JSON', async () => {
      await invalid('{"text": "hi"');
      await invalid(JSON.stringify({ text: 'hi' }), { 'content-type': 'text/plain' });
    });

    it('refuses a post with neither text nor media, and media together with a poll', async () => {
      assert.ok((await invalid({})).some((m) => m.startsWith('$.text')));
      const messages = await invalid({
        media: { media_ids: ['123'] },
        poll: { options: ['a', 'b'], duration_minutes: 60 },
      });
      assert.ok(messages.includes('$.media and $.poll are mutually exclusive'));
    });

    it('refuses more than 4 media ids, non-numeric ids, and a poll out of range', async () => {
      assert.ok((await invalid({ media: { media_ids: ['1', '2', '3', '4', '5'] } }))[0]!.includes('1 to 4'));
      assert.ok((await invalid({ media: { media_ids: ['3_123'] } }))[0]!.includes('^[0-9]{1,19}$'));
      const poll = await invalid({ text: 'q', poll: { options: ['only one'], duration_minutes: 1 } });
      assert.equal(poll.length, 2);
    });

    it('refuses text over 280 weighted characters with the documented message', async () => {
      assert.deepEqual(await invalid({ text: '語'.repeat(141) }), [
        'Your Tweet text is too long. For more information on how Twitter determines text length see https://github.com/twitter/twitter-text.',
      ]);
      const ok = await tweet(account().token.accessToken, { text: '語'.repeat(140) });
      assert.equal(ok.status, 201);
    });

    it('refuses media ids that are unknown, owned by someone else, or not processed yet', async () => {
      assert.deepEqual(await invalid({ text: 'x', media: { media_ids: ['1234567890'] } }), [
        'Your media IDs are invalid.',
      ]);
      const owner = account();
      const init = await fetch(`${base}/2/media/upload/initialize`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.token.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ media_type: 'video/mp4', total_bytes: 10, media_category: 'tweet_video' }),
      });
      const { data } = await init.json();
      const res = await tweet(owner.token.accessToken, {
        text: 'unprocessed',
        media: { media_ids: [data.id] },
      });
      assert.equal(res.status, 400, 'media still uploading');
      assert.deepEqual(await invalid({ text: 'someone else', media: { media_ids: [data.id] } }), [
        'Your media IDs are invalid.',
      ]);
    });
  });

  describe('publishing', () => {
    it('answers 201 with data.id, text and edit_history_tweet_ids, and records the post', async () => {
      const { token, user } = account({ username: 'maker' });
      const res = await tweet(token.accessToken, { text: 'First <b>post</b>' });
      assert.equal(res.status, 201);
      const body = await res.json();
      assert.match(body.data.id, /^[0-9]{19}$/);
      assert.deepEqual(body.data, {
        id: body.data.id,
        text: 'First <b>post</b>',
        edit_history_tweet_ids: [body.data.id],
      });
      const record = running.sandbox.knobs.published('x').find((p) => p.id === body.data.id)!;
      assert.equal(record.subject, user.id);
      assert.equal(record.url, `https://x.com/maker/status/${body.data.id}`);
      const page = await (await fetch(`${running.url}/`)).text();
      assert.ok(page.includes('First &#60;b&#62;post&#60;/b&#62;'), 'the page shows the text, escaped');
    });

    it('refuses the same text twice from one user with 403 duplicate content, but not from another user', async () => {
      const a = account();
      assert.equal((await tweet(a.token.accessToken, { text: 'Same  text ' })).status, 201);
      const again = await tweet(a.token.accessToken, { text: 'Same text' });
      assert.equal(again.status, 403);
      assert.deepEqual(await again.json(), {
        title: 'Forbidden',
        type: 'about:blank',
        status: 403,
        detail: 'You are not allowed to create a Tweet with duplicate content.',
      });
      assert.equal((await tweet(account().token.accessToken, { text: 'Same text' })).status, 201);
    });

    it('sends x-rate-limit and 24-hour headers, and 429 once the 15-minute limit is used', async () => {
      running.sandbox.knobs.setQuota('x.tweets.user15m', 2);
      try {
        const { token } = account();
        const first = await tweet(token.accessToken, { text: 'one' });
        assert.equal(first.headers.get('x-rate-limit-limit'), '2');
        assert.equal(first.headers.get('x-rate-limit-remaining'), '1');
        assert.match(first.headers.get('x-rate-limit-reset')!, /^\d{10}$/);
        assert.ok(first.headers.has('x-user-limit-24hour-remaining'));
        assert.ok(first.headers.has('x-app-limit-24hour-reset'));
        assert.equal((await tweet(token.accessToken, { text: 'two' })).status, 201);
        const third = await tweet(token.accessToken, { text: 'three' });
        assert.equal(third.status, 429);
        assert.equal(third.headers.get('x-rate-limit-remaining'), '0');
        assert.deepEqual(await third.json(), {
          title: 'Too Many Requests',
          type: 'about:blank',
          status: 429,
          detail: 'Too Many Requests',
        });
        running.sandbox.knobs.advanceClock(15 * 60_000);
        assert.equal((await tweet(token.accessToken, { text: 'four' })).status, 201, 'the window resets');
      } finally {
        running.sandbox.knobs.setQuota('x.tweets.user15m', 100);
      }
    });
  });

  describe('posts as X serves them', () => {
    const T_CO = 'https://t\\.co/[A-Za-z0-9]{10}';
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const get = (token: string, path: string) => fetch(`${base}${path}`, { headers: bearer(token) });

    async function upload(token: string, name: 'sample.png' | 'sample.gif'): Promise<string> {
      const bytes = await (await fetch(`${running.url}/_sandbox/media/${name}`)).arrayBuffer();
      const form = new FormData();
      form.set('media', new Blob([bytes]), name);
      form.set('media_category', name === 'sample.gif' ? 'tweet_gif' : 'tweet_image');
      const res = await fetch(`${base}/2/media/upload`, {
        method: 'POST',
        headers: bearer(token),
        body: form,
      });
      assert.equal(res.status, 200);
      return (await res.json()).data.id;
    }

    async function uploadVideo(token: string): Promise<string> {
      const json = { ...bearer(token), 'content-type': 'application/json' };
      const init = await fetch(`${base}/2/media/upload/initialize`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ media_type: 'video/mp4', total_bytes: 16, media_category: 'tweet_video' }),
      });
      const { id } = (await init.json()).data;
      const chunk = new FormData();
      chunk.set('media', new Blob([new Uint8Array(16)]), 'c');
      chunk.set('segment_index', '0');
      await (await fetch(`${base}/2/media/upload/${id}/append`, {
        method: 'POST',
        headers: bearer(token),
        body: chunk,
      }))
        .body?.cancel();
      await (await fetch(`${base}/2/media/upload/${id}/finalize`, { method: 'POST', headers: bearer(token) }))
        .body
        ?.cancel();
      const status = await get(token, `/2/media/upload?command=STATUS&media_id=${id}`);
      assert.equal((await status.json()).data.processing_info.state, 'succeeded');
      return id;
    }

    async function create(token: string, body: unknown): Promise<{ id: string; text: string }> {
      const res = await tweet(token, body);
      assert.equal(res.status, 201);
      return (await res.json()).data;
    }

    it('serves each URL as a t.co link in the create answer, and records the text as sent', async () => {
      const { token } = account();
      const text = 'Read https://example.com/a/very/long/path?q=1 and example.org now';
      const created = await create(token.accessToken, { text });
      assert.match(created.text, new RegExp(`^Read ${T_CO} and ${T_CO} now$`));
      assert.equal(running.sandbox.knobs.published('x').find((p) => p.id === created.id)!.text, text);
    });

    it('appends a t.co media link to a post with media, and serves a media-only post as that link alone', async () => {
      const { token } = account();
      const withText = await create(token.accessToken, {
        text: 'Look',
        media: { media_ids: [await upload(token.accessToken, 'sample.png')] },
      });
      assert.match(withText.text, new RegExp(`^Look ${T_CO}$`));
      const mediaOnly = await create(token.accessToken, {
        media: { media_ids: [await upload(token.accessToken, 'sample.png')] },
      });
      assert.match(mediaOnly.text, new RegExp(`^${T_CO}$`));
      assert.equal(running.sandbox.knobs.published('x').find((p) => p.id === mediaOnly.id)!.text, '');
    });

    it('GET /2/tweets/:id serves the t.co text, created_at, attachments.media_keys and includes.media', async () => {
      const { token } = account();
      const mediaId = await upload(token.accessToken, 'sample.png');
      const created = await create(token.accessToken, {
        text: 'A photo of https://example.com',
        media: { media_ids: [mediaId] },
      });
      const stored = running.sandbox.x.state.posts.find((p) => p.id === created.id)!;
      const res = await get(
        token.accessToken,
        `/2/tweets/${created.id}?tweet.fields=created_at,attachments&expansions=attachments.media_keys`,
      );
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        data: {
          id: created.id,
          text: created.text,
          edit_history_tweet_ids: [created.id],
          created_at: stored.createdAt.toISOString(),
          attachments: { media_keys: [`3_${mediaId}`] },
        },
        includes: { media: [{ media_key: `3_${mediaId}`, type: 'photo' }] },
      });
      const plain = await get(token.accessToken, `/2/tweets/${created.id}`);
      assert.deepEqual(await plain.json(), {
        data: { id: created.id, text: created.text, edit_history_tweet_ids: [created.id] },
      });
    });

    it('gives media keys 3_ for images, 16_ for GIFs and 7_ for videos', async () => {
      const { token } = account();
      const ids = {
        photo: await upload(token.accessToken, 'sample.png'),
        animated_gif: await upload(token.accessToken, 'sample.gif'),
        video: await uploadVideo(token.accessToken),
      };
      for (const [type, mediaId] of Object.entries(ids)) {
        const created = await create(token.accessToken, { media: { media_ids: [mediaId] } });
        const res = await get(token.accessToken, `/2/tweets/${created.id}?expansions=attachments.media_keys`);
        const prefix = { photo: '3', animated_gif: '16', video: '7' }[type];
        assert.deepEqual((await res.json()).includes.media, [{ media_key: `${prefix}_${mediaId}`, type }]);
      }
    });

    it("GET /2/tweets/:id answers an unknown id with 200 and X's resource-not-found error, and refuses bad parameters", async () => {
      const { token } = account();
      const id = '1999999999999999999';
      const res = await get(token.accessToken, `/2/tweets/${id}`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        errors: [{
          value: id,
          detail: `Could not find tweet with id: [${id}].`,
          title: 'Not Found Error',
          resource_type: 'tweet',
          parameter: 'id',
          resource_id: id,
          type: 'https://api.twitter.com/2/problems/resource-not-found',
        }],
      });
      for (const path of ['/2/tweets/abc', `/2/tweets/${id}?tweet.fields=colour`, `/2/tweets/${id}?ids=1`]) {
        const bad = await get(token.accessToken, path);
        assert.equal(bad.status, 400, path);
        assert.equal((await bad.json()).type, INVALID_REQUEST);
      }
      const readOnly = account({ scopes: ['tweet.write'] });
      assert.equal(
        (await get(readOnly.token.accessToken, `/2/tweets/${id}`)).status,
        403,
        'needs tweet.read',
      );
    });

    it('serves the timeline with t.co text, attachments, includes.media and entities.urls when asked', async () => {
      const { token, user } = account({ username: 'linker' });
      const photo = await upload(token.accessToken, 'sample.png');
      const text =
        'Docs at https://example.com/a and 日本 https://www.example.org/a/rather/long/path/to/somewhere';
      const withLinks = await create(token.accessToken, { text, media: { media_ids: [photo] } });
      const gif = await upload(token.accessToken, 'sample.gif');
      const mediaOnly = await create(token.accessToken, { media: { media_ids: [gif] } });

      const res = await get(
        token.accessToken,
        `/2/users/${user.id}/tweets?max_results=5&tweet.fields=created_at,attachments,entities&expansions=attachments.media_keys`,
      );
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.deepEqual(
        body.data.map((p: { id: string }) => p.id),
        [mediaOnly.id, withLinks.id],
        'newest first',
      );
      const [gifPost, linkPost] = body.data;
      assert.equal(gifPost.text, mediaOnly.text);
      assert.deepEqual(gifPost.attachments, { media_keys: [`16_${gif}`] });
      assert.equal(linkPost.text, withLinks.text);
      assert.deepEqual(linkPost.attachments, { media_keys: [`3_${photo}`] });
      assert.deepEqual(body.includes.media, [
        { media_key: `16_${gif}`, type: 'animated_gif' },
        { media_key: `3_${photo}`, type: 'photo' },
      ]);

      const urls = linkPost.entities.urls;
      const chars = Array.from(linkPost.text as string);
      for (const entity of urls) {
        assert.equal(chars.slice(entity.start, entity.end).join(''), entity.url, 'start/end are code points');
      }
      assert.deepEqual(urls.map((u: { expanded_url: string }) => u.expanded_url), [
        'https://example.com/a',
        'https://www.example.org/a/rather/long/path/to/somewhere',
        `https://x.com/linker/status/${withLinks.id}/photo/1`,
      ]);
      assert.deepEqual(urls.map((u: { display_url: string }) => u.display_url), [
        'example.com/a',
        'example.org/a/rather/long/…',
        `pic.x.com/${urls[2].url.slice('https://t.co/'.length)}`,
      ]);
      assert.equal(urls[2].media_key, `3_${photo}`);

      const bare = await (await get(token.accessToken, `/2/users/${user.id}/tweets?max_results=5`)).json();
      assert.equal(bare.includes, undefined);
      assert.ok(bare.data.every((p: Record<string, unknown>) => !('attachments' in p) && !('entities' in p)));
    });

    it('refuses the same linked text twice as a duplicate, but never two media-only posts', async () => {
      const { token } = account();
      const text = 'see https://example.com/dup';
      await create(token.accessToken, { text });
      assert.equal((await tweet(token.accessToken, { text })).status, 403);
      for (let i = 0; i < 2; i++) {
        await create(token.accessToken, {
          media: { media_ids: [await upload(token.accessToken, 'sample.png')] },
        });
      }
    });
  });

  describe('OAuth token endpoint', () => {
    it('requires HTTP Basic for the confidential client and a form body', async () => {
      const { token } = account();
      const noBasic = await tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: token.refreshToken!,
        client_id: 'sandbox-x-client',
      }, {});
      assert.equal(noBasic.status, 401);
      assert.deepEqual(await noBasic.json(), {
        error: 'unauthorized_client',
        error_description: 'Missing valid authorization header',
      });
      const json = await fetch(`${base}/2/oauth2/token`, {
        method: 'POST',
        headers: { authorization: BASIC, 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: token.refreshToken }),
      });
      assert.equal(json.status, 400);
    });

    it('rotates refresh tokens; reusing a spent one is refused and revokes the family', async () => {
      const { token } = account();
      const first = await tokenRequest({ grant_type: 'refresh_token', refresh_token: token.refreshToken! });
      assert.equal(first.status, 200);
      const pair = await first.json();
      assert.equal(pair.token_type, 'bearer');
      assert.equal(pair.expires_in, 7200);
      assert.notEqual(pair.refresh_token, token.refreshToken);
      assert.equal((await tweet(pair.access_token, { text: 'with the new token' })).status, 201);

      const reuse = await tokenRequest({ grant_type: 'refresh_token', refresh_token: token.refreshToken! });
      assert.equal(reuse.status, 400);
      assert.deepEqual(await reuse.json(), {
        error: 'invalid_request',
        error_description: 'Value passed for the token was invalid.',
      });
      assert.equal(
        (await tweet(pair.access_token, { text: 'after reuse' })).status,
        401,
        'the family is revoked',
      );
    });

    it('exchanges a PKCE code once, only with the right verifier, within 30 seconds', async () => {
      const verifier = 'v'.repeat(50);
      const digest = new Uint8Array(
        await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)),
      );
      const challenge = btoa(String.fromCharCode(...digest)).replace(/\+/g, '-').replace(/\//g, '_').replace(
        /=+$/,
        '',
      );
      const authorize = async () => {
        const url = new URL(`${base}/i/oauth2/authorize`);
        for (
          const [k, v] of Object.entries({
            response_type: 'code',
            client_id: 'sandbox-x-client',
            redirect_uri: 'https://app.example.com/cb',
            scope: 'tweet.read tweet.write users.read offline.access',
            state: 'abc',
            code_challenge: challenge,
            code_challenge_method: 'S256',
          })
        ) url.searchParams.set(k, v);
        const res = await fetch(url, { redirect: 'manual' });
        assert.equal(res.status, 302);
        return new URL(res.headers.get('location')!).searchParams.get('code')!;
      };
      const exchange = (code: string, codeVerifier = verifier) =>
        tokenRequest({
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'https://app.example.com/cb',
          code_verifier: codeVerifier,
        });

      const code = await authorize();
      assert.equal((await exchange(code, 'w'.repeat(50))).status, 400, 'wrong verifier');
      const good = await exchange(await authorize());
      assert.equal(good.status, 200);
      assert.ok((await good.json()).refresh_token, 'offline.access gives a refresh token');
      const late = await authorize();
      running.sandbox.knobs.advanceClock(31_000);
      assert.equal((await exchange(late)).status, 400, 'expired after 30 s');
    });
  });

  describe('media upload', () => {
    it('refuses an upload without media_category and a finalize with missing bytes', async () => {
      const { token } = account();
      const auth = { authorization: `Bearer ${token.accessToken}` };
      const form = new FormData();
      form.set('media', new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])]), 'a.png');
      const noCategory = await fetch(`${base}/2/media/upload`, { method: 'POST', headers: auth, body: form });
      assert.equal(noCategory.status, 400);
      assert.ok((await noCategory.json()).errors[0].message.includes('media_category'));

      const init = await fetch(`${base}/2/media/upload/initialize`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ media_type: 'video/mp4', total_bytes: 100, media_category: 'tweet_video' }),
      });
      const { data } = await init.json();
      const chunk = new FormData();
      chunk.set('media', new Blob([new Uint8Array(40)]), 'c');
      chunk.set('segment_index', '0');
      assert.equal(
        (await fetch(`${base}/2/media/upload/${data.id}/append`, {
          method: 'POST',
          headers: auth,
          body: chunk,
        })).status,
        200,
      );
      const fin = await fetch(`${base}/2/media/upload/${data.id}/finalize`, {
        method: 'POST',
        headers: auth,
      });
      assert.equal(fin.status, 400);
    });

    it('refuses bytes that are not an image for tweet_image', async () => {
      const { token } = account();
      const form = new FormData();
      form.set('media', new Blob([new TextEncoder().encode('<html>not an image</html>')]), 'a.png');
      form.set('media_category', 'tweet_image');
      const res = await fetch(`${base}/2/media/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.accessToken}` },
        body: form,
      });
      assert.equal(res.status, 400);
    });
  });

  describe('faults', () => {
    it("injects a 503 in X's envelope for the next matching request only", async () => {
      const { token } = account();
      await fetch(`${running.url}/_sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ platform: 'x', mode: 'status', status: 503, path: '/2/tweets' }),
      });
      const failed = await tweet(token.accessToken, { text: 'during the outage' });
      assert.equal(failed.status, 503);
      assert.equal((await failed.json()).title, 'Service Unavailable');
      assert.equal((await tweet(token.accessToken, { text: 'during the outage' })).status, 201);
    });

    it('hangs a timeout fault until the client gives up', async () => {
      const { token } = account();
      running.sandbox.knobs.injectFault({ platform: 'x', mode: 'timeout', path: '/2/users/me' });
      const controller = new AbortController();
      const pending = fetch(`${base}/2/users/me`, {
        headers: { authorization: `Bearer ${token.accessToken}` },
        signal: controller.signal,
      });
      await waitFor(() =>
        running.sandbox.knobs.requests('x').some((r) => r.path === '/2/users/me' && r.fault === 'timeout')
      );
      controller.abort();
      await assert.rejects(pending, (err: Error) => err.name === 'AbortError');
    });

    it('drops the connection after publishing: no answer, but the post is live', async () => {
      const { token } = account();
      running.sandbox.knobs.injectFault({ platform: 'x', mode: 'drop', path: '/2/tweets' });
      const text = `dropped ${crypto.randomUUID()}`;
      // A fresh connection each time: some fetch implementations re-send on a reused one.
      await assert.rejects(tweet(token.accessToken, { text }, { connection: 'close' }));
      assert.equal(running.sandbox.knobs.published('x').filter((p) => p.text === text).length, 1);
    });
  });
});
