/**
 * What lets a person into the admin pages (the queue dashboard): ADMIN_TOKEN, compared in constant
 * time, or a Supabase service-role JWT. Supabase signs its service-role key (a JWT with
 * `role: service_role`, no user) with the project's JWT secret, so that one is checked with
 * SUPABASE_JWT_SECRET; user tokens (`role: authenticated`) never pass, whatever they are signed with.
 *
 * The credential itself is never kept, logged or put in an error: callers get true or false.
 */
import { jwtVerify } from 'jose';

export interface AdminCredentialOptions {
  /** ADMIN_TOKEN. (Default: none) */
  adminToken: string | null;
  /** SUPABASE_JWT_SECRET, for service-role JWTs. (Default: none) */
  jwtSecret: string | null;
  /** The clock. (Default: () => new Date()) */
  now?: () => Date;
}

export interface AdminCredentialCheck {
  /** Which kinds of credential can pass; empty = the admin pages are off. */
  readonly accepts: readonly ('ADMIN_TOKEN' | 'service-role JWT')[];
  /** True when `presented` is the admin token or a valid service-role JWT. */
  verify(presented: string): Promise<boolean>;
}

/** How a JWT looks (three base64url parts); anything else is only compared with ADMIN_TOKEN. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function createAdminCredentialCheck(options: AdminCredentialOptions): AdminCredentialCheck {
  const tokenDigest = options.adminToken ? sha256(options.adminToken) : null;
  const secret = options.jwtSecret ? new TextEncoder().encode(options.jwtSecret) : null;
  const now = options.now ?? (() => new Date());
  const accepts = [
    ...(tokenDigest ? ['ADMIN_TOKEN' as const] : []),
    ...(secret ? ['service-role JWT' as const] : []),
  ];

  async function isServiceRoleJwt(presented: string): Promise<boolean> {
    if (!secret || !JWT_SHAPE.test(presented)) return false;
    try {
      const { payload } = await jwtVerify(presented, secret, {
        algorithms: ['HS256'],
        requiredClaims: ['exp'],
        currentDate: now(),
        clockTolerance: 5,
      });
      return payload.role === 'service_role';
    } catch {
      return false;
    }
  }

  return {
    accepts,
    async verify(presented) {
      if (presented === '' || presented.length > 8192) return false;
      if (tokenDigest && constantTimeEqual(await tokenDigest, await sha256(presented))) return true;
      return await isServiceRoleJwt(presented);
    },
  };
}

/**
 * Compares two SHA-256 digests without an early exit. Comparing digests (not the strings) also keeps
 * the token's length from showing in the time taken.
 */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let difference = 0;
  for (let i = 0; i < a.byteLength; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}
