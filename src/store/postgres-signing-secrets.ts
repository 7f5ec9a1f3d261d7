/**
 * Endpoint signing secrets in public.notification_endpoints, sealed with the TokenCipher like
 * platform tokens (context `<endpointId>:webhook_secret`):
 * - `secret_ciphertext` is the current secret; `previous_secret_ciphertext` the one a rotation
 *   replaced, valid until `previous_secret_expires_at` (then dropped, on the next read);
 * - rows from before encryption keep their secret in clear in `secret` until sealPlaintextSecrets
 *   (run by the delivery worker at start) or their first signing seals them; the check constraint
 *   allows exactly one of the two columns.
 * A rotation never decrypts: the current ciphertext moves to the previous column as it is (it is
 * bound to the endpoint, not the column), so a secret sealed with a key since removed can still be
 * rotated away.
 */
import type postgres from 'postgres';
import { checkSecret } from './endpoint-rules.ts';
import { isUuid } from './input-checks.ts';
import type { NotificationStore, SecretRotation } from './notification-store.ts';
import type { EndpointRow } from './postgres-notification-rows.ts';
import { ENDPOINT_COLUMNS, toEndpoint } from './postgres-notification-rows.ts';
import { openSigningSecret, sealSigningSecret } from './signing-secret-cipher.ts';
import type { TokenCipher } from './token-cipher.ts';

/** Rows sealed per statement by sealPlaintextSecrets. */
const SEAL_BATCH = 500;

interface SecretRow {
  id: string;
  secret: string | null;
  secret_ciphertext: string | null;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: Date | null;
}

export function createPostgresSigningSecrets(
  options: { sql: postgres.Sql; cipher: TokenCipher },
): Pick<NotificationStore, 'rotateEndpointSecret' | 'getSigningSecrets' | 'sealPlaintextSecrets'> {
  const { sql, cipher } = options;
  const endpointColumns = sql.unsafe(ENDPOINT_COLUMNS);

  /** The current secret as stored now, sealed (a row still in clear is sealed on the way). */
  async function sealedCurrent(row: SecretRow): Promise<string> {
    if (row.secret_ciphertext !== null) return row.secret_ciphertext;
    return await sealSigningSecret(cipher, row.secret!, row.id);
  }

  return {
    async rotateEndpointSecret(id: string, userId: string, rotation: SecretRotation, at: Date) {
      checkSecret(rotation.secret);
      if (!isUuid(id)) return null;
      const sealed = await sealSigningSecret(cipher, rotation.secret, id);
      const keepPrevious = rotation.previousExpiresAt !== null &&
        rotation.previousExpiresAt.getTime() > at.getTime();
      return await sql.begin(async (tx) => {
        const [row] = await tx<SecretRow[]>`
          select id, secret, secret_ciphertext, previous_secret_ciphertext, previous_secret_expires_at
          from public.notification_endpoints where id = ${id} and user_id = ${userId} for update`;
        if (!row) return null;
        const previous = keepPrevious ? await sealedCurrent(row) : null;
        const [updated] = await tx<EndpointRow[]>`
          update public.notification_endpoints set
            secret = null,
            secret_ciphertext = ${sealed},
            previous_secret_ciphertext = ${previous},
            previous_secret_expires_at = ${keepPrevious ? rotation.previousExpiresAt : null}
          where id = ${id}
          returning ${endpointColumns}`;
        return toEndpoint(updated!);
      });
    },

    async getSigningSecrets(id: string, at: Date) {
      if (!isUuid(id)) return null;
      const [row] = await sql<SecretRow[]>`
        select id, secret, secret_ciphertext, previous_secret_ciphertext, previous_secret_expires_at
        from public.notification_endpoints where id = ${id}`;
      if (!row) return null;
      let current: string;
      if (row.secret_ciphertext !== null) {
        current = await openSigningSecret(cipher, row.secret_ciphertext, id);
      } else {
        // Stored before encryption: use it, and seal it now (unless a rotation got there first).
        current = row.secret!;
        await sql`
          update public.notification_endpoints
          set secret_ciphertext = ${await sealSigningSecret(cipher, current, id)}, secret = null
          where id = ${id} and secret = ${current}`;
      }
      const secrets = [current];
      if (row.previous_secret_ciphertext !== null && row.previous_secret_expires_at !== null) {
        if (row.previous_secret_expires_at.getTime() > at.getTime()) {
          secrets.push(await openSigningSecret(cipher, row.previous_secret_ciphertext, id));
        } else {
          // Its window is over: drop it for good (unless a newer rotation replaced it meanwhile).
          await sql`
            update public.notification_endpoints
            set previous_secret_ciphertext = null, previous_secret_expires_at = null
            where id = ${id} and previous_secret_ciphertext = ${row.previous_secret_ciphertext}`;
        }
      }
      return secrets;
    },

    async sealPlaintextSecrets() {
      let sealed = 0;
      for (;;) {
        const rows = await sql<{ id: string; secret: string }[]>`
          select id, secret from public.notification_endpoints
          where secret is not null order by id limit ${SEAL_BATCH}`;
        let batch = 0;
        for (const row of rows) {
          const done = await sql`
            update public.notification_endpoints
            set secret_ciphertext = ${await sealSigningSecret(cipher, row.secret, row.id)}, secret = null
            where id = ${row.id} and secret = ${row.secret}`;
          batch += done.count;
        }
        sealed += batch;
        if (rows.length < SEAL_BATCH || batch === 0) return sealed;
      }
    },
  };
}
