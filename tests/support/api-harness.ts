/**
 * Builds the API in-process for tests: the memory store, a fake post scheduler, fake content rules and a real
 * JWT verifier (HS256 secret + an ES256 JWKS generated here, requiring `iss = TEST_ISSUER` as the API
 * does with SUPABASE_URL), with helpers to mint tokens and call routes through `app.request` — no port,
 * the same under Node and Deno.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { createApp } from '../../src/api/create-app.ts';
import type { ApiOptions, App } from '../../src/api/create-app.ts';
import { createSupabaseJwtVerifier, supabaseIssuer } from '../../src/api/auth/verify-supabase-jwt.ts';
import type { ValidateContent } from '../../src/api/content-validator.ts';
import type { Platform } from '../../src/domain/platform.ts';
import type { SocialAccount } from '../../src/domain/post.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { createMemoryPostStore } from '../../src/store/memory-post-store.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import { createFakePostScheduler } from '../fakes/fake-post-scheduler.ts';
import type { FakePostScheduler } from '../fakes/fake-post-scheduler.ts';

export const HS256_SECRET = 'test-only-jwt-secret-with-at-least-32-characters';
export const ES256_KID = 'test-es256-key';
/** The SUPABASE_URL the harness's verifier stands for. */
export const TEST_SUPABASE_URL = 'https://test-project.supabase.co';
/** The `iss` the harness's verifier requires (and `token()` sets by default). */
export const TEST_ISSUER = supabaseIssuer(TEST_SUPABASE_URL);

/** X: at most 280 characters; Instagram: needs media; LinkedIn: at most 3000 characters. */
export const fakeValidateContent: ValidateContent = (platform, content) => {
  if (platform === 'x' && content.text.length > 280) {
    return [{
      platform,
      rule: 'text_too_long',
      message: `X allows 280 characters; this text has ${content.text.length}`,
      path: 'text',
    }];
  }
  if (platform === 'instagram' && content.media.length === 0) {
    return [{
      platform,
      rule: 'media_required',
      message: 'Instagram needs at least one image',
      path: 'media',
    }];
  }
  if (platform === 'linkedin' && content.text.length > 3000) {
    return [{ platform, rule: 'text_too_long', message: 'LinkedIn allows 3000 characters', path: 'text' }];
  }
  return [];
};

export interface TokenOptions {
  sub?: string;
  aud?: string;
  /** null = no iss claim. (Default: TEST_ISSUER) */
  iss?: string | null;
  /** Seconds from now; null = no exp claim. (Default: 3600) */
  expiresIn?: number | null;
  alg?: 'HS256' | 'ES256';
  secret?: string;
  esKey?: CryptoKey;
  kid?: string;
}

export interface ApiHarness {
  app: App;
  store: PostStore;
  postScheduler: FakePostScheduler;
  logger: Logger;
  logLines: string[];
  alice: string;
  bob: string;
  esPrivateKey: CryptoKey;
  esPublicJwk: JWK;
  token(options?: TokenOptions): Promise<string>;
  connect(userId: string, platform: Platform, externalId?: string): Promise<SocialAccount>;
  call(method: string, path: string, init?: CallInit): Promise<Response>;
}

export interface CallInit {
  /** The user whose token is sent (default alice); null = no Authorization header. */
  as?: string | null;
  body?: unknown;
  /** Sent as is (not JSON-encoded). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export async function createApiHarness(
  options: ApiOptions & {
    now?: () => Date;
    validateContent?: ValidateContent;
    /** (Default: a fresh memory store) */
    store?: PostStore;
    /** Ids of alice and bob (they must exist in auth.users with a Postgres store). */
    users?: [string, string];
  } = {},
): Promise<ApiHarness> {
  const store = options.store ?? createMemoryPostStore({ cipher: await createTokenCipher(randomKey()) });
  const postScheduler = createFakePostScheduler();
  const logLines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line) => void logLines.push(line) } });
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const esPublicJwk = { ...(await exportJWK(publicKey)), kid: ES256_KID, alg: 'ES256', use: 'sig' };
  const auth = createSupabaseJwtVerifier({
    jwks: { keys: [esPublicJwk] },
    hs256Secret: HS256_SECRET,
    issuer: TEST_ISSUER,
  });
  const app = createApp(
    {
      store,
      postScheduler,
      logger,
      auth,
      validateContent: options.validateContent ?? fakeValidateContent,
      ...(options.now ? { now: options.now } : {}),
    },
    options,
  );
  const [alice, bob] = options.users ?? [crypto.randomUUID(), crypto.randomUUID()];

  async function token(o: TokenOptions = {}): Promise<string> {
    const alg = o.alg ?? 'HS256';
    const jwt = new SignJWT({
      role: 'authenticated',
      ...(o.aud === undefined ? { aud: 'authenticated' } : { aud: o.aud }),
    })
      .setProtectedHeader(
        alg === 'HS256' ? { alg, typ: 'JWT' } : { alg, typ: 'JWT', kid: o.kid ?? ES256_KID },
      )
      .setSubject(o.sub ?? alice)
      .setIssuedAt();
    if (o.iss !== null) jwt.setIssuer(o.iss ?? TEST_ISSUER);
    if (o.expiresIn !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (o.expiresIn ?? 3600));
    if (alg === 'HS256') return await jwt.sign(new TextEncoder().encode(o.secret ?? HS256_SECRET));
    return await jwt.sign(o.esKey ?? privateKey);
  }

  async function call(method: string, path: string, init: CallInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const as = init.as === undefined ? alice : init.as;
    if (as !== null && !headers.has('authorization')) {
      headers.set('authorization', `Bearer ${await token({ sub: as })}`);
    }
    let body: string | undefined = init.rawBody;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    return await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
  }

  return {
    app,
    store,
    postScheduler,
    logger,
    logLines,
    alice,
    bob,
    esPrivateKey: privateKey,
    esPublicJwk,
    token,
    call,
    connect: (userId, platform, externalId) =>
      store.createAccount({
        userId,
        platform,
        externalId: externalId ?? `${platform}-${crypto.randomUUID().slice(0, 8)}`,
        displayName: `${platform} account`,
        scopes: ['write'],
        tokens: { accessToken: `access-${crypto.randomUUID()}`, refreshToken: null, expiresAt: null },
      }),
  };
}

/** An ISO instant `minutes` from now. */
export function inMinutes(minutes: number): string {
  return new Date(Date.now() + minutes * 60_000).toISOString();
}
