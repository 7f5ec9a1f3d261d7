import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import {
  announcePostgresSkip,
  createTestDatabase,
  createUser,
  postgresSkip,
} from '../support/test-database.ts';
import type { TestDatabase } from '../support/test-database.ts';

announcePostgresSkip();

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = 'scripts/account-add.ts';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The script runs on Node with tsx; under Deno, process.execPath is deno, so use `node` from PATH. */
const nodeBin = 'deno' in process.versions ? 'node' : process.execPath;
const nodeSkip: string | false = spawnSync(nodeBin, ['--version']).status === 0
  ? false
  : `${nodeBin} is not runnable here; the account:add child-process test needs Node with tsx`;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // Only what the test sets: an inherited USE_MOCK_DB or DATABASE_URL must not change the outcome.
    const child = spawn(nodeBin, ['--import', 'tsx', SCRIPT, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

describe('npm run account:add', { skip: postgresSkip || nodeSkip }, () => {
  let db: TestDatabase;
  let userId: string;
  const key = randomKey();
  let env: Record<string, string>;

  before(async () => {
    db = await createTestDatabase();
    userId = await createUser(db.sql);
    env = { DATABASE_URL: db.url, TOKEN_ENCRYPTION_KEY: base64(key) };
  });
  after(async () => {
    await db?.drop();
  });

  it('stores the account with encrypted tokens and prints its id as the last line', async () => {
    const started = Date.now();
    const result = await run([
      '--user',
      userId,
      '--platform',
      'twitter',
      '--access-token',
      'cli-access-secret',
      '--refresh-token',
      'cli-refresh-secret',
      '--expires-in',
      '7200',
      '--external-id',
      '2244994945',
      '--name',
      '@ada',
    ], env);
    assert.equal(result.code, 0, result.stderr);
    const id = lastLine(result.stdout);
    assert.match(id, UUID);
    assert.ok(!(result.stdout + result.stderr).includes('cli-access-secret'), 'the token is never printed');

    const [row] = await db.sql`select * from public.social_accounts where id = ${id}`;
    assert.ok(row, 'the row exists');
    assert.equal(row.user_id, userId);
    assert.equal(row.platform, 'x', 'twitter is stored as x');
    assert.equal(row.external_id, '2244994945');
    assert.equal(row.display_name, '@ada');
    assert.equal(row.status, 'active');
    assert.match(row.access_token_ciphertext, /^v1\.[0-9a-f]{16}\./);
    assert.ok(!JSON.stringify(row).includes('cli-access-secret'));
    assert.ok(!JSON.stringify(row).includes('cli-refresh-secret'));
    const expires = (row.token_expires_at as Date).getTime();
    assert.ok(expires >= started + 7_200_000 && expires <= Date.now() + 7_200_000, 'expires in 7200 s');

    const store = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(key) });
    const tokens = await store.getAccountTokens(id);
    assert.equal(tokens.accessToken, 'cli-access-secret');
    assert.equal(tokens.refreshToken, 'cli-refresh-secret');
  });

  it('exits 2 naming the argument and the fix when an argument is wrong', async () => {
    const base = ['--user', userId, '--platform', 'x', '--access-token', 't'];
    const cases: [string[], RegExp][] = [
      [['--platform', 'x', '--access-token', 't'], /--user is required/],
      [['--user', 'bob', '--platform', 'x', '--access-token', 't'], /--user must be a uuid/],
      [
        ['--user', userId, '--platform', 'myspace', '--access-token', 't'],
        /--platform must be one of x, instagram, linkedin/,
      ],
      [['--user', userId, '--platform', 'x'], /--access-token is required/],
      [[...base, '--expires-in', 'soon'], /--expires-in must be a whole number of seconds/],
      [
        ['--user', userId, '--platform', 'linkedin', '--access-token', 't'],
        /--external-id is required for linkedin: .*urn:li:person/,
      ],
      [[...base, '--colour', 'red'], /colour/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args, env)));
    for (const [index, result] of results.entries()) {
      assert.equal(result.code, 2, `case ${index}: ${result.stderr}`);
      assert.match(result.stderr, cases[index]![1]);
      assert.match(result.stderr, /usage: npm run account:add/);
      assert.equal(result.stdout, '', 'no id is printed');
    }
  });

  it('exits 2 with the configuration problems when the environment is wrong', async () => {
    const result = await run(['--user', userId, '--platform', 'x', '--access-token', 't'], {
      DATABASE_URL: 'mysql://db.example.test/app',
      TOKEN_ENCRYPTION_KEY: 'short',
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Invalid configuration/);
    assert.match(result.stderr, /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
    assert.match(result.stderr, /TOKEN_ENCRYPTION_KEY must be 32 random bytes in base64/);
    assert.equal(result.stdout, '');
  });

  it('exits 2 with a clear message when the user is not in auth.users', async () => {
    const stranger = crypto.randomUUID();
    const result = await run([
      '--user',
      stranger,
      '--platform',
      'x',
      '--access-token',
      't',
      '--external-id',
      '1',
    ], env);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`--user ${stranger} is not a user in auth\\.users`));
    assert.doesNotMatch(result.stderr, /foreign key/);
    const [count] = await db
      .sql`select count(*)::int as n from public.social_accounts where user_id = ${stranger}`;
    assert.equal(count!.n, 0);
  });

  it('exits 1 naming the conflict when the account is already connected', async () => {
    const args = [
      '--user',
      userId,
      '--platform',
      'instagram',
      '--access-token',
      't',
      '--external-id',
      '1784',
    ];
    assert.equal((await run(args, env)).code, 0);
    const again = await run(args, env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /instagram account 1784 is already connected/);
  });

  it('works with the in-memory store but warns that the account lives only in this process', async () => {
    const result = await run(['--user', userId, '--platform', 'x', '--access-token', 't'], {});
    assert.equal(result.code, 0, result.stderr);
    assert.match(lastLine(result.stdout), UUID);
    assert.match(
      result.stderr,
      /in-memory store is in use \(DATABASE_URL is unset\); the account lives only in this process/,
    );
    assert.match(result.stderr, /no --external-id/);
  });
});
