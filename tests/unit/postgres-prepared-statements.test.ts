import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';
import { postgresOptions, usesPreparedStatements } from '../../src/store/connect-postgres.ts';

const KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));

describe('prepared statements on the Postgres pool', () => {
  it('are on for direct and session connections, off on the transaction pooler (port 6543)', () => {
    assert.equal(usesPreparedStatements('postgres://u:p@db.example.supabase.co:5432/postgres'), true);
    assert.equal(usesPreparedStatements('postgres://u:p@127.0.0.1/postgres'), true, 'default port');
    assert.equal(usesPreparedStatements('postgres://u:p@aws-0-eu.pooler.supabase.com:6543/postgres'), false);
  });

  it('follow DATABASE_PREPARED_STATEMENTS when it is set, and the URL when it is auto', () => {
    const env = { DATABASE_URL: 'postgres://u:p@db:6543/postgres', TOKEN_ENCRYPTION_KEY: KEY };
    assert.deepEqual(postgresOptions(loadConfig(env)), {}, 'auto: decided from the URL');
    assert.deepEqual(
      postgresOptions(loadConfig({ ...env, DATABASE_PREPARED_STATEMENTS: 'false' })),
      { prepare: false },
    );
    assert.deepEqual(
      postgresOptions(loadConfig({ ...env, DATABASE_PREPARED_STATEMENTS: 'true' })),
      { prepare: true },
    );
  });

  it('refuses any other value with a message that names the choices', () => {
    assert.throws(
      () => loadConfig({ DATABASE_PREPARED_STATEMENTS: 'yes' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /DATABASE_PREPARED_STATEMENTS must be "auto", "true" or "false"/.test(err.message),
    );
  });
});
