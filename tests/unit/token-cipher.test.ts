import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';

describe('token cipher', () => {
  it('round-trips a token and never stores the plaintext', async () => {
    const cipher = await createTokenCipher(randomKey());
    const sealed = await cipher.encrypt('secret-access-token', 'acct-1:access_token');
    assert.match(sealed, /^v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.ok(!sealed.includes('secret-access-token'));
    assert.equal(await cipher.decrypt(sealed, 'acct-1:access_token'), 'secret-access-token');
  });

  it('uses a fresh IV for every value', async () => {
    const cipher = await createTokenCipher(randomKey());
    const a = await cipher.encrypt('same', 'ctx');
    const b = await cipher.encrypt('same', 'ctx');
    assert.notEqual(a, b);
  });

  it('fails loudly with token_decrypt_failed under the wrong key', async () => {
    const writer = await createTokenCipher(randomKey());
    const sealed = await writer.encrypt('t', 'ctx');
    const reader = await createTokenCipher(randomKey());
    await assert.rejects(reader.decrypt(sealed, 'ctx'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'token_decrypt_failed');
      assert.match(err.message, /not configured; add that key to TOKEN_ENCRYPTION_PREVIOUS_KEYS/);
      return true;
    });
  });

  it('refuses a ciphertext moved to another account or field', async () => {
    const cipher = await createTokenCipher(randomKey());
    const sealed = await cipher.encrypt('t', 'acct-1:access_token');
    await assert.rejects(cipher.decrypt(sealed, 'acct-2:access_token'), { code: 'token_decrypt_failed' });
  });

  it('decrypts values sealed with a previous key during rotation and seals new ones with the current key', async () => {
    const oldKey = randomKey();
    const before = await createTokenCipher(oldKey);
    const sealed = await before.encrypt('t', 'ctx');
    const after = await createTokenCipher(randomKey(), [oldKey]);
    assert.equal(await after.decrypt(sealed, 'ctx'), 't');
    assert.notEqual(after.keyId, before.keyId);
    assert.equal((await after.encrypt('t', 'ctx')).split('.')[1], after.keyId);
  });

  it('rejects a key that is not 32 bytes', async () => {
    await assert.rejects(createTokenCipher(new Uint8Array(16)), { code: 'config_invalid' });
  });
});
