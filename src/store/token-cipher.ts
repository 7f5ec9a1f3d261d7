/**
 * Encrypts platform tokens before they reach storage: AES-256-GCM through WebCrypto, a random
 * 96-bit IV per value, and the owning account and field as additional data (a ciphertext copied to
 * another row or column does not decrypt). The key id travels with the value, so keys can rotate:
 * encrypt with the current key, decrypt with whichever configured key the value names.
 *
 * Format: `v1.<keyId>.<iv base64url>.<ciphertext+tag base64url>`.
 */
import { AppError } from '../domain/error-codes.ts';

export interface TokenCipher {
  /** Key id of the current key (first 8 bytes of SHA-256 of the key, hex). */
  readonly keyId: string;
  encrypt(plaintext: string, context: string): Promise<string>;
  decrypt(value: string, context: string): Promise<string>;
}

const FORMAT_VERSION = 'v1';

export async function keyIdOf(rawKey: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', rawKey as BufferSource));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** `currentKey` encrypts; it and `previousKeys` decrypt. Each key is 32 raw bytes. */
export async function createTokenCipher(
  currentKey: Uint8Array,
  previousKeys: Uint8Array[] = [],
): Promise<TokenCipher> {
  const keys = new Map<string, CryptoKey>();
  let currentId = '';
  for (const [index, raw] of [currentKey, ...previousKeys].entries()) {
    if (raw.byteLength !== 32) {
      throw new AppError('config_invalid', `token encryption keys must be 32 bytes, got ${raw.byteLength}`);
    }
    const id = await keyIdOf(raw);
    const key = await crypto.subtle.importKey('raw', raw as BufferSource, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    if (index === 0) currentId = id;
    if (!keys.has(id)) keys.set(id, key);
  }
  const encoder = new TextEncoder();

  return {
    keyId: currentId,
    async encrypt(plaintext, context) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: encoder.encode(context) },
        keys.get(currentId)!,
        encoder.encode(plaintext),
      );
      return [FORMAT_VERSION, currentId, toBase64Url(iv), toBase64Url(new Uint8Array(sealed))].join('.');
    },
    async decrypt(value, context) {
      const parts = value.split('.');
      if (parts.length !== 4 || parts[0] !== FORMAT_VERSION) {
        throw new AppError('token_decrypt_failed', 'stored token is not in the v1 encrypted format', {
          context,
        });
      }
      const [, keyId, ivText, sealedText] = parts as [string, string, string, string];
      const key = keys.get(keyId);
      if (!key) {
        throw new AppError(
          'token_decrypt_failed',
          `stored token was encrypted with key ${keyId}, which is not configured; ` +
            'add that key to TOKEN_ENCRYPTION_PREVIOUS_KEYS or reconnect the account',
          { context, keyId },
        );
      }
      try {
        const plain = await crypto.subtle.decrypt(
          {
            name: 'AES-GCM',
            iv: fromBase64Url(ivText) as BufferSource,
            additionalData: encoder.encode(context),
          },
          key,
          fromBase64Url(sealedText) as BufferSource,
        );
        return new TextDecoder().decode(plain);
      } catch (cause) {
        throw new AppError(
          'token_decrypt_failed',
          `stored token failed authentication with key ${keyId}: the key is wrong or the value was altered`,
          { context, keyId },
          { cause },
        );
      }
    },
  };
}

/** A throw-away key for the in-memory store when no TOKEN_ENCRYPTION_KEY is configured. */
export function randomKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array {
  const padded = text.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
