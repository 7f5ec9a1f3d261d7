/**
 * The fuzz's creators and their credentials, made the way tests/support/api-harness.ts makes them:
 * Supabase-shaped user JWTs (`role: authenticated`, `aud: authenticated`, a uuid `sub`, an `exp`),
 * signed with the HS256 secret the API is configured with (SUPABASE_JWT_SECRET) or with an ES256 key
 * from the JWKS it is given (SUPABASE_JWKS). `signRaw` signs any header and payload text, so the
 * token variants can carry headers jose would refuse to produce (an `alg` with CR/LF, invalid JSON).
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { toBase64Url } from '../../src/store/token-cipher.ts';

export const ES256_KID = 'fuzz-es256-key';

export interface FuzzKeys {
  hs256Secret: string;
  esPrivateKey: CryptoKey;
  esPublicJwk: JWK;
  /** A second ES256 key the API does not know (wrong-key tokens). */
  foreignEsKey: CryptoKey;
}

export interface FuzzUser {
  /** alice, bob or carol: how reports name the user. */
  name: string;
  id: string;
  /** A valid HS256 token, good for the whole run. */
  token: string;
  /** A valid ES256 token. */
  esToken: string;
}

export async function createFuzzKeys(): Promise<FuzzKeys> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const foreign = await generateKeyPair('ES256');
  return {
    hs256Secret: `fuzz-${crypto.randomUUID()}-${crypto.randomUUID()}`,
    esPrivateKey: privateKey,
    esPublicJwk: { ...(await exportJWK(publicKey)), kid: ES256_KID, alg: 'ES256', use: 'sig' },
    foreignEsKey: foreign.privateKey,
  };
}

export interface MintOptions {
  sub: string;
  /** Seconds from now; null = no exp claim. (Default: 7200) */
  expiresIn?: number | null;
  alg?: 'HS256' | 'ES256';
  /** (Default: the configured secret) */
  secret?: string;
  esKey?: CryptoKey;
  kid?: string;
  /** Extra or replaced claims. */
  claims?: Record<string, unknown>;
}

/** A Supabase-shaped user access token. */
export async function mintToken(keys: FuzzKeys, o: MintOptions): Promise<string> {
  const alg = o.alg ?? 'HS256';
  const jwt = new SignJWT({ role: 'authenticated', aud: 'authenticated', ...o.claims })
    .setProtectedHeader(alg === 'HS256' ? { alg, typ: 'JWT' } : { alg, typ: 'JWT', kid: o.kid ?? ES256_KID })
    .setSubject(o.sub)
    .setIssuedAt();
  if (o.expiresIn !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (o.expiresIn ?? 7200));
  if (alg === 'HS256') return await jwt.sign(new TextEncoder().encode(o.secret ?? keys.hs256Secret));
  return await jwt.sign(o.esKey ?? keys.esPrivateKey);
}

/** `b64url(header).b64url(payload).HMAC-SHA256` over any text, valid JSON or not. */
export async function signRaw(headerText: string, payloadText: string, secret: string): Promise<string> {
  const encode = (text: string) => toBase64Url(new TextEncoder().encode(text));
  const signingInput = `${encode(headerText)}.${encode(payloadText)}`;
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(signingInput));
  return `${signingInput}.${toBase64Url(new Uint8Array(mac))}`;
}

export async function createFuzzUser(keys: FuzzKeys, name: string, id: string): Promise<FuzzUser> {
  return {
    name,
    id,
    token: await mintToken(keys, { sub: id }),
    esToken: await mintToken(keys, { sub: id, alg: 'ES256' }),
  };
}
