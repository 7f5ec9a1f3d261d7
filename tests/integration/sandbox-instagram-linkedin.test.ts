/**
 * The Instagram and LinkedIn sandboxes refuse malformed requests the way the platforms do
 * (docs/platform-apis.md §4), answering with the platforms' own status codes and error envelopes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type SocialSandbox, startSocialSandbox } from '../support/social-sandbox.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
let sb: SocialSandbox;
before(async () => {
  sb = await startSocialSandbox();
});
after(async () => {
  await sb?.close();
});

interface GraphAnswer {
  status: number;
  headers: Headers;
  body: Record<string, any>;
  text: string;
}

async function call(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<GraphAnswer> {
  const res = await fetch(`${sb.url}${path}`, { method, headers: init.headers, body: init.body });
  const text = await res.text();
  let body: Record<string, any> = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = {};
  }
  return { status: res.status, headers: res.headers, body, text };
}

describe('Instagram sandbox', () => {
  const form = (params: Record<string, string>) => ({
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  const account = () => {
    const { userId, token } = sb.instagram.createAccount();
    return { userId, token: token.accessToken };
  };
  const createContainer = (userId: string, token: string, params: Record<string, string>) =>
    call('POST', `/instagram/v25.0/${userId}/media`, form({ access_token: token, ...params }));
  const publish = (userId: string, token: string, creationId: string) =>
    call(
      'POST',
      `/instagram/v25.0/${userId}/media_publish`,
      form({ access_token: token, creation_id: creationId }),
    );
  const assertGraphError = (answer: GraphAnswer, code: number, subcode?: number) => {
    assert.equal(answer.status, 400, answer.text);
    assert.equal(answer.body.error?.code, code, answer.text);
    if (subcode !== undefined) assert.equal(answer.body.error?.error_subcode, subcode, answer.text);
    assert.equal(typeof answer.body.error?.fbtrace_id, 'string');
    assert.equal(typeof answer.body.error?.message, 'string');
  };

  it('refuses a missing, unknown, expired or revoked token with the Graph envelope (code 190)', async () => {
    const { userId, token } = account();
    const missing = await call(
      'POST',
      `/instagram/v25.0/${userId}/media`,
      form({ image_url: 'https://cdn.example.com/a.jpg' }),
    );
    assertGraphError(missing, 2500);
    assertGraphError(
      await createContainer(userId, 'bogus', { image_url: 'https://cdn.example.com/a.jpg' }),
      190,
    );
    sb.knobs.tokens.expire('instagram', token);
    assertGraphError(
      await createContainer(userId, token, { image_url: 'https://cdn.example.com/a.jpg' }),
      190,
      463,
    );
    const other = account();
    sb.knobs.tokens.revoke('instagram', other.token);
    assertGraphError(
      await createContainer(other.userId, other.token, { image_url: 'https://cdn.example.com/a.jpg' }),
      190,
      458,
    );
  });

  it('takes the token as a Bearer header too, and answers on versioned and unversioned paths', async () => {
    const { userId, token } = account();
    const res = await call('POST', `/instagram/${userId}/media`, {
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ image_url: 'https://cdn.example.com/a.jpg', caption: 'hi' }),
    });
    assert.equal(res.status, 200, res.text);
    assert.match(res.body.id, /^\d{17}$/);
  });

  it("refuses another account's id and a token without the publish permission", async () => {
    const a = account();
    const b = account();
    assertGraphError(
      await createContainer(b.userId, a.token, { image_url: 'https://cdn.example.com/a.jpg' }),
      100,
      33,
    );
    const { userId, token } = sb.instagram.createAccount({ scopes: ['instagram_business_basic'] });
    assertGraphError(
      await createContainer(userId, token.accessToken, { image_url: 'https://cdn.example.com/a.jpg' }),
      10,
    );
  });

  it('refuses a text-only container', async () => {
    const { userId, token } = account();
    assertGraphError(await createContainer(userId, token, { caption: 'Just words' }), 100);
    assert.equal(sb.instagram.containers().filter((c) => c.owner === userId).length, 0);
  });

  it('refuses image URLs that are not https or not JPEG', async () => {
    const { userId, token } = account();
    assertGraphError(
      await createContainer(userId, token, { image_url: 'http://cdn.example.com/a.jpg' }),
      9004,
      2207052,
    );
    assertGraphError(
      await createContainer(userId, token, { image_url: 'https://cdn.example.com/a.png' }),
      36001,
      2207005,
    );
  });

  it('checks the image by its content when asked to fetch it: JPEG bytes pass, PNG bytes fail', async () => {
    sb.knobs.setSettings({ 'instagram.fetchMedia': true, 'instagram.requireHttps': false });
    try {
      const { userId, token } = account();
      const ok = await createContainer(userId, token, { image_url: `${sb.url}/_sandbox/media/sample.jpg` });
      assert.equal(ok.status, 200, ok.text);
      const png = await createContainer(userId, token, {
        image_url: `${sb.url}/_sandbox/media/sample.png?x=.jpg`,
      });
      assertGraphError(png, 36001, 2207005);
      assertGraphError(
        await createContainer(userId, token, { image_url: `${sb.url}/_sandbox/media/none.jpg` }),
        9004,
        2207052,
      );
    } finally {
      sb.knobs.setSettings({ 'instagram.fetchMedia': false, 'instagram.requireHttps': true });
    }
  });

  it('refuses captions over 2200 characters, 30 hashtags or 20 @tags', async () => {
    const { userId, token } = account();
    const image = { image_url: 'https://cdn.example.com/a.jpg' };
    const long = await createContainer(userId, token, { ...image, caption: 'a'.repeat(2201) });
    assertGraphError(long, 36004, 2207010);
    assert.match(long.body.error.message, /2201 characters/);
    const tags = Array.from({ length: 31 }, (_, i) => `#t${i}`).join(' ');
    assertGraphError(await createContainer(userId, token, { ...image, caption: tags }), 100);
    const mentions = Array.from({ length: 21 }, (_, i) => `@u${i}`).join(' ');
    assertGraphError(await createContainer(userId, token, { ...image, caption: mentions }), 100, 2207040);
    const fine = await createContainer(userId, token, {
      ...image,
      caption: `${tags.slice(0, tags.lastIndexOf(' '))} ok`,
    });
    assert.equal(fine.status, 200, fine.text);
  });

  it('refuses carousels outside 2–10 items, captions on items, and unknown children', async () => {
    const { userId, token } = account();
    const child = await createContainer(userId, token, {
      image_url: 'https://cdn.example.com/c.jpg',
      is_carousel_item: 'true',
    });
    assert.equal(child.status, 200);
    assertGraphError(
      await createContainer(userId, token, { media_type: 'CAROUSEL', children: child.body.id }),
      100,
      2207028,
    );
    assertGraphError(
      await createContainer(userId, token, {
        image_url: 'https://cdn.example.com/c.jpg',
        is_carousel_item: 'true',
        caption: 'no',
      }),
      100,
    );
    assertGraphError(
      await createContainer(userId, token, { media_type: 'CAROUSEL', children: `${child.body.id},123` }),
      100,
    );
    const eleven = Array.from({ length: 11 }, () => child.body.id).join(',');
    assertGraphError(
      await createContainer(userId, token, { media_type: 'CAROUSEL', children: eleven }),
      100,
      2207028,
    );
  });

  it('walks a reel container IN_PROGRESS → FINISHED → PUBLISHED, refusing to publish early or twice', async () => {
    const { userId, token } = account();
    const reel = await createContainer(userId, token, {
      media_type: 'REELS',
      video_url: 'https://cdn.example.com/r.mp4',
      caption: 'reel',
    });
    const status = async () =>
      (await call('GET', `/instagram/v25.0/${reel.body.id}?fields=status_code,status&access_token=${token}`))
        .body;
    assertGraphError(await publish(userId, token, reel.body.id), 9007, 2207027);
    assert.equal((await status()).status_code, 'IN_PROGRESS');
    assert.equal((await status()).status_code, 'IN_PROGRESS');
    assert.equal((await status()).status_code, 'FINISHED');
    const first = await publish(userId, token, reel.body.id);
    assert.equal(first.status, 200, first.text);
    assert.equal((await status()).status_code, 'PUBLISHED');
    assertGraphError(await publish(userId, token, reel.body.id), 24, 2207008);
    assert.equal(sb.instagram.media().filter((m) => m.owner === userId).length, 1, 'never a second post');
    const media = await call(
      'GET',
      `/instagram/v25.0/${first.body.id}?fields=permalink,media_type&access_token=${token}`,
    );
    assert.match(media.body.permalink, /^https:\/\/www\.instagram\.com\/p\/\w+\/$/);
  });

  it('reports a container whose media failed as ERROR with the subcode in status', async () => {
    const { userId, token } = account();
    sb.instagram.setMediaBehavior('https://cdn.example.com/bad.mp4', { outcome: 'error', subcode: 2207026 });
    const reel = await createContainer(userId, token, {
      media_type: 'REELS',
      video_url: 'https://cdn.example.com/bad.mp4',
    });
    const status = await call(
      'GET',
      `/instagram/v25.0/${reel.body.id}?fields=status_code,status&access_token=${token}`,
    );
    assert.equal(status.body.status_code, 'ERROR');
    assert.match(status.body.status, /2207026/);
  });

  it('expires a container after 24 hours: EXPIRED, and publishing it fails with 2207020', async () => {
    const { userId, token } = account();
    const image = await createContainer(userId, token, { image_url: 'https://cdn.example.com/e.jpg' });
    sb.knobs.advanceClock(DAY_MS + 1000);
    try {
      const status = await call(
        'GET',
        `/instagram/v25.0/${image.body.id}?fields=status_code&access_token=${token}`,
      );
      assert.equal(status.body.status_code, 'EXPIRED');
      assertGraphError(await publish(userId, token, image.body.id), -2, 2207020);
    } finally {
      sb.knobs.advanceClock(-(DAY_MS + 1000));
    }
  });

  it('enforces the publish quota (9/2207042) and reports it through content_publishing_limit', async () => {
    const { userId, token } = account();
    sb.knobs.setQuota('instagram.publish', 1);
    try {
      const one = await createContainer(userId, token, { image_url: 'https://cdn.example.com/1.jpg' });
      const two = await createContainer(userId, token, { image_url: 'https://cdn.example.com/2.jpg' });
      assert.equal((await publish(userId, token, one.body.id)).status, 200);
      assertGraphError(await publish(userId, token, two.body.id), 9, 2207042);
      const limit = await call(
        'GET',
        `/instagram/v25.0/${userId}/content_publishing_limit?fields=quota_usage,config&access_token=${token}`,
      );
      assert.deepEqual(limit.body, {
        data: [{ quota_usage: 1, config: { quota_total: 1, quota_duration: 86400 } }],
      });
    } finally {
      sb.knobs.setQuota('instagram.publish', 50);
    }
  });

  it('sends x-app-usage and x-business-use-case-usage, and throttles an account with 80002', async () => {
    const { userId, token } = account();
    const ok = await call('GET', `/instagram/v25.0/${userId}/media?access_token=${token}`);
    assert.equal(ok.status, 200);
    assert.equal(typeof JSON.parse(ok.headers.get('x-app-usage')!).call_count, 'number');
    const usage = JSON.parse(ok.headers.get('x-business-use-case-usage')!);
    assert.equal(usage[userId][0].type, 'instagram');
    sb.knobs.setQuota('instagram.accountCalls', 1);
    try {
      const limited = await call('GET', `/instagram/v25.0/${userId}/media?access_token=${token}`);
      assertGraphError(limited, 80002);
      const regain = JSON.parse(limited.headers.get('x-business-use-case-usage')!)[userId][0]
        .estimated_time_to_regain_access;
      assert.ok(regain > 0);
    } finally {
      sb.knobs.setQuota('instagram.accountCalls', 4800);
    }
  });

  it('refreshes only a long-lived token at least 24 hours old', async () => {
    const { token } = account();
    const refresh = () =>
      call('GET', `/instagram/refresh_access_token?grant_type=ig_refresh_token&access_token=${token}`);
    assertGraphError(await refresh(), 100);
    sb.knobs.advanceClock(DAY_MS);
    try {
      const fresh = await refresh();
      assert.equal(fresh.status, 200, fresh.text);
      assert.equal(fresh.body.token_type, 'bearer');
      assert.equal(fresh.body.expires_in, 60 * 24 * 60 * 60);
      assert.notEqual(fresh.body.access_token, token);
    } finally {
      sb.knobs.advanceClock(-DAY_MS);
    }
  });

  it('exchanges an authorization code once, with the client secret, sending user_id as an exact number', async () => {
    const userId = '17841455555555555';
    sb.knobs.setSettings({ 'instagram.authorizeAs': userId });
    const client = sb.knobs.client('instagram');
    const redirect = 'https://app.example.com/cb';
    const res = await fetch(
      `${sb.url}/instagram/oauth/authorize?client_id=${client.clientId}&redirect_uri=${redirect}&response_type=code&scope=instagram_business_basic`,
      { redirect: 'manual' },
    );
    await res.body?.cancel();
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    const exchange = (secret: string) =>
      call(
        'POST',
        '/instagram/oauth/access_token',
        form({
          client_id: client.clientId,
          client_secret: secret,
          grant_type: 'authorization_code',
          redirect_uri: redirect,
          code,
        }),
      );
    assert.equal((await exchange('wrong')).status, 400);
    const ok = await exchange(client.clientSecret);
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, new RegExp(`"user_id":${userId}[,}]`));
    assert.equal((await exchange(client.clientSecret)).status, 400, 'a code works once');
  });
});

describe('LinkedIn sandbox', () => {
  const member = (scopes?: string[]) => {
    const { urn, token } = sb.linkedin.createMember(scopes ? { scopes } : {});
    return { urn, token: token.accessToken };
  };
  const headers = (token: string, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${token}`,
    'linkedin-version': '202601',
    'x-restli-protocol-version': '2.0.0',
    'content-type': 'application/json',
    ...extra,
  });
  const postBody = (author: string, commentary: string, extra: Record<string, unknown> = {}) => ({
    author,
    commentary,
    visibility: 'PUBLIC',
    distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
    lifecycleState: 'PUBLISHED',
    isReshareDisabledByAuthor: false,
    ...extra,
  });
  const createPost = (token: string, body: unknown, extra: Record<string, string> = {}) =>
    call('POST', '/linkedin/rest/posts', { headers: headers(token, extra), body: JSON.stringify(body) });
  const unique = (text: string) => `${text} ${crypto.randomUUID().slice(0, 8)}`;

  it('answers a good post with 201, an empty body and the percent-encoded URN in x-restli-id', async () => {
    const { urn, token } = member();
    const res = await createPost(token, postBody(urn, unique('Hello')));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.text, '');
    assert.match(res.headers.get('x-restli-id')!, /^urn%3Ali%3Ashare%3A\d+$/);
  });

  it('refuses a missing LinkedIn-Version (400 VERSION_MISSING), a retired one (426) and a missing protocol header', async () => {
    const { urn, token } = member();
    const missing = await call('POST', '/linkedin/rest/posts', {
      headers: {
        authorization: `Bearer ${token}`,
        'x-restli-protocol-version': '2.0.0',
        'content-type': 'application/json',
      },
      body: JSON.stringify(postBody(urn, unique('x'))),
    });
    assert.deepEqual([missing.status, missing.body.code], [400, 'VERSION_MISSING']);
    const retired = await createPost(token, postBody(urn, unique('x')), { 'linkedin-version': '202401' });
    assert.deepEqual(retired.body, {
      status: 426,
      code: 'NONEXISTENT_VERSION',
      message: 'Requested version 202401 is not active',
    });
    const future = await createPost(token, postBody(urn, unique('x')), { 'linkedin-version': '209912' });
    assert.equal(future.status, 426);
    const noProtocol = await call('POST', '/linkedin/rest/posts', {
      headers: {
        authorization: `Bearer ${token}`,
        'linkedin-version': '202601',
        'content-type': 'application/json',
      },
      body: JSON.stringify(postBody(urn, unique('x'))),
    });
    assert.equal(noProtocol.status, 400);
    assert.equal(sb.linkedin.posts().filter((p) => p.author === urn).length, 0);
  });

  it('refuses bad tokens with 401 and the service error codes 65604, 65600, 65602, 65601', async () => {
    const { urn, token } = member();
    const noToken = await call('POST', '/linkedin/rest/posts', {
      headers: {
        'linkedin-version': '202601',
        'x-restli-protocol-version': '2.0.0',
        'content-type': 'application/json',
      },
      body: JSON.stringify(postBody(urn, unique('x'))),
    });
    assert.deepEqual([noToken.status, noToken.body.serviceErrorCode], [401, 65604]);
    const bogus = await createPost('bogus', postBody(urn, unique('x')));
    assert.deepEqual([bogus.status, bogus.body.serviceErrorCode], [401, 65600]);
    sb.knobs.tokens.expire('linkedin', token);
    const expired = await createPost(token, postBody(urn, unique('x')));
    assert.deepEqual([expired.status, expired.body.serviceErrorCode, expired.body.code], [
      401,
      65602,
      'EXPIRED_ACCESS_TOKEN',
    ]);
    const other = member();
    sb.knobs.tokens.revoke('linkedin', other.token);
    const revoked = await createPost(other.token, postBody(other.urn, unique('x')));
    assert.deepEqual([revoked.status, revoked.body.serviceErrorCode], [401, 65601]);
  });

  it('refuses an author the token may not post as (403 ACCESS_DENIED) and a malformed author URN (422)', async () => {
    const a = member();
    const b = member();
    const denied = await createPost(a.token, postBody(b.urn, unique('x')));
    assert.deepEqual([denied.status, denied.body.code], [403, 'ACCESS_DENIED']);
    const noScope = member(['openid']);
    assert.equal((await createPost(noScope.token, postBody(noScope.urn, unique('x')))).status, 403);
    const org = await createPost(a.token, postBody('urn:li:organization:1', unique('x')));
    assert.equal(org.status, 403, 'an organization needs w_organization_social and an admin role');
    const bad = await createPost(a.token, postBody('person:abc', unique('x')));
    assert.equal(bad.status, 422);
  });

  it('validates the schema: enums, the [] distribution arrays, unknown fields, content without commentary', async () => {
    const { urn, token } = member();
    const cases: [string, unknown][] = [
      ['visibility', postBody(urn, unique('x'), { visibility: 'EVERYONE' })],
      ['distribution', postBody(urn, unique('x'), { distribution: { feedDistribution: 'MAIN_FEED' } })],
      [
        'feedDistribution',
        postBody(urn, unique('x'), {
          distribution: { feedDistribution: 'ALL', targetEntities: [], thirdPartyDistributionChannels: [] },
        }),
      ],
      ['lifecycleState', postBody(urn, unique('x'), { lifecycleState: 'LIVE' })],
      ['unknown field', postBody(urn, unique('x'), { text: 'hello' })],
      ['empty commentary', postBody(urn, '')],
      [
        'content of an image never uploaded',
        postBody(urn, unique('x'), { content: { media: { id: 'urn:li:image:nope' } } }),
      ],
    ];
    for (const [what, body] of cases) {
      const res = await createPost(token, body);
      assert.equal(res.status, 422, `${what}: ${res.text}`);
      assert.ok(res.body.errorDetails.inputErrors.length > 0, what);
    }
    const notJson = await call('POST', '/linkedin/rest/posts', {
      headers: headers(token, { 'content-type': 'text/plain' }),
      body: 'x',
    });
    assert.equal(notJson.status, 400);
    assert.equal(sb.linkedin.posts().filter((p) => p.author === urn).length, 0);
  });

  it('refuses commentary over 3000 characters with 400 FIELD_ARRAY_SIZE_TOO_HIGH', async () => {
    const { urn, token } = member();
    const res = await createPost(token, postBody(urn, 'a'.repeat(3001)));
    assert.equal(res.status, 400);
    assert.equal(res.body.errorDetails.inputErrors[0].code, 'FIELD_ARRAY_SIZE_TOO_HIGH');
    assert.match(res.body.message, /3001 characters/);
    assert.equal((await createPost(token, postBody(urn, 'a'.repeat(3000)))).status, 201);
  });

  it('refuses the same author and commentary again with 422 DUPLICATE_POST naming the original', async () => {
    const { urn, token } = member();
    const text = unique('Twice');
    const first = await createPost(token, postBody(urn, text));
    const second = await createPost(token, postBody(urn, text));
    assert.equal(second.status, 422);
    assert.equal(second.body.errorDetails.inputErrors[0].code, 'DUPLICATE_POST');
    assert.ok(second.body.message.endsWith(decodeURIComponent(first.headers.get('x-restli-id')!)));
    const other = member();
    assert.equal(
      (await createPost(other.token, postBody(other.urn, text))).status,
      201,
      'another author may say the same',
    );
  });

  /** An image URN ready for a post: initializeUpload, then the bytes PUT with the token. */
  const uploadedImage = async (token: string, owner: string) => {
    const init = await call('POST', '/linkedin/rest/images?action=initializeUpload', {
      headers: headers(token),
      body: JSON.stringify({ initializeUploadRequest: { owner } }),
    });
    assert.equal(init.status, 200, init.text);
    const put = await fetch(init.body.value.uploadUrl, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0]),
    });
    assert.equal(put.status, 201);
    await put.body?.cancel();
    return init.body.value.image as string;
  };

  it('judges a duplicate on author and commentary whatever the media, naming the original URN as LinkedIn does', async () => {
    const { urn, token } = member();
    const text = unique('With a picture');
    const withImage = postBody(urn, text, { content: { media: { id: await uploadedImage(token, urn) } } });
    const first = await createPost(token, withImage);
    assert.equal(first.status, 201, first.text);
    const original = decodeURIComponent(first.headers.get('x-restli-id')!);
    const expected = {
      errorDetailType: 'com.linkedin.common.error.BadRequest',
      message:
        `com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of ${original}`,
      errorDetails: {
        inputErrors: [{ description: 'Duplicate post is detected', input: {}, code: 'DUPLICATE_POST' }],
      },
      status: 422,
    };
    const textOnly = await createPost(token, postBody(urn, text));
    assert.deepEqual([textOnly.status, textOnly.body], [422, expected], 'the same text without the image');
    const otherImage = postBody(urn, text, { content: { media: { id: await uploadedImage(token, urn) } } });
    const again = await createPost(token, otherImage);
    assert.deepEqual([again.status, again.body], [422, expected], 'the same text with a new image URN');
    assert.equal(sb.linkedin.posts().filter((p) => p.author === urn).length, 1);
  });

  it('never judges media-only posts without commentary duplicates of each other', async () => {
    const { urn, token } = member();
    for (let i = 0; i < 2; i++) {
      const res = await createPost(
        token,
        postBody(urn, '', { content: { media: { id: await uploadedImage(token, urn) } } }),
      );
      assert.equal(res.status, 201, res.text);
    }
    assert.equal(sb.linkedin.posts().filter((p) => p.author === urn).length, 2);
  });

  it('cuts a post at an unescaped reserved character (still 201), or refuses it when set to reject', async () => {
    const { urn, token } = member();
    const raw = unique('Hello (world) and more');
    const res = await createPost(token, postBody(urn, raw));
    assert.equal(res.status, 201);
    const post = sb.linkedin.posts().find((p) => p.author === urn)!;
    assert.equal(post.commentary, raw, 'recorded exactly as received');
    assert.equal(post.shown, 'Hello ', 'shown as LinkedIn would: cut at the "("');
    const escaped = unique('Hello \\(world\\) @[Ada](urn:li:person:ada) {hashtag|\\#|launch} #ship');
    await createPost(token, postBody(urn, escaped));
    assert.match(sb.linkedin.posts().at(-1)!.shown, /^Hello \(world\) Ada #launch #ship /);
    sb.knobs.setSettings({ 'linkedin.unescapedText': 'reject' });
    try {
      assert.equal((await createPost(token, postBody(urn, unique('a <b>')))).status, 400);
    } finally {
      sb.knobs.setSettings({ 'linkedin.unescapedText': 'truncate' });
    }
  });

  it('makes an image usable only after its bytes are PUT with a Bearer token', async () => {
    const { urn, token } = member();
    const init = await call('POST', '/linkedin/rest/images?action=initializeUpload', {
      headers: headers(token),
      body: JSON.stringify({ initializeUploadRequest: { owner: urn } }),
    });
    assert.equal(init.status, 200, init.text);
    const { uploadUrl, image } = init.body.value;
    assert.match(image, /^urn:li:image:/);
    const withImage = postBody(urn, unique('pic'), { content: { media: { id: image } } });
    assert.equal((await createPost(token, withImage)).status, 422, 'not uploaded yet');
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0]);
    assert.equal(
      (await fetch(uploadUrl, { method: 'PUT', body: jpeg })).status,
      401,
      'the PUT needs the token',
    );
    const notImage = await fetch(uploadUrl, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: 'hello',
    });
    assert.equal(notImage.status, 400);
    await notImage.body?.cancel();
    const put = await fetch(uploadUrl, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: jpeg,
    });
    assert.equal(put.status, 201);
    assert.equal(await put.text(), '');
    const status = await call('GET', `/linkedin/rest/images/${encodeURIComponent(image)}`, {
      headers: headers(token),
    });
    assert.equal(status.body.status, 'AVAILABLE');
    assert.equal((await createPost(token, withImage)).status, 201);
    const other = member();
    const foreign = await createPost(
      other.token,
      postBody(other.urn, unique('pic'), { content: { media: { id: image } } }),
    );
    assert.equal(foreign.status, 422, 'the image belongs to another owner');
  });

  it('counts posts per member per day and answers 429 when the limit is reached', async () => {
    const { urn, token } = member();
    sb.knobs.setQuota('linkedin.memberPosts', 1);
    try {
      assert.equal((await createPost(token, postBody(urn, unique('one')))).status, 201);
      const limited = await createPost(token, postBody(urn, unique('two')));
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), null, 'LinkedIn documents no Retry-After');
      assert.match(limited.body.message, /throttle/);
    } finally {
      sb.knobs.setQuota('linkedin.memberPosts', 150);
    }
  });

  it('token endpoint: form-encoded only, client checked, refresh not extending the 365-day refresh token', async () => {
    const client = sb.knobs.client('linkedin');
    const { token } = sb.linkedin.createMember();
    const post = (body: Record<string, string>, type = 'application/x-www-form-urlencoded') =>
      call('POST', '/linkedin/oauth/v2/accessToken', {
        headers: { 'content-type': type },
        body: type === 'application/json' ? JSON.stringify(body) : new URLSearchParams(body).toString(),
      });
    const grant = {
      grant_type: 'refresh_token',
      refresh_token: token.refreshToken!,
      client_id: client.clientId,
      client_secret: client.clientSecret,
    };
    assert.equal((await post(grant, 'application/json')).status, 400);
    const wrongClient = await post({ ...grant, client_secret: 'nope' });
    assert.deepEqual([wrongClient.status, wrongClient.body.error], [401, 'invalid_client']);
    const first = await post(grant);
    assert.equal(first.status, 200, first.text);
    sb.knobs.advanceClock(DAY_MS);
    try {
      const second = await post(grant);
      assert.equal(second.status, 200, second.text);
      assert.equal(second.body.refresh_token, token.refreshToken, 'LinkedIn does not rotate refresh tokens');
      assert.equal(first.body.refresh_token_expires_in - second.body.refresh_token_expires_in, DAY_MS / 1000);
    } finally {
      sb.knobs.advanceClock(-DAY_MS);
    }
    const unknown = await post({ ...grant, refresh_token: 'nope' });
    assert.deepEqual([unknown.status, unknown.body.error], [400, 'invalid_request']);
  });

  it('issues no refresh token in the no-refresh-token mode (apps that are not approved partners)', async () => {
    sb.knobs.setSettings({
      'linkedin.grantRefreshTokens': false,
      'linkedin.authorizeAs': 'urn:li:person:noRefresh',
    });
    try {
      const client = sb.knobs.client('linkedin');
      const redirect = 'https://app.example.com/cb';
      const res = await fetch(
        `${sb.url}/linkedin/oauth/v2/authorization?response_type=code&client_id=${client.clientId}&redirect_uri=${redirect}&scope=openid`,
        { redirect: 'manual' },
      );
      await res.body?.cancel();
      const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
      const tokens = await call('POST', '/linkedin/oauth/v2/accessToken', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirect,
          client_id: client.clientId,
          client_secret: client.clientSecret,
        }).toString(),
      });
      assert.equal(tokens.status, 200, tokens.text);
      assert.equal(tokens.body.expires_in, 60 * 24 * 60 * 60);
      assert.equal(tokens.body.refresh_token, undefined);
    } finally {
      sb.knobs.setSettings({ 'linkedin.grantRefreshTokens': true });
    }
  });
});
