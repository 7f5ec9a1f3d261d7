/**
 * The additional data bound into each account token ciphertext (a value copied to another row or
 * column fails to decrypt), shared by both adapters so they seal and open tokens alike.
 */

export function accessTokenContext(accountId: string): string {
  return `${accountId}:access_token`;
}

export function refreshTokenContext(accountId: string): string {
  return `${accountId}:refresh_token`;
}
