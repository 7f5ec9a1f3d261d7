/**
 * Authorization headers for the fuzz: the good ones (HS256 and ES256 tokens of each user, written in
 * the ways the Bearer syntax allows) and every kind of bad one — none, garbage, expired, wrong
 * signature or key, `alg: none`, algorithm confusion, malformed JOSE headers (an `alg` with CR/LF or
 * characters outside Latin-1, a header that is not JSON), bad claims, and valid tokens of a user the
 * database does not know. Made once per run: a variant is a fixed header value, so a request that
 * failed can be sent again with the same header.
 */
import type { FuzzKeys, FuzzUser } from './fuzz-users.ts';
import { mintToken, signRaw } from './fuzz-users.ts';

export interface TokenVariant {
  /** e.g. `hs256`, `expired`, `alg-crlf`. */
  kind: string;
  /** The Authorization header; null = none sent. */
  authorization: string | null;
  /** The user the API must take the caller for, when it must accept the header. */
  user: FuzzUser | null;
}

/** A valid signature over a user id that is in no table: the API must accept it and find nothing. */
export const UNKNOWN_USER_ID = '7e57f022-0000-4000-8000-00000000dead';

export async function createTokenVariants(
  keys: FuzzKeys,
  users: readonly FuzzUser[],
  /** A user with a valid token who is in no table (id UNKNOWN_USER_ID). */
  nobody: FuzzUser,
): Promise<{
  /** Per user, the headers that must authenticate as that user. */
  good: Map<string, TokenVariant[]>;
  /** Headers the API must refuse with 401 (but `unknown-user`, which is nobody's good token). */
  bad: TokenVariant[];
}> {
  const good = new Map<string, TokenVariant[]>();
  for (const user of users) {
    good.set(user.id, [
      { kind: 'hs256', authorization: `Bearer ${user.token}`, user },
      { kind: 'es256', authorization: `Bearer ${user.esToken}`, user },
      { kind: 'bearer-lowercase', authorization: `bearer ${user.token}`, user },
      { kind: 'bearer-spaces', authorization: `Bearer   ${user.token}  `, user },
      {
        kind: 'sub-uppercase',
        authorization: `Bearer ${await mintToken(keys, { sub: user.id.toUpperCase() })}`,
        user,
      },
      // Validly signed with odd headers: a duplicate member (RFC 7515 §4: the last one counts) and a
      // `kid`, which an HS256 verification does not use, full of control characters.
      {
        kind: 'alg-duplicate-last-wins',
        authorization: `Bearer ${await signRaw(
          '{"alg":"none","alg":"HS256","typ":"JWT"}',
          claimsOf(user),
          keys.hs256Secret,
        )}`,
        user,
      },
      {
        kind: 'hs256-kid-crlf',
        authorization: `Bearer ${await signRaw(
          '{"alg":"HS256","typ":"JWT","kid":"../../etc/passwd\\r\\n"}',
          claimsOf(user),
          keys.hs256Secret,
        )}`,
        user,
      },
    ]);
  }
  const alice = users[0]!;
  const sign = (header: string, payload: Record<string, unknown> | string) =>
    signRaw(header, typeof payload === 'string' ? payload : JSON.stringify(payload), keys.hs256Secret);
  const claims = (extra: Record<string, unknown> = {}) => ({
    sub: alice.id,
    role: 'authenticated',
    aud: 'authenticated',
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 7200,
    ...extra,
  });
  const [header, payload] = alice.token.split('.') as [string, string, string];
  const bearer = (token: string) => `Bearer ${token}`;
  const bad: [string, string | null][] = [
    ['none', null],
    ['empty', ''],
    ['scheme-only', 'Bearer'],
    ['scheme-space', 'Bearer '],
    ['basic', `Basic ${btoa('alice:password')}`],
    ['token-scheme', `Token ${alice.token}`],
    ['no-scheme', alice.token],
    ['garbage', 'Bearer not-a-jwt'],
    ['garbage-parts', 'Bearer a.b.c'],
    ['two-tokens', `Bearer ${alice.token} Bearer ${alice.token}`],
    // Big, but with the longest query still under Node's 16 KB header limit (request-variants.ts).
    ['huge', bearer(`${header}.${'A'.repeat(7_000)}.sig`)],
    ['unsigned', bearer(`${header}.${payload}.`)],
    ['expired', bearer(await mintToken(keys, { sub: alice.id, expiresIn: -3600 }))],
    ['no-exp', bearer(await mintToken(keys, { sub: alice.id, expiresIn: null }))],
    ['exp-string', bearer(await sign('{"alg":"HS256","typ":"JWT"}', claims({ exp: '9999999999' })))],
    ['not-before-future', bearer(await sign('{"alg":"HS256","typ":"JWT"}', claims({ nbf: 4102444800 })))],
    ['wrong-secret', bearer(await mintToken(keys, { sub: alice.id, secret: `${keys.hs256Secret}-other` }))],
    [
      'es256-foreign-key',
      bearer(await mintToken(keys, { sub: alice.id, alg: 'ES256', esKey: keys.foreignEsKey })),
    ],
    ['es256-unknown-kid', bearer(await mintToken(keys, { sub: alice.id, alg: 'ES256', kid: 'no-such-kid' }))],
    ['alg-none', bearer(`${b64('{"alg":"none","typ":"JWT"}')}.${b64(JSON.stringify(claims()))}.`)],
    ['alg-lowercase', bearer(await sign('{"alg":"hs256","typ":"JWT"}', claims()))],
    ['alg-confusion-rs256', bearer(await sign('{"alg":"RS256","typ":"JWT"}', claims()))],
    ['alg-crlf', bearer(await sign('{"alg":"HS256\\r\\nX-Injected: 1","typ":"JWT"}', claims()))],
    ['alg-non-latin1', bearer(await sign('{"alg":"ＨＳ２５６ \u0100\u2028","typ":"JWT"}', claims()))],
    ['alg-emoji', bearer(await sign('{"alg":"\ud83d\udd11","typ":"JWT"}', claims()))],
    ['alg-lone-surrogate', bearer(await sign('{"alg":"\\ud800","typ":"JWT"}', claims()))],
    ['alg-nul', bearer(await sign('{"alg":"HS256\\u0000","typ":"JWT"}', claims()))],
    ['alg-number', bearer(await sign('{"alg":256,"typ":"JWT"}', claims()))],
    ['alg-missing', bearer(await sign('{"typ":"JWT"}', claims()))],
    [
      'crit-unknown',
      bearer(await sign('{"alg":"HS256","typ":"JWT","crit":["x-fuzz"],"x-fuzz":1}', claims())),
    ],
    ['b64-false', bearer(await sign('{"alg":"HS256","b64":false,"crit":["b64"]}', claims()))],
    ['header-not-json', bearer(await sign('{"alg":"HS256",', claims()))],
    ['header-array', bearer(await sign('["HS256"]', claims()))],
    ['header-null', bearer(await sign('null', claims()))],
    ['payload-not-json', bearer(await sign('{"alg":"HS256","typ":"JWT"}', '{"sub":'))],
    ['payload-array', bearer(await sign('{"alg":"HS256","typ":"JWT"}', '[1,2]'))],
    ['sub-missing', bearer(await sign('{"alg":"HS256","typ":"JWT"}', claims({ sub: undefined })))],
    ['sub-not-uuid', bearer(await mintToken(keys, { sub: 'admin' }))],
    ['sub-sql', bearer(await mintToken(keys, { sub: "' or 1=1 --" }))],
    ['sub-number', bearer(await sign('{"alg":"HS256","typ":"JWT"}', claims({ sub: 42 })))],
    ['sub-nul', bearer(await mintToken(keys, { sub: `${alice.id}\u0000` }))],
    ['aud-wrong', bearer(await mintToken(keys, { sub: alice.id, claims: { aud: 'anon' } }))],
    ['aud-missing', bearer(await sign('{"alg":"HS256","typ":"JWT"}', claims({ aud: undefined })))],
  ];
  const variants: TokenVariant[] = bad.map(([kind, authorization]) => ({ kind, authorization, user: null }));
  // Accepted: the signature is good and the subject is a uuid. The API must treat it as a user
  // with no data (and never answer 500 because the user is in no table).
  variants.push({ kind: 'unknown-user', authorization: bearer(nobody.token), user: nobody });
  return { good, bad: variants };
}

function claimsOf(user: FuzzUser): string {
  const now = Math.floor(Date.now() / 1000);
  return JSON.stringify({
    sub: user.id,
    role: 'authenticated',
    aud: 'authenticated',
    iat: now,
    exp: now + 7200,
  });
}

function b64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
