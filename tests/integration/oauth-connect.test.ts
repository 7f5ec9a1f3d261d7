/**
 * Connecting accounts with OAuth against the sandbox platforms (a real local HTTP server): start with
 * POST /accounts/:platform/connect, follow the authorization URL (the sandbox approves at once and
 * redirects to the app's return page), then complete as the app does, with
 * POST /accounts/:platform/callback and the creator's token; find the account stored with encrypted,
 * working tokens. A flow completes only for the creator who started it: another user's completion,
 * a replayed, expired or foreign state, and the platform's redirect alone (GET callback) connect
 * nothing. Runs on the memory store and, when TEST_DATABASE_URL is set, on Postgres.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { createSupabaseJwtVerifier } from '../../src/api/auth/verify-supabase-jwt.ts';
import { createApp } from '../../src/api/create-app.ts';
import type { App } from '../../src/api/create-app.ts';
import { OAUTH_STATE_TTL_MS } from '../../src/api/routes/oauth.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Platform } from '../../src/domain/platform.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createPublishers } from '../../src/platforms/registry.ts';
import type { PublisherRegistry } from '../../src/platforms/registry.ts';
import { startSandbox } from '../../src/sandbox/start-sandbox.ts';
import type { RunningSandbox } from '../../src/sandbox/start-sandbox.ts';
import { createMemoryPostStore } from '../../src/store/memory-post-store.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import { createFakePostScheduler } from '../fakes/fake-post-scheduler.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';

announcePostgresSkip();

const SECRET = 'oauth-connect-test-secret-with-at-least-32-chars';
/** The creator app's return page (OAUTH_APP_RETURN_URL); the platforms redirect to `<it>/<platform>`. */
const APP_RETURN = 'https://app.solospark.test/connect';

let sandbox: RunningSandbox;
let publishers: PublisherRegistry;

before(async () => {
  sandbox = await startSandbox({ port: 0 });
  const config = loadConfig({
    X_API_BASE_URL: `${sandbox.url}/x`,
    INSTAGRAM_API_BASE_URL: `${sandbox.url}/instagram`,
    LINKEDIN_API_BASE_URL: `${sandbox.url}/linkedin`,
    LINKEDIN_OAUTH_BASE_URL: `${sandbox.url}/linkedin`,
    X_CLIENT_ID: 'sandbox-x-client',
    X_CLIENT_SECRET: 'sandbox-x-secret',
    INSTAGRAM_CLIENT_ID: 'sandbox-instagram-client',
    INSTAGRAM_CLIENT_SECRET: 'sandbox-instagram-secret',
    LINKEDIN_CLIENT_ID: 'sandbox-linkedin-client',
    LINKEDIN_CLIENT_SECRET: 'sandbox-linkedin-secret',
  });
  publishers = createPublishers(config);
});
after(async () => {
  await sandbox?.close();
});

/** What the platform sent to the app's return page. */
interface Returned {
  code?: string;
  state?: string;
  error?: string;
  error_description?: string;
}

interface Flow {
  app: App;
  store: PostStore;
  alice: string;
  bob: string;
  /** Moves the API's clock. */
  advance(ms: number): void;
  call(method: string, path: string, init?: { as?: string | null; body?: unknown }): Promise<Response>;
  connect(platform: Platform, as?: string): Promise<{ authorizationUrl: string; state: string }>;
  /** Follows the authorization URL to the sandbox and returns what it sent to the app's return page. */
  authorize(authorizationUrl: string, platform: Platform): Promise<Returned>;
  /** What the app's return page does: POST the redirect's parameters with the creator's token. */
  complete(platform: Platform, returned: Returned, as?: string | null): Promise<Response>;
}

async function token(sub: string): Promise<string> {
  return await new SignJWT({ role: 'authenticated', aud: 'authenticated' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

function createFlow(
  store: PostStore,
  users: [string, string],
  oauth: { appReturnUrl: string | null } = { appReturnUrl: APP_RETURN },
): Flow {
  let offsetMs = 0;
  const app = createApp({
    store,
    postScheduler: createFakePostScheduler(),
    auth: createSupabaseJwtVerifier({ hs256Secret: SECRET }),
    logger: createLogger({ level: 'silent' }),
    validateContent: () => [],
    now: () => new Date(Date.now() + offsetMs),
    oauth: { publishers, appReturnUrl: oauth.appReturnUrl },
  });
  const [alice, bob] = users;
  async function call(method: string, path: string, init: { as?: string | null; body?: unknown } = {}) {
    const headers = new Headers({ accept: 'application/json' });
    const as = init.as === undefined ? alice : init.as;
    if (as !== null) headers.set('authorization', `Bearer ${await token(as)}`);
    if (init.body !== undefined) headers.set('content-type', 'application/json');
    return await app.request(path, {
      method,
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  }
  return {
    app,
    store,
    alice,
    bob,
    advance: (ms) => void (offsetMs += ms),
    call,
    async connect(platform, as = alice) {
      const res = await call('POST', `/accounts/${platform}/connect`, { as });
      assert.equal(res.status, 200, await res.clone().text());
      return await res.json();
    },
    async authorize(authorizationUrl, platform) {
      const res = await fetch(authorizationUrl, { redirect: 'manual' });
      await res.body?.cancel();
      assert.equal(res.status, 302, `the sandbox approves ${authorizationUrl}`);
      const location = new URL(res.headers.get('location')!);
      assert.equal(location.origin + location.pathname, `${APP_RETURN}/${platform}`, 'back to the app');
      return Object.fromEntries(location.searchParams);
    },
    complete: (platform, returned, as) =>
      call('POST', `/accounts/${platform}/callback`, { as, body: returned }),
  };
}

async function problemCode(res: Response): Promise<string> {
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  return (await res.json()).code;
}

function suite(
  name: string,
  makeFlow: () => Promise<{ flow: Flow; db?: TestDatabase }>,
  skip: string | false,
) {
  describe(`OAuth connect flow (${name})`, { skip }, () => {
    let flow: Flow;
    let db: TestDatabase | undefined;
    before(async () => {
      ({ flow, db } = await makeFlow());
    });
    after(async () => {
      await flow?.store.close();
      await db?.drop();
    });

    it("connects an X account through the app's return page and stores working, encrypted tokens", async () => {
      const started = await flow.connect('x');
      const url = new URL(started.authorizationUrl);
      assert.equal(url.origin + url.pathname, `${sandbox.url}/x/i/oauth2/authorize`);
      assert.equal(url.searchParams.get('state'), started.state);
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
      assert.match(url.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.equal(url.searchParams.get('redirect_uri'), `${APP_RETURN}/x`);

      const returned = await flow.authorize(started.authorizationUrl, 'x');
      assert.equal(returned.state, started.state);
      const res = await flow.complete('x', returned);
      assert.equal(res.status, 201, await res.clone().text());
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const connected = await res.json();
      assert.equal(connected.platform, 'x');
      assert.equal('accessToken' in connected || 'tokens' in connected, false);

      const listed = await (await flow.call('GET', '/accounts')).json();
      assert.equal(listed.items.length, 1);
      const [account] = listed.items;
      assert.equal(account.id, connected.id);
      assert.equal(account.status, 'active');
      assert.ok(account.scopes.includes('tweet.write'));

      const tokens = await flow.store.getAccountTokens(account.id);
      assert.ok(tokens.accessToken.length > 10);
      assert.ok(tokens.refreshToken, 'offline.access brings a refresh token');
      assert.doesNotMatch(JSON.stringify(listed), new RegExp(tokens.accessToken));
      if (db) {
        const [row] = await db.sql`
          select access_token_ciphertext, refresh_token_ciphertext from public.social_accounts
          where id = ${account.id}`;
        assert.match(row!.access_token_ciphertext, /^v1\./);
        assert.ok(!row!.access_token_ciphertext.includes(tokens.accessToken));
        assert.ok(!row!.refresh_token_ciphertext.includes(tokens.refreshToken));
      }

      // Usable: the stored token publishes to the sandbox.
      const published = await publishers.x.publish({
        postId: crypto.randomUUID(),
        targetId: crypto.randomUUID(),
        content: { text: `connected through OAuth ${crypto.randomUUID()}`, media: [] },
        account: { id: account.id, externalId: account.externalId, tokens },
        attempt: 1,
        signal: AbortSignal.timeout(10_000),
      });
      assert.match(published.externalId, /^\d+$/);
    });

    it("stores nothing and answers 400 when another user completes someone else's flow", async () => {
      // The attack: Alice starts, sends the authorizationUrl to Bob, Bob approves on the real consent
      // page and his app completes with his token. The state is Alice's: nothing may be connected.
      const aliceBefore = await flow.store.listAccounts(flow.alice);
      const started = await flow.connect('linkedin');
      const returned = await flow.authorize(started.authorizationUrl, 'linkedin');
      const asBob = await flow.complete('linkedin', returned, flow.bob);
      assert.equal(asBob.status, 400);
      const problem = await asBob.json();
      assert.equal(problem.code, 'oauth_state_invalid');
      assert.match(problem.detail, /started by another user/);
      assert.deepEqual(await flow.store.listAccounts(flow.bob), []);
      assert.deepEqual(await flow.store.listAccounts(flow.alice), aliceBefore);

      // The state stays the starter's: only her own session completes it.
      const asAlice = await flow.complete('linkedin', returned, flow.alice);
      assert.equal(asAlice.status, 201);
      const account = await asAlice.json();
      assert.equal(account.platform, 'linkedin');
      assert.equal((await flow.store.getAccount(account.id, flow.alice))?.id, account.id);
      assert.equal(await flow.store.getAccount(account.id, flow.bob), null);
    });

    it('requires the creator token to complete, and keeps the state for a signed-in retry', async () => {
      const started = await flow.connect('x');
      const returned = await flow.authorize(started.authorizationUrl, 'x');
      const anonymous = await flow.complete('x', returned, null);
      assert.equal(anonymous.status, 401);
      assert.equal(await problemCode(anonymous), 'auth_required');
      const signedIn = await flow.complete('x', returned);
      assert.ok([200, 201].includes(signedIn.status), `the creator completes it (${signedIn.status})`);
    });

    it("never connects from the platform's redirect alone: GET callback only sends it on to the app", async () => {
      const started = await flow.connect('instagram');
      const returned = await flow.authorize(started.authorizationUrl, 'instagram');
      const before = await flow.store.listAccounts(flow.alice);
      const query = new URLSearchParams(returned as Record<string, string>).toString();
      for (const as of [null, flow.alice]) {
        const res = await flow.call('GET', `/accounts/instagram/callback?${query}&extra=dropped`, { as });
        assert.equal(res.status, 303);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
        const location = new URL(res.headers.get('location')!);
        assert.equal(location.origin + location.pathname, `${APP_RETURN}/instagram`);
        assert.deepEqual(Object.fromEntries(location.searchParams), returned, 'code and state, nothing else');
      }
      assert.deepEqual(await flow.store.listAccounts(flow.alice), before, 'nothing was stored');

      // The state was not spent: the app completes it.
      const completed = await flow.complete('instagram', returned);
      assert.equal(completed.status, 201);
      assert.equal((await completed.json()).platform, 'instagram');
    });

    it('refuses a state that was already used', async () => {
      const started = await flow.connect('x');
      const returned = await flow.authorize(started.authorizationUrl, 'x');
      const first = await flow.complete('x', returned);
      assert.ok([200, 201].includes(first.status), `the first completion connects (${first.status})`);
      const replay = await flow.complete('x', returned);
      assert.equal(replay.status, 400);
      assert.equal(await problemCode(replay), 'oauth_state_invalid');
    });

    it('refuses a state older than 10 minutes', async () => {
      const started = await flow.connect('x');
      const returned = await flow.authorize(started.authorizationUrl, 'x');
      flow.advance(OAUTH_STATE_TTL_MS + 1000);
      try {
        const res = await flow.complete('x', returned);
        assert.equal(res.status, 400);
        assert.equal(await problemCode(res), 'oauth_state_invalid');
      } finally {
        flow.advance(-(OAUTH_STATE_TTL_MS + 1000));
      }
    });

    it('answers 422 for a platform name that is an Object.prototype member, storing nothing', async () => {
      for (const name of ['constructor', '__proto__', 'toString']) {
        for (const step of ['connect', 'callback']) {
          const res = await flow.call('POST', `/accounts/${name}/${step}`, {
            body: { code: 'abc', state: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
          });
          assert.equal(res.status, 422, `${step} ${name}`);
          assert.equal(await problemCode(res), 'validation_failed');
        }
      }
    });

    it('refuses unknown and malformed states, and names a missing state or code', async () => {
      for (const state of ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '<x>']) {
        const res = await flow.complete('x', { code: 'abc', state });
        assert.equal(res.status, 400, state);
        assert.equal(await problemCode(res), 'oauth_state_invalid');
      }
      const noState = await flow.complete('x', { code: 'abc' });
      assert.equal(noState.status, 422);
      assert.deepEqual((await noState.json()).errors.map((e: { path: string }) => e.path), ['state']);
      const noCode = await flow.complete('x', { state: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
      assert.equal(noCode.status, 422);
      assert.deepEqual((await noCode.json()).errors.map((e: { path: string }) => e.path), ['code']);
    });

    it('checks PKCE: a code completes only with the state, and so the verifier, of its own flow', async () => {
      const first = await flow.connect('x');
      const second = await flow.connect('x');
      const firstReturned = await flow.authorize(first.authorizationUrl, 'x');
      const secondReturned = await flow.authorize(second.authorizationUrl, 'x');
      const swapped = await flow.complete('x', { code: firstReturned.code!, state: secondReturned.state! });
      assert.equal(swapped.status, 400);
      assert.equal(await problemCode(swapped), 'oauth_code_rejected');
    });

    it('gives an account connected again fresh tokens and active status instead of a second row', async () => {
      const [before] = (await flow.store.listAccounts(flow.alice)).filter((a) => a.platform === 'x');
      const oldTokens = await flow.store.getAccountTokens(before!.id);
      await flow.store.setAccountStatus(before!.id, 'needs_reconnect');
      const started = await flow.connect('x');
      const res = await flow.complete('x', await flow.authorize(started.authorizationUrl, 'x'));
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.id, before!.id);
      assert.equal(body.status, 'active');
      const accounts = (await flow.store.listAccounts(flow.alice)).filter((a) => a.platform === 'x');
      assert.equal(accounts.length, 1);
      assert.notEqual((await flow.store.getAccountTokens(before!.id)).accessToken, oldTokens.accessToken);
    });

    it('ties a state to its platform', async () => {
      const started = await flow.connect('instagram');
      const returned = await flow.authorize(started.authorizationUrl, 'instagram');
      const wrong = await flow.complete('x', returned);
      assert.equal(wrong.status, 400);
      assert.equal(await problemCode(wrong), 'oauth_state_invalid');
      const right = await flow.complete('instagram', returned);
      assert.equal(right.status, 200, 'connected again');
      assert.equal((await right.json()).platform, 'instagram');
    });

    it('answers oauth_denied when the creator declines, and changes nothing', async () => {
      const started = await flow.connect('x');
      const denied = await flow.complete('x', {
        error: 'access_denied',
        error_description: 'The user denied the request',
        state: started.state,
      });
      assert.equal(denied.status, 400);
      const problem = await denied.json();
      assert.equal(problem.code, 'oauth_denied');
      assert.match(problem.detail, /access_denied \(The user denied the request\)/);
      // The refusal spent nothing: the creator may still approve within the state's 10 minutes.
      const approved = await flow.complete('x', await flow.authorize(started.authorizationUrl, 'x'));
      assert.ok([200, 201].includes(approved.status), `${approved.status}`);
    });

    it('answers 400 oauth_code_rejected when the platform refuses the code, and keeps the state', async () => {
      const started = await flow.connect('x');
      const res = await flow.complete('x', { code: 'not-a-code', state: started.state });
      assert.equal(res.status, 400);
      const problem = await res.json();
      assert.equal(problem.code, 'oauth_code_rejected');
      assert.match(problem.detail, /POST \/accounts\/x\/connect/);
      const retried = await flow.complete('x', await flow.authorize(started.authorizationUrl, 'x'));
      assert.ok([200, 201].includes(retried.status), `a fresh code completes: ${retried.status}`);
      const again = await flow.complete('x', { code: 'abc', state: started.state });
      assert.equal(await problemCode(again), 'oauth_state_invalid', 'taken by the completion');
    });

    it('keeps pending states away from the Data API roles, hashed and encrypted', {
      skip: name === 'memory store' && 'Postgres only',
    }, async () => {
      const started = await flow.connect('x');
      const [row] = await db!.sql`
        select state_hash, code_verifier_ciphertext, redirect_uri from public.oauth_states
        where user_id = ${flow.alice} and state_hash = encode(sha256(${started.state}::bytea), 'hex')`;
      assert.ok(row, 'the state is stored as its SHA-256');
      assert.match(row.code_verifier_ciphertext, /^v1\./);
      assert.equal(row.redirect_uri, `${APP_RETURN}/x`, 'the exchange repeats the app return URI');
      const [rights] = await db!.sql`
        select relrowsecurity as rls,
          has_table_privilege('authenticated', 'public.oauth_states', 'select') as authenticated_select,
          has_table_privilege('anon', 'public.oauth_states', 'select') as anon_select
        from pg_class where oid = 'public.oauth_states'::regclass`;
      assert.deepEqual({ ...rights }, { rls: true, authenticated_select: false, anon_select: false });
    });

    it('takes a state exactly once when two completions race', async () => {
      const state = 'race-' + crypto.randomUUID().replaceAll('-', '');
      await flow.store.saveOAuthState({
        state,
        userId: flow.alice,
        platform: 'x',
        codeVerifier: 'v'.repeat(43),
        redirectUri: `${APP_RETURN}/x`,
        expiresAt: new Date(Date.now() + 60_000),
      });
      const results = await Promise.all(
        Array.from(
          { length: 8 },
          () => flow.store.consumeOAuthState({ state, platform: 'x', now: new Date(), userId: flow.alice }),
        ),
      );
      const taken = results.filter((r) => r !== null);
      assert.equal(taken.length, 1);
      assert.equal(taken[0]!.codeVerifier, 'v'.repeat(43));
      assert.equal(taken[0]!.userId, flow.alice);
    });
  });
}

suite('memory store', async () => {
  const store = createMemoryPostStore({ cipher: await createTokenCipher(randomKey()) });
  return { flow: createFlow(store, [crypto.randomUUID(), crypto.randomUUID()]) };
}, false);

suite('Postgres store', async () => {
  const db = await createTestDatabase();
  const store = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(randomKey()) });
  const users: [string, string] = [await createUser(db.sql), await createUser(db.sql)];
  return { flow: createFlow(store, users), db };
}, postgresSkip);

describe('OAuth connect routes', () => {
  let store: PostStore;
  before(async () => {
    store = createMemoryPostStore({ cipher: await createTokenCipher(randomKey()) });
  });

  function appWith(oauth: { publishers: PublisherRegistry; appReturnUrl: string | null }, basePath?: string) {
    return createApp({
      store,
      postScheduler: createFakePostScheduler(),
      auth: createSupabaseJwtVerifier({ hs256Secret: SECRET }),
      logger: createLogger({ level: 'silent' }),
      validateContent: () => [],
      oauth,
    }, basePath ? { basePath } : {});
  }

  it('require a signed-in user to start, and name the platform', async () => {
    const flow = createFlow(store, [crypto.randomUUID(), crypto.randomUUID()]);
    const anonymous = await flow.call('POST', '/accounts/x/connect', { as: null });
    assert.equal(anonymous.status, 401);
    const unknown = await flow.call('POST', '/accounts/myspace/connect');
    assert.equal(unknown.status, 422);
    assert.match((await unknown.json()).detail, /x, instagram, linkedin/);
    const alias = await flow.call('POST', '/accounts/twitter/connect');
    assert.equal(alias.status, 200);
    assert.equal((await alias.json()).platform, 'x');
  });

  it('answer 503 oauth_not_configured without OAUTH_APP_RETURN_URL, to start and to a redirect', async () => {
    const flow = createFlow(store, [crypto.randomUUID(), crypto.randomUUID()], { appReturnUrl: null });
    const res = await flow.call('POST', '/accounts/x/connect');
    assert.equal(res.status, 503);
    const problem = await res.json();
    assert.equal(problem.code, 'oauth_not_configured');
    assert.match(problem.detail, /OAUTH_APP_RETURN_URL/);
    const redirect = await flow.call('GET', '/accounts/x/callback?code=a&state=AAAAAAAAAAAAAAAAAAAA', {
      as: null,
    });
    assert.equal(redirect.status, 503);
    assert.equal(await problemCode(redirect), 'oauth_not_configured');
  });

  it('take OAUTH_APP_RETURN_URL from the configuration, refusing one with a query or fragment', () => {
    assert.equal(
      loadConfig({ OAUTH_APP_RETURN_URL: 'https://app.example.com/connect/' }).platforms.oauth.appReturnUrl,
      'https://app.example.com/connect',
    );
    assert.equal(loadConfig({}).platforms.oauth.appReturnUrl, null);
    for (const bad of ['https://app.example.com/connect?from=oauth', 'https://app.example.com/#/connect']) {
      assert.throws(
        () => loadConfig({ OAUTH_APP_RETURN_URL: bad }),
        /OAUTH_APP_RETURN_URL must have no query string or fragment/,
      );
    }
    assert.throws(
      () => loadConfig({ OAUTH_APP_RETURN_URL: 'app.example.com' }),
      /OAUTH_APP_RETURN_URL must be/,
    );
  });

  it('answer 503 oauth_not_configured when the platform has no client id', async () => {
    const app = appWith({ publishers: createPublishers(loadConfig({})), appReturnUrl: APP_RETURN });
    const res = await app.request('/accounts/linkedin/connect', {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(crypto.randomUUID())}` },
    });
    assert.equal(res.status, 503);
    const problem = await res.json();
    assert.equal(problem.code, 'oauth_not_configured');
    assert.match(problem.detail, /LINKEDIN_CLIENT_ID/);
  });

  it('take the completion as a small JSON body only', async () => {
    const flow = createFlow(store, [crypto.randomUUID(), crypto.randomUUID()]);
    const headers = { authorization: `Bearer ${await token(flow.alice)}` };
    const form = await flow.app.request('/accounts/x/callback', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'code=a&state=AAAAAAAAAAAAAAAAAAAA',
    });
    assert.equal(form.status, 415);
    assert.equal(await problemCode(form), 'unsupported_media_type');
    const huge = await flow.app.request('/accounts/x/callback', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'c'.repeat(20_000), state: 'AAAAAAAAAAAAAAAAAAAA' }),
    });
    assert.equal(huge.status, 413);
    assert.equal(await problemCode(huge), 'body_too_large');
  });

  it('serve the callback under the gateway path too: GET without a token, POST only with one', async () => {
    const app = appWith({ publishers, appReturnUrl: APP_RETURN }, '/functions/v1');
    const redirect = await app.request('/functions/v1/accounts/x/callback?code=a&state=AAAAAAAAAAAAAAAAAAAA');
    assert.equal(redirect.status, 303, 'reaches the route (no 401)');
    assert.equal(redirect.headers.get('location'), `${APP_RETURN}/x?code=a&state=AAAAAAAAAAAAAAAAAAAA`);
    const noState = await app.request('/functions/v1/accounts/x/callback?code=a');
    assert.equal(noState.status, 400);
    assert.equal(await problemCode(noState), 'oauth_state_invalid');
    const complete = await app.request('/functions/v1/accounts/x/callback', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'a', state: 'AAAAAAAAAAAAAAAAAAAA' }),
    });
    assert.equal(complete.status, 401);
    const connect = await app.request('/functions/v1/accounts/x/connect', { method: 'POST' });
    assert.equal(connect.status, 401);
  });
});
