import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';

describe('API configuration', () => {
  it('defaults PORT to 8787, no CORS origins and a 64 KiB body limit', () => {
    const config = loadConfig({});
    assert.equal(config.api.port, 8787);
    assert.deepEqual(config.api.corsOrigins, []);
    assert.equal(config.api.bodyLimitBytes, 65_536);
    assert.deepEqual(config.supabase, {
      url: null,
      jwks: null,
      jwksUrl: null,
      jwtSecret: null,
      issuer: null,
    });
  });

  it('parses CORS origins, the Supabase URL, JWKS and secret', () => {
    const config = loadConfig({
      PORT: '9000',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:3000/',
      SUPABASE_URL: 'https://abc.supabase.co/',
      SUPABASE_JWKS: '{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}',
      SUPABASE_JWT_SECRET: 's'.repeat(40),
    });
    assert.equal(config.api.port, 9000);
    assert.deepEqual(config.api.corsOrigins, ['https://app.example.com', 'http://localhost:3000']);
    assert.equal(config.supabase.jwksUrl, 'https://abc.supabase.co/auth/v1/.well-known/jwks.json');
    assert.equal(config.supabase.jwks?.keys.length, 1);
  });

  it('names each bad API variable and the fix', () => {
    try {
      loadConfig({
        PORT: '0',
        CORS_ORIGINS: 'app.example.com',
        SUPABASE_JWKS: '{"keys":1}',
        SUPABASE_JWT_SECRET: 'short',
      });
      assert.fail('loadConfig accepted a bad environment');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const text = err.problems.join('\n');
      assert.match(text, /PORT must be a whole number from 1 to 65535/);
      assert.match(text, /CORS_ORIGINS must be comma-separated origins such as https:\/\/app.example.com/);
      assert.match(text, /SUPABASE_JWKS must be the JSON of the project JWKS/);
      assert.match(text, /SUPABASE_JWT_SECRET must be the project JWT secret/);
    }
  });
});
