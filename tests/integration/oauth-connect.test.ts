/**
 * Connecting accounts with OAuth against the sandbox platforms (a real local HTTP server): start with
 * POST /accounts/:platform/connect, follow the authorization URL (the sandbox approves at once and
 * redirects), land on GET /accounts/:platform/callback, and find the account stored with encrypted,
 * working tokens. Bad, expired, reused and foreign states are refused. Runs on the memory store and,
 * when TEST_DATABASE_URL is set, on Postgres.
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
/** The public URL of the API as the platforms see it; requests go through app.request. */
const API_BASE = 'https://api.solospark.test/functions/v1';

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

interface Flow {
  app: App;
  store: PostStore;
  alice: string;
  bob: string;
  /** Moves the API's clock. */
  advance(ms: number): void;
  call(method: string, path: string, init?: { as?: string | null; accept?: string }): Promise<Response>;
  connect(platform: Platform, as?: string): Promise<{ authorizationUrl: string; state: string }>;
  /** Follows the authorization URL to the sandbox and returns the callback path + query it redirects to. */
  authorize(authorizationUrl: string): Promise<string>;
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
  oauth: { redirectBaseUrl: string | null } = { redirectBaseUrl: API_BASE },
): Flow {
  let offsetMs = 0;
  const app = createApp({
    store,
    postScheduler: createFakePostScheduler(),
    auth: createSupabaseJwtVerifier({ hs256Secret: SECRET }),
    logger: createLogger({ level: 'silent' }),
    validateContent: () => [],
    now: () => new Date(Date.now() + offsetMs),
    oauth: { publishers, redirectBaseUrl: oauth.redirectBaseUrl },
  });
  const [alice, bob] = users;
  async function call(method: string, path: string, init: { as?: string | null; accept?: string } = {}) {
    const headers = new Headers({ accept: init.accept ?? 'text/html,application/xhtml+xml,*/*;q=0.8' });
    const as = init.as === undefined ? alice : init.as;
    if (as !== null) headers.set('authorization', `Bearer ${await token(as)}`);
    return await app.request(path, { method, headers });
  }
  return {
    app,
    store,
    alice,
    bob,
    advance: (ms) => void (offsetMs += ms),
    call,
    async connect(platform, as = alice) {
      const res = await call('POST', `/accounts/${platform}/connect`, { as, accept: 'application/json' });
      assert.equal(res.status, 200, await res.clone().text());
      return await res.json();
    },
    async authorize(authorizationUrl) {
      const res = await fetch(authorizationUrl, { redirect: 'manual' });
      await res.body?.cancel();
      assert.equal(res.status, 302, `the sandbox approves ${authorizationUrl}`);
      const location = new URL(res.headers.get('location')!);
      assert.equal(location.origin + location.pathname.replace(/\/accounts\/.*$/, ''), API_BASE);
      return location.pathname.slice(new URL(API_BASE).pathname.length) + location.search;
    },
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

    it('connects an X account end to end and stores working, encrypted tokens', async () => {
      const started = await flow.connect('x');
      const url = new URL(started.authorizationUrl);
      assert.equal(url.origin + url.pathname, `${sandbox.url}/x/i/oauth2/authorize`);
      assert.equal(url.searchParams.get('state'), started.state);
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
      assert.match(url.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.equal(url.searchParams.get('redirect_uri'), `${API_BASE}/accounts/x/callback`);

      const callback = await flow.authorize(started.authorizationUrl);
      const res = await flow.call('GET', callback, { as: null });
      assert.equal(res.status, 201);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      const html = await res.text();
      assert.match(html, /X account connected/);
      const accountId = /data-account-id="([^"]+)"/.exec(html)?.[1];

      const listed = await (await flow.call('GET', '/accounts', { accept: 'application/json' })).json();
      assert.equal(listed.items.length, 1);
      const [account] = listed.items;
      assert.equal(account.id, accountId);
      assert.equal(account.platform, 'x');
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

    it('refuses a callback whose state was already used', async () => {
      const started = await flow.connect('x');
      const callback = await flow.authorize(started.authorizationUrl);
      const first = await flow.call('GET', callback, { as: null });
      assert.ok([200, 201].includes(first.status), `the first callback connects (${first.status})`);
      const replay = await flow.call('GET', callback, { as: null });
      assert.equal(replay.status, 400);
      assert.equal(await problemCode(replay), 'oauth_state_invalid');
    });

    it('gives an account connected again fresh tokens and active status instead of a second row', async () => {
      const [before] = (await flow.store.listAccounts(flow.alice)).filter((a) => a.platform === 'x');
      const oldTokens = await flow.store.getAccountTokens(before!.id);
      await flow.store.setAccountStatus(before!.id, 'needs_reconnect');
      const started = await flow.connect('x');
      const res = await flow.call('GET', await flow.authorize(started.authorizationUrl), {
        as: null,
        accept: 'application/json',
      });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.id, before!.id);
      assert.equal(body.status, 'active');
      assert.equal('accessToken' in body || 'tokens' in body, false);
      const accounts = (await flow.store.listAccounts(flow.alice)).filter((a) => a.platform === 'x');
      assert.equal(accounts.length, 1);
      assert.notEqual((await flow.store.getAccountTokens(before!.id)).accessToken, oldTokens.accessToken);
    });

    it('refuses unknown, malformed and missing states', async () => {
      for (
        const query of [
          '?code=abc&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
          '?code=abc&state=%3Cx%3E',
          '?code=abc',
        ]
      ) {
        const res = await flow.call('GET', `/accounts/x/callback${query}`, { as: null });
        assert.equal(res.status, 400, query);
        assert.equal(await problemCode(res), 'oauth_state_invalid');
      }
    });

    it('refuses a state older than 10 minutes', async () => {
      const started = await flow.connect('x');
      const callback = await flow.authorize(started.authorizationUrl);
      flow.advance(OAUTH_STATE_TTL_MS + 1000);
      try {
        const res = await flow.call('GET', callback, { as: null });
        assert.equal(res.status, 400);
        assert.equal(await problemCode(res), 'oauth_state_invalid');
      } finally {
        flow.advance(-(OAUTH_STATE_TTL_MS + 1000));
      }
    });

    it("does not let another user complete someone else's state", async () => {
      const started = await flow.connect('linkedin');
      const callback = await flow.authorize(started.authorizationUrl);
      const asBob = await flow.call('GET', callback, { as: flow.bob });
      assert.equal(asBob.status, 400);
      assert.equal(await problemCode(asBob), 'oauth_state_invalid');
      assert.deepEqual(await flow.store.listAccounts(flow.bob), []);

      // The state is still Alice's: her own signed-in relay of the redirect completes it.
      const asAlice = await flow.call('GET', callback, { as: flow.alice, accept: 'application/json' });
      assert.equal(asAlice.status, 201);
      const account = await asAlice.json();
      assert.equal(account.platform, 'linkedin');
      assert.equal((await flow.store.getAccount(account.id, flow.alice))?.id, account.id);
      assert.equal(await flow.store.getAccount(account.id, flow.bob), null);
    });

    it('ties a state to its platform', async () => {
      const started = await flow.connect('instagram');
      const callback = await flow.authorize(started.authorizationUrl);
      const wrong = await flow.call('GET', callback.replace('/accounts/instagram/', '/accounts/x/'), {
        as: null,
      });
      assert.equal(wrong.status, 400);
      assert.equal(await problemCode(wrong), 'oauth_state_invalid');
      const right = await flow.call('GET', callback, { as: null, accept: 'application/json' });
      assert.equal(right.status, 201);
      assert.equal((await right.json()).platform, 'instagram');
    });

    it('answers oauth_denied when the creator declines, and spends the state', async () => {
      const started = await flow.connect('x');
      const denied = await flow.call(
        'GET',
        `/accounts/x/callback?error=access_denied&state=${started.state}`,
        { as: null },
      );
      assert.equal(denied.status, 400);
      assert.equal(await problemCode(denied), 'oauth_denied');
      const later = await flow.call('GET', `/accounts/x/callback?code=abc&state=${started.state}`, {
        as: null,
      });
      assert.equal(await problemCode(later), 'oauth_state_invalid');
    });

    it('answers 502 oauth_exchange_failed when the platform refuses the code', async () => {
      const started = await flow.connect('x');
      const res = await flow.call('GET', `/accounts/x/callback?code=not-a-code&state=${started.state}`, {
        as: null,
      });
      assert.equal(res.status, 502);
      const problem = await res.json();
      assert.equal(problem.code, 'oauth_exchange_failed');
      assert.match(problem.detail, /POST \/accounts\/x\/connect/);
    });

    it('keeps pending states away from the Data API roles, hashed and encrypted', {
      skip: name === 'memory store' && 'Postgres only',
    }, async () => {
      const started = await flow.connect('x');
      const [row] = await db!.sql`
        select state_hash, code_verifier_ciphertext from public.oauth_states
        where user_id = ${flow.alice} and state_hash = encode(sha256(${started.state}::bytea), 'hex')`;
      assert.ok(row, 'the state is stored as its SHA-256');
      assert.match(row.code_verifier_ciphertext, /^v1\./);
      const [rights] = await db!.sql`
        select relrowsecurity as rls,
          has_table_privilege('authenticated', 'public.oauth_states', 'select') as authenticated_select,
          has_table_privilege('anon', 'public.oauth_states', 'select') as anon_select
        from pg_class where oid = 'public.oauth_states'::regclass`;
      assert.deepEqual({ ...rights }, { rls: true, authenticated_select: false, anon_select: false });
    });

    it('takes a state exactly once when two callbacks race', async () => {
      const state = 'race-' + crypto.randomUUID().replaceAll('-', '');
      await flow.store.saveOAuthState({
        state,
        userId: flow.alice,
        platform: 'x',
        codeVerifier: 'v'.repeat(43),
        redirectUri: `${API_BASE}/accounts/x/callback`,
        expiresAt: new Date(Date.now() + 60_000),
      });
      const results = await Promise.all(
        Array.from(
          { length: 8 },
          () => flow.store.consumeOAuthState({ state, platform: 'x', now: new Date() }),
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

  it('require a signed-in user to start, and name the platform', async () => {
    const flow = createFlow(store, [crypto.randomUUID(), crypto.randomUUID()]);
    const anonymous = await flow.call('POST', '/accounts/x/connect', { as: null });
    assert.equal(anonymous.status, 401);
    const unknown = await flow.call('POST', '/accounts/myspace/connect');
    assert.equal(unknown.status, 422);
    assert.match((await unknown.json()).detail, /x, instagram, linkedin/);
    const alias = await flow.call('POST', '/accounts/twitter/connect', { accept: 'application/json' });
    assert.equal(alias.status, 200);
    assert.equal((await alias.json()).platform, 'x');
  });

  it('answer 503 oauth_not_configured without OAUTH_REDIRECT_BASE_URL', async () => {
    const flow = createFlow(store, [crypto.randomUUID(), crypto.randomUUID()], { redirectBaseUrl: null });
    const res = await flow.call('POST', '/accounts/x/connect');
    assert.equal(res.status, 503);
    const problem = await res.json();
    assert.equal(problem.code, 'oauth_not_configured');
    assert.match(problem.detail, /OAUTH_REDIRECT_BASE_URL/);
  });

  it('answer 503 oauth_not_configured when the platform has no client id', async () => {
    const app = createApp({
      store,
      postScheduler: createFakePostScheduler(),
      auth: createSupabaseJwtVerifier({ hs256Secret: SECRET }),
      logger: createLogger({ level: 'silent' }),
      validateContent: () => [],
      oauth: { publishers: createPublishers(loadConfig({})), redirectBaseUrl: API_BASE },
    });
    const res = await app.request('/accounts/linkedin/connect', {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(crypto.randomUUID())}` },
    });
    assert.equal(res.status, 503);
    const problem = await res.json();
    assert.equal(problem.code, 'oauth_not_configured');
    assert.match(problem.detail, /LINKEDIN_CLIENT_ID/);
  });

  it('serve the callback under the gateway path too, without a token', async () => {
    const app = createApp({
      store,
      postScheduler: createFakePostScheduler(),
      auth: createSupabaseJwtVerifier({ hs256Secret: SECRET }),
      logger: createLogger({ level: 'silent' }),
      validateContent: () => [],
      oauth: { publishers, redirectBaseUrl: API_BASE },
    }, { basePath: '/functions/v1' });
    const callback = await app.request('/functions/v1/accounts/x/callback?code=a&state=AAAAAAAAAAAAAAAAAAAA');
    assert.equal(callback.status, 400, 'reaches the route (no 401)');
    assert.equal(await problemCode(callback), 'oauth_state_invalid');
    const connect = await app.request('/functions/v1/accounts/x/connect', { method: 'POST' });
    assert.equal(connect.status, 401);
  });
});
