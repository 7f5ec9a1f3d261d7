/**
 * Signing per the Standard Webhooks spec (standardwebhooks.com), as Svix and others verify it:
 * - the secret is `whsec_` + base64 of random bytes; the HMAC key is the decoded bytes;
 * - the signed content is `<webhook-id>.<webhook-timestamp>.<body>` (timestamp in Unix seconds);
 * - `webhook-signature` is `v1,<base64 HMAC-SHA256>` (space-separated when several keys sign).
 * The id stays the same on every retry of one message (receivers deduplicate on it); the timestamp
 * and signature are made fresh per attempt, so receivers can refuse stale replays.
 * The API generates secrets and notify/ signs with them, so it lives below both.
 */
export const SECRET_PREFIX = 'whsec_';
/** Random bytes in a generated secret. (Default: 32) */
export const SECRET_BYTES = 32;

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A new `whsec_…` secret from crypto.getRandomValues. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

export function isWebhookSecret(value: string): boolean {
  return /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/.test(value);
}

/**
 * The three Standard Webhooks headers for `body` sent as message `id` at `at`, signed with every one
 * of `secrets` (during a secret rotation: the new one first, then the old one). A receiver holding
 * any of them verifies the message, since `webhook-signature` lists one `v1,<mac>` per secret.
 */
export async function signWebhook(
  secrets: string | readonly string[],
  id: string,
  body: string,
  at: Date,
): Promise<SignedHeaders> {
  const keys = typeof secrets === 'string' ? [secrets] : secrets;
  if (keys.length === 0) throw new TypeError('a webhook needs at least one signing secret');
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const content = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  const signatures: string[] = [];
  for (const secret of keys) {
    if (!isWebhookSecret(secret)) throw new TypeError('the webhook secret must look like whsec_<base64>');
    const key = await crypto.subtle.importKey(
      'raw',
      fromBase64(secret.slice(SECRET_PREFIX.length)),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    signatures.push(`v1,${toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, content)))}`);
  }
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signatures.join(' '),
  };
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
