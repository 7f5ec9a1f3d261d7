/**
 * ADMIN_TOKEN and ADMIN_QUEUE_ACTIONS in the configuration, and the admin session cookie: what is
 * accepted, what is refused with which message, and that the token never shows in a logged config.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, redactConfig } from '../../src/config/load-config.ts';
import { ADMIN_SESSION_MS, createAdminSessions, sessionFromCookies } from '../../src/app/admin-session.ts';

const TOKEN = 'a-32-character-admin-token-value-0123456789';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
}

describe('admin configuration', () => {
  it('is off and read-only by default', () => {
    assert.deepEqual(loadConfig({}).admin, { token: null, queueActions: false });
    assert.deepEqual(loadConfig({ ADMIN_TOKEN: TOKEN, ADMIN_QUEUE_ACTIONS: 'true' }).admin, {
      token: TOKEN,
      queueActions: true,
    });
  });

  it('refuses a short ADMIN_TOKEN and a non-boolean ADMIN_QUEUE_ACTIONS, naming the fix', () => {
    assert.deepEqual(problemsOf({ ADMIN_TOKEN: 'short', ADMIN_QUEUE_ACTIONS: 'yes' }), [
      'ADMIN_TOKEN must be at least 32 characters (generate one with: openssl rand -base64 32)',
      'ADMIN_QUEUE_ACTIONS must be "true" or "false", got "yes"',
    ]);
  });

  it('redacts ADMIN_TOKEN for logging', () => {
    const text = JSON.stringify(redactConfig(loadConfig({ ADMIN_TOKEN: TOKEN })));
    assert.ok(!text.includes(TOKEN));
    assert.match(text, /"admin":\{"token":"\*\*\*","queueActions":false\}/);
  });
});

describe('admin sessions', () => {
  it('accepts its own sessions until they expire, and no altered one', async () => {
    let now = 1_800_000_000_000;
    const sessions = createAdminSessions({ adminToken: TOKEN, now: () => now });
    const value = await sessions.issue();
    assert.ok(await sessions.isValid(value));
    assert.equal(
      await sessions.isValid(value.replace(/^v1\.\d/, (m) => `v1.${(Number(m.at(-1)) + 1) % 10}`)),
      false,
    );
    assert.equal(await sessions.isValid(`${value}x`), false);
    now += ADMIN_SESSION_MS;
    assert.equal(await sessions.isValid(value), false, 'expired');
  });

  it('shares sessions between instances with the same ADMIN_TOKEN, and only then', async () => {
    const one = createAdminSessions({ adminToken: TOKEN });
    const value = await one.issue();
    assert.ok(await createAdminSessions({ adminToken: TOKEN }).isValid(value));
    assert.equal(await createAdminSessions({ adminToken: `${TOKEN}-rotated` }).isValid(value), false);
    const random = createAdminSessions({ adminToken: null });
    assert.equal(await createAdminSessions({ adminToken: null }).isValid(await random.issue()), false);
  });

  it('finds its cookie among others', () => {
    assert.equal(sessionFromCookies('a=1; solospark_admin=v1.2.abc; b=2'), 'v1.2.abc');
    assert.equal(sessionFromCookies('a=1'), null);
    assert.equal(sessionFromCookies(null), null);
  });
});
