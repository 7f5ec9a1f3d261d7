import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, redactConfig } from '../../src/config/load-config.ts';
import { DEV_ONLY_JWT_SECRET } from '../../src/dev/dev-auth.ts';
import { loadConfigOrExit } from '../../src/entry/load-config-or-exit.ts';

const KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'config_invalid');
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('starts on the in-memory store with documented defaults when nothing is set', () => {
    const config = loadConfig({});
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.useMockDb, true);
    assert.equal(config.mockDbReason, 'DATABASE_URL is unset');
    assert.equal(config.queuePrefix, 'solospark');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.worker.concurrency, 10);
    assert.equal(config.worker.reconcileIntervalMs, 60_000);
    assert.equal(config.worker.stuckAfterMs, 300_000);
    assert.equal(config.worker.publishTimeoutMs, 30_000);
    assert.equal(config.worker.missedAfterMs, 86_400_000);
    assert.equal(config.platforms.xApiBaseUrl, 'https://api.x.com');
    assert.equal(config.platforms.linkedinOauthBaseUrl, 'https://www.linkedin.com');
  });

  it('uses Postgres when DATABASE_URL is set and DIRECT_URL falls back to it', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db:6543/postgres', TOKEN_ENCRYPTION_KEY: KEY });
    assert.equal(config.useMockDb, false);
    assert.equal(config.mockDbReason, null);
    assert.equal(config.directUrl, 'postgres://u:p@db:6543/postgres');
    assert.equal(config.tokenEncryptionKey?.byteLength, 32);
  });

  it('names the variable, the fix and the bad value for a malformed REDIS_URL', () => {
    assert.deepEqual(problemsOf({ REDIS_URL: 'localhost' }), [
      'REDIS_URL must be a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379), got "localhost"',
    ]);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      REDIS_URL: 'http://x',
      USE_MOCK_DB: 'yes',
      WORKER_CONCURRENCY: 'ten',
      QUEUE_PREFIX: 'a:b',
      LOG_LEVEL: 'loud',
    });
    assert.equal(problems.length, 5);
    assert.match(problems.join('\n'), /USE_MOCK_DB must be "true" or "false", got "yes"/);
    assert.match(problems.join('\n'), /WORKER_CONCURRENCY must be a whole number from 1 to 1000, got "ten"/);
    assert.match(problems.join('\n'), /QUEUE_PREFIX must be 1-40 letters/);
    assert.match(
      problems.join('\n'),
      /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/,
    );
  });

  it('requires DATABASE_URL and TOKEN_ENCRYPTION_KEY when the mock store is turned off', () => {
    const problems = problemsOf({ USE_MOCK_DB: 'false' });
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /^DATABASE_URL is required when USE_MOCK_DB=false/);
    assert.match(
      problems[1]!,
      /^TOKEN_ENCRYPTION_KEY is required with a real database.*openssl rand -base64 32/,
    );
  });

  it('rejects a token key that is not 32 bytes of base64', () => {
    const problems = problemsOf({ TOKEN_ENCRYPTION_KEY: btoa('short') });
    assert.match(problems[0]!, /^TOKEN_ENCRYPTION_KEY must be 32 random bytes in base64/);
  });

  it('refuses a stuck cut-off that would take targets still being sent', () => {
    const problems = problemsOf({ STUCK_AFTER_MS: '20000', PUBLISH_TIMEOUT_MS: '30000' });
    assert.match(problems[0]!, /STUCK_AFTER_MS \(20000\) must be greater than PUBLISH_TIMEOUT_MS \(30000\)/);
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({ DATABASE_URL: '', REDIS_URL: '' });
    assert.equal(config.useMockDb, true);
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
  });

  it('refuses the public dev-only JWT secret outside the dev stack, naming the fix', () => {
    for (const secret of [DEV_ONLY_JWT_SECRET, ` ${DEV_ONLY_JWT_SECRET} `]) {
      const problems = problemsOf({ SUPABASE_JWT_SECRET: secret });
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /SUPABASE_JWT_SECRET is the public dev-only secret of `npm run dev`/);
      assert.match(problems[0]!, /Set the project's JWT secret/);
    }
    const dev = loadConfig({ SUPABASE_JWT_SECRET: DEV_ONLY_JWT_SECRET }, { allowDevJwtSecret: true });
    assert.equal(dev.supabase.jwtSecret, DEV_ONLY_JWT_SECRET, 'the dev stack opts in');
    assert.equal(loadConfig({ SUPABASE_JWT_SECRET: 's'.repeat(40) }).supabase.jwtSecret, 's'.repeat(40));
  });

  it('makes an entry exit with code 2, printing the problem, when given the dev-only JWT secret', () => {
    const printed: string[] = [];
    const exited: number[] = [];
    assert.throws(
      () =>
        loadConfigOrExit({ SUPABASE_JWT_SECRET: DEV_ONLY_JWT_SECRET }, {
          error: (message) => void printed.push(message),
          exit: (code) => {
            exited.push(code);
            throw new Error('exited');
          },
        }),
      /exited/,
    );
    assert.deepEqual(exited, [2]);
    assert.match(printed.join('\n'), /dev-only secret/);
  });

  it('refuses an http:// SUPABASE_URL except on a loopback or single-label container host', () => {
    for (const url of ['http://abcdefghijklmnop.supabase.co', 'http://10.0.0.5:54321', 'http://1234:80']) {
      const problems = problemsOf({ SUPABASE_URL: url });
      assert.equal(problems.length, 1, url);
      assert.match(problems[0]!, /SUPABASE_URL must be https:\/\/ .*allowed only on a loopback host/, url);
      assert.ok(problems[0]!.includes(JSON.stringify(url)), 'names the bad value');
    }
    for (
      const url of [
        'http://127.0.0.1:54321',
        'http://localhost:54321/',
        'http://[::1]:8000',
        'http://kong:8000', // what `supabase functions serve` injects
        'https://abc.supabase.co',
      ]
    ) {
      assert.equal(loadConfig({ SUPABASE_URL: url }).supabase.url, url.replace(/\/$/, ''), url);
    }
    assert.match(
      problemsOf({ SUPABASE_URL: 'ftp://abc.supabase.co' })[0]!,
      /SUPABASE_URL must be a http:\/\/ or https:\/\/ URL/,
    );
  });

  it('expects tokens from <SUPABASE_URL>/auth/v1 unless SUPABASE_JWT_ISSUER names another issuer', () => {
    assert.equal(
      loadConfig({ SUPABASE_URL: 'https://abc.supabase.co/' }).supabase.issuer,
      'https://abc.supabase.co/auth/v1',
    );
    const local = loadConfig({
      SUPABASE_URL: 'http://kong:8000',
      SUPABASE_JWT_ISSUER: 'http://127.0.0.1:54321/auth/v1',
    });
    assert.equal(local.supabase.issuer, 'http://127.0.0.1:54321/auth/v1');
    assert.equal(local.supabase.jwksUrl, 'http://kong:8000/auth/v1/.well-known/jwks.json');
    assert.equal(loadConfig({}).supabase.issuer, null);
    assert.match(problemsOf({ SUPABASE_JWT_ISSUER: 'not a url' })[0]!, /SUPABASE_JWT_ISSUER/);
  });

  it('returns a frozen config and redacts secrets for logging', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:secret@db:5432/postgres',
      TOKEN_ENCRYPTION_KEY: KEY,
      X_CLIENT_SECRET: 'shh',
    });
    assert.throws(() => {
      (config as { redisUrl: string }).redisUrl = 'x';
    }, TypeError);
    const text = JSON.stringify(redactConfig(config));
    assert.doesNotMatch(text, /secret@|shh/);
    assert.match(text, /postgres:\/\/u:\*\*\*@db:5432/);
  });
});
