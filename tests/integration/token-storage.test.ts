import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createPostStore } from '../../src/store/create-store.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import type { TokenCipher } from '../../src/store/token-cipher.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';

announcePostgresSkip();

const ACCESS = 'plain-access-token-7f3a';
const REFRESH = 'plain-refresh-token-91c2';

interface RawAccount {
  access_token_ciphertext: string;
  refresh_token_ciphertext: string | null;
  token_key_id: string;
}

function expectCode(code: string) {
  return (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, `expected ${code}, got ${String(err)}`);
    return true;
  };
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

describe('token storage in Postgres', { skip: postgresSkip }, () => {
  let db: TestDatabase;
  const keyA = randomKey();
  const keyB = randomKey();
  let cipherA: TokenCipher;
  let cipherB: TokenCipher;
  let storeA: PostStore;

  before(async () => {
    db = await createTestDatabase();
    cipherA = await createTokenCipher(keyA);
    cipherB = await createTokenCipher(keyB);
    storeA = createPostgresPostStore({ sql: db.sql, cipher: cipherA });
  });
  after(async () => {
    await db?.drop();
  });

  async function rawRow(accountId: string): Promise<RawAccount> {
    const [row] = await db.sql<RawAccount[]>`
      select access_token_ciphertext, refresh_token_ciphertext, token_key_id
      from public.social_accounts where id = ${accountId}`;
    assert.ok(row, 'the account row exists');
    return row;
  }

  async function newAccount(store: PostStore, platform: 'x' | 'linkedin' = 'x') {
    const userId = await createUser(db.sql);
    return store.createAccount({
      userId,
      platform,
      externalId: `ext-${crypto.randomUUID()}`,
      tokens: { accessToken: ACCESS, refreshToken: REFRESH, expiresAt: new Date('2030-01-01T00:00:00Z') },
    });
  }

  it('keeps only ciphertext in the row and returns the plaintext through the store', async () => {
    const account = await newAccount(storeA);
    const [whole] = await db.sql`select * from public.social_accounts where id = ${account.id}`;
    const text = JSON.stringify(whole);
    assert.ok(!text.includes(ACCESS), 'the access token is not stored in plaintext');
    assert.ok(!text.includes(REFRESH), 'the refresh token is not stored in plaintext');
    const row = await rawRow(account.id);
    assert.match(row.access_token_ciphertext, new RegExp(`^v1\\.${cipherA.keyId}\\.`));
    assert.match(row.refresh_token_ciphertext!, new RegExp(`^v1\\.${cipherA.keyId}\\.`));
    assert.equal(row.token_key_id, cipherA.keyId);
    assert.notEqual(row.access_token_ciphertext, row.refresh_token_ciphertext);
    assert.deepEqual(await storeA.getAccountTokens(account.id), {
      accessToken: ACCESS,
      refreshToken: REFRESH,
      expiresAt: new Date('2030-01-01T00:00:00Z'),
    });
  });

  it('refuses a plaintext token written straight into the table (check constraint)', async () => {
    const account = await newAccount(storeA);
    await assert.rejects(
      db.sql`update public.social_accounts set access_token_ciphertext = ${ACCESS} where id = ${account.id}`,
      /access_token_ciphertext_check|violates check constraint/,
    );
  });

  it('fails loudly with token_decrypt_failed when the store has a different key', async () => {
    const account = await newAccount(storeA);
    const storeB = createPostgresPostStore({ sql: db.sql, cipher: cipherB });
    await assert.rejects(storeB.getAccountTokens(account.id), (err: Error) => {
      expectCode('token_decrypt_failed')(err);
      assert.match(err.message, new RegExp(account.id));
      assert.match(err.message, new RegExp(cipherA.keyId), 'names the key the value needs');
      assert.match(err.message, /TOKEN_ENCRYPTION_PREVIOUS_KEYS/);
      return true;
    });
    await assert.rejects(
      storeB.updateAccountTokens(
        account.id,
        { accessToken: 'n', refreshToken: 'n', expiresAt: null },
        REFRESH,
      ),
      expectCode('token_decrypt_failed'),
    );
    assert.equal((await rawRow(account.id)).token_key_id, cipherA.keyId, 'the failed rotation wrote nothing');
  });

  it('does not decrypt a ciphertext copied onto another account', async () => {
    const victim = await newAccount(storeA);
    const thief = await newAccount(storeA, 'linkedin');
    await db.sql`
      update public.social_accounts
      set access_token_ciphertext = (select access_token_ciphertext from public.social_accounts where id = ${victim.id})
      where id = ${thief.id}`;
    await assert.rejects(storeA.getAccountTokens(thief.id), expectCode('token_decrypt_failed'));
  });

  it('rotates keys: the previous key still decrypts, new writes use the new key', async () => {
    const account = await newAccount(storeA);
    const rotated = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(keyB, [keyA]) });
    assert.equal((await rotated.getAccountTokens(account.id)).accessToken, ACCESS, 'old key in previousKeys');

    assert.equal(
      await rotated.updateAccountTokens(account.id, {
        accessToken: 'a2',
        refreshToken: 'r2',
        expiresAt: null,
      }, REFRESH),
      true,
    );
    const row = await rawRow(account.id);
    assert.equal(row.token_key_id, cipherB.keyId);
    assert.match(row.access_token_ciphertext, new RegExp(`^v1\\.${cipherB.keyId}\\.`));
    assert.match(row.refresh_token_ciphertext!, new RegExp(`^v1\\.${cipherB.keyId}\\.`));
    assert.deepEqual(await rotated.getAccountTokens(account.id), {
      accessToken: 'a2',
      refreshToken: 'r2',
      expiresAt: null,
    });
    await assert.rejects(storeA.getAccountTokens(account.id), expectCode('token_decrypt_failed'));

    const created = await newAccount(rotated);
    assert.equal((await rawRow(created.id)).token_key_id, cipherB.keyId);
  });

  it('builds the Postgres store from configuration with the previous keys for rotation', async () => {
    const account = await newAccount(storeA);
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line) => void lines.push(line) } });
    const config = loadConfig({
      DATABASE_URL: db.url,
      TOKEN_ENCRYPTION_KEY: base64(keyB),
      TOKEN_ENCRYPTION_PREVIOUS_KEYS: base64(keyA),
    });
    const store = await createPostStore(config, logger);
    try {
      await store.ping();
      assert.equal((await store.getAccountTokens(account.id)).refreshToken, REFRESH);
      const created = await newAccount(store);
      assert.equal((await rawRow(created.id)).token_key_id, cipherB.keyId);
    } finally {
      await store.close();
    }
    await assert.rejects(store.ping(), 'close() ended the connection the store opened');
    const line = JSON.parse(lines.find((l) => l.includes('"store":"postgres"'))!);
    assert.equal(line.level, 30);
    assert.ok(!JSON.stringify(lines).includes(base64(keyB)), 'the key is never logged');
  });
});
