/**
 * Verifies Supabase user JWTs in code (the gateway's verify_jwt also lets API keys through, so it
 * does not prove a user). ES256/RS256 tokens are checked against the project's JWKS — given as JSON
 * (SUPABASE_JWKS) or fetched from `${SUPABASE_URL}/auth/v1/.well-known/jwks.json` and cached by
 * jose — and HS256 tokens against the legacy secret (SUPABASE_JWT_SECRET). A token passes only with a
 * valid signature, an `exp` that is present and not past, `aud = authenticated`, `iss` equal to the
 * project's issuer (`<SUPABASE_URL>/auth/v1`, when the caller knows it) and a uuid `sub`.
 *
 * Nothing the token says is trusted before its signature is: messages name a header field only once
 * it has the shape of an algorithm name, so no error text carries raw token content (error-response.ts
 * copies the message into `WWW-Authenticate`).
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import { AppError } from '../../domain/error-codes.ts';

export interface AuthenticatedUser {
  /** The JWT `sub`: owner of everything the request touches. */
  userId: string;
  claims: JWTPayload;
}

export interface AuthVerifier {
  /** Throws AppError invalid_token (or not_ready when the signing keys cannot be fetched). */
  verify(token: string): Promise<AuthenticatedUser>;
}

export interface SupabaseJwtOptions {
  /** The project's JWKS (the SUPABASE_JWKS value). */
  jwks?: JSONWebKeySet | null;
  /** Where to fetch the JWKS when `jwks` is absent, e.g. https://<ref>.supabase.co/auth/v1/.well-known/jwks.json */
  jwksUrl?: string | null;
  /** The legacy HS256 secret (SUPABASE_JWT_SECRET); without it HS256 tokens are refused. */
  hs256Secret?: string | null;
  /** (Default: 'authenticated') */
  audience?: string;
  /**
   * The required `iss`, e.g. https://<ref>.supabase.co/auth/v1 (`supabaseIssuer(SUPABASE_URL)`).
   * (Default: null — `iss` is not checked)
   */
  issuer?: string | null;
  /** Seconds of clock skew tolerated on exp/nbf. (Default: 5) */
  clockToleranceSeconds?: number;
  /** The clock. (Default: () => new Date()) */
  now?: () => Date;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASYMMETRIC_ALGORITHMS = ['ES256', 'RS256'];
/** What a JOSE algorithm name looks like (RFC 7518 names: HS256, ES256K, RSA-OAEP, …). */
const ALGORITHM_NAME = /^[A-Za-z0-9+_-]{1,32}$/;

/** The `iss` Supabase Auth puts in the tokens of the project at `supabaseUrl`. */
export function supabaseIssuer(supabaseUrl: string): string {
  return `${supabaseUrl.replace(/\/+$/, '')}/auth/v1`;
}

export function createSupabaseJwtVerifier(options: SupabaseJwtOptions): AuthVerifier {
  const keys: JWTVerifyGetKey | null = options.jwks
    ? createLocalJWKSet(options.jwks)
    : options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), { cacheMaxAge: 10 * 60_000, timeoutDuration: 5000 })
    : null;
  const secret = options.hs256Secret ? new TextEncoder().encode(options.hs256Secret) : null;
  if (!keys && !secret) {
    throw new TypeError(
      'createSupabaseJwtVerifier needs SUPABASE_JWKS, SUPABASE_URL (to fetch the JWKS) or SUPABASE_JWT_SECRET',
    );
  }
  const audience = options.audience ?? 'authenticated';
  const now = options.now ?? (() => new Date());
  // Imported once: handed the raw secret, jose imports it on every verify (a CryptoKey per request).
  let hmacKey: Promise<CryptoKey> | null = null;
  const hs256Key = (raw: Uint8Array<ArrayBuffer>) =>
    hmacKey ??= crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
      .catch((err) => {
        hmacKey = null;
        throw err;
      });

  return {
    async verify(token: string): Promise<AuthenticatedUser> {
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw invalidToken('the bearer token is not a JWT; send the Supabase session access_token');
      }
      const common = {
        audience,
        ...(options.issuer ? { issuer: options.issuer } : {}),
        requiredClaims: ['exp', 'sub'],
        currentDate: now(),
        clockTolerance: options.clockToleranceSeconds ?? 5,
      };
      let payload: JWTPayload;
      try {
        if (alg === 'HS256') {
          if (!secret) throw invalidToken('HS256 tokens are not accepted by this server; sign in again');
          ({ payload } = await jwtVerify(token, await hs256Key(secret), {
            ...common,
            algorithms: ['HS256'],
          }));
        } else if (typeof alg === 'string' && ASYMMETRIC_ALGORITHMS.includes(alg)) {
          if (!keys) throw invalidToken(`${alg} tokens are not accepted: no JWKS is configured`);
          ({ payload } = await jwtVerify(token, keys, { ...common, algorithms: ASYMMETRIC_ALGORITHMS }));
        } else {
          throw invalidToken(
            `tokens signed with ${describeAlgorithm(alg)} are not accepted; use a Supabase user token ` +
              `(${['HS256', ...ASYMMETRIC_ALGORITHMS].join(', ')})`,
          );
        }
      } catch (err) {
        throw translateJoseError(err, options.issuer ?? null);
      }
      if (typeof payload.sub !== 'string' || !UUID_PATTERN.test(payload.sub)) {
        throw invalidToken("the token subject is not a user id; send a signed-in user's access token");
      }
      return { userId: payload.sub.toLowerCase(), claims: payload };
    },
  };
}

/**
 * The token's `alg` in words. An unverified header is attacker-controlled: a value that is not shaped
 * like an algorithm name (CR/LF, non-Latin-1 characters, an object) is not repeated.
 */
function describeAlgorithm(alg: unknown): string {
  if (alg === undefined) return 'no algorithm';
  if (typeof alg === 'string' && ALGORITHM_NAME.test(alg)) return alg;
  return 'an algorithm that is not a JOSE algorithm name';
}

function invalidToken(message: string, cause?: unknown): AppError {
  return new AppError('invalid_token', message, {}, { cause });
}

/** A claim name jose reports; its own names, but shape-checked like `alg` all the same. */
function describeClaim(claim: unknown): string {
  return typeof claim === 'string' && ALGORITHM_NAME.test(claim) ? claim : '(unnamed)';
}

/** jose's error codes (checked by string: errors may come from another copy of jose). */
function translateJoseError(err: unknown, issuer: string | null): AppError {
  if (err instanceof AppError) return err;
  const code = (err as { code?: unknown })?.code;
  const claim = (err as { claim?: unknown })?.claim;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return invalidToken('the token has expired; refresh the session and retry', err);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'exp') return invalidToken('the token has no valid exp claim; tokens must expire', err);
      if (claim === 'aud') {
        return invalidToken(
          'the token audience is not "authenticated"; send a signed-in user\'s access token',
          err,
        );
      }
      if (claim === 'sub') return invalidToken('the token has no sub claim; send a user access token', err);
      if (claim === 'iss') {
        return invalidToken(
          `the token was not issued by this project's Supabase Auth (iss must be ${issuer}); ` +
            "send an access token of this project's signed-in user",
          err,
        );
      }
      return invalidToken(`the token claim ${describeClaim(claim)} is not valid`, err);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return invalidToken('the token signature does not verify; it was not issued by this project', err);
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return invalidToken('no signing key of this project matches the token (kid); sign in again', err);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return invalidToken('the bearer token is malformed; send the Supabase session access_token', err);
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return new AppError(
        'not_ready',
        'the project signing keys (JWKS) could not be fetched; retry shortly',
        {},
        {
          cause: err,
        },
      );
    default:
      if (err instanceof TypeError || (err as { name?: unknown })?.name === 'TypeError') {
        return new AppError(
          'not_ready',
          'the project signing keys (JWKS) could not be fetched; retry shortly',
          {},
          {
            cause: err,
          },
        );
      }
      return invalidToken('the bearer token could not be verified', err);
  }
}
