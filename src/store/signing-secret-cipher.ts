/**
 * Opening a sealed webhook signing secret (TokenCipher, context `<endpointId>:webhook_secret`), with
 * a failure that names the endpoint and the fix, for both notification stores.
 */
import { AppError } from '../domain/error-codes.ts';
import { signingSecretContext } from './endpoint-rules.ts';
import { StoreError } from './store-errors.ts';
import type { TokenCipher } from './token-cipher.ts';

export async function openSigningSecret(
  cipher: TokenCipher,
  sealed: string,
  endpointId: string,
): Promise<string> {
  try {
    return await cipher.decrypt(sealed, signingSecretContext(endpointId));
  } catch (cause) {
    const reason = cause instanceof AppError ? cause.message : String(cause);
    throw new StoreError(
      'token_decrypt_failed',
      `the signing secret of webhook endpoint ${endpointId} cannot be decrypted: ${reason}. ` +
        'Configure the key it was sealed with (TOKEN_ENCRYPTION_PREVIOUS_KEYS), or rotate the secret',
      { endpointId },
      { cause },
    );
  }
}

export async function sealSigningSecret(
  cipher: TokenCipher,
  secret: string,
  endpointId: string,
): Promise<string> {
  return await cipher.encrypt(secret, signingSecretContext(endpointId));
}
