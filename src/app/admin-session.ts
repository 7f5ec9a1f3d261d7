/**
 * The admin session cookie: what a browser carries to the dashboard's page and its API calls once
 * the credential was presented (browsers send no Authorization header when they navigate). The
 * cookie holds no credential, only `v1.<expiry ms>.<HMAC-SHA256>`, so a copied cookie stops working
 * at its expiry and says nothing about ADMIN_TOKEN.
 *
 * The HMAC key is derived from ADMIN_TOKEN when it is set: every API instance accepts the sessions
 * of the others, and changing the token ends them all. Without ADMIN_TOKEN (service-role JWTs
 * only) the key is random per process, so a restart ends the sessions and each instance has its
 * own.
 *
 * Attributes: HttpOnly (no script reads it), SameSite=Strict (no other site's page can make the
 * browser send it, so no cross-site request can retry or remove a job), Path=/admin, Secure on https.
 */
export const ADMIN_COOKIE = 'solospark_admin';

/** How long a session lasts. (8 hours: a working day; then the credential is asked for again) */
export const ADMIN_SESSION_MS = 8 * 3_600_000;

export interface AdminSessions {
  /** A fresh session's cookie value. */
  issue(): Promise<string>;
  /** True when `value` is a session this key issued and it has not expired. */
  isValid(value: string): Promise<boolean>;
}

export function createAdminSessions(
  options: { adminToken: string | null; now?: () => number },
): AdminSessions {
  const now = options.now ?? Date.now;
  const key = importKey(options.adminToken);

  async function sign(expiresAt: number): Promise<string> {
    const signature = await crypto.subtle.sign(
      'HMAC',
      await key,
      new TextEncoder().encode(`admin-session.v1.${expiresAt}`),
    );
    return toBase64Url(new Uint8Array(signature));
  }

  return {
    async issue() {
      const expiresAt = now() + ADMIN_SESSION_MS;
      return `v1.${expiresAt}.${await sign(expiresAt)}`;
    },
    async isValid(value) {
      const match = /^v1\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(value);
      if (!match) return false;
      const expiresAt = Number(match[1]);
      if (expiresAt <= now()) return false;
      const signature = fromBase64Url(match[2]!);
      // Only the one encoding `sign` writes: the last of 43 characters carries 2 unused bits, and a
      // cookie must not have four spellings that all verify.
      if (toBase64Url(signature) !== match[2]) return false;
      return await crypto.subtle.verify(
        'HMAC',
        await key,
        signature as BufferSource,
        new TextEncoder().encode(`admin-session.v1.${expiresAt}`),
      );
    },
  };
}

/** `Set-Cookie` for a session; `secure` on https. */
export function sessionCookie(value: string, secure: boolean): string {
  return `${ADMIN_COOKIE}=${value}; Path=/admin; Max-Age=${
    ADMIN_SESSION_MS / 1000
  }; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** `Set-Cookie` that ends the session in this browser. */
export function clearedSessionCookie(secure: boolean): string {
  return `${ADMIN_COOKIE}=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The session cookie's value in a `Cookie` header, or null. */
export function sessionFromCookies(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === ADMIN_COOKIE) return rest.join('=');
  }
  return null;
}

async function importKey(adminToken: string | null): Promise<CryptoKey> {
  const material = adminToken === null ? crypto.getRandomValues(new Uint8Array(32)) : new Uint8Array(
    await crypto.subtle.digest(
      'SHA-256',
      new TextEncoder().encode(`solospark admin session key\n${adminToken}`),
    ),
  );
  return await crypto.subtle.importKey('raw', material, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  return Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
}
