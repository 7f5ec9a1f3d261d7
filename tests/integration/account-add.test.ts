/**
 * `npm run account:add` as a child process against a throw-away database: the account is stored with
 * encrypted tokens; the tokens come from the environment or from JSON on standard input (argv is
 * visible to every user in `ps`), and the old --access-token still works but warns; every bad input
 * exits 2 naming the fix, without repeating a token.
 */
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

function run(args: string[], env: Record<string, string>, stdin?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // Only what the test sets: an inherited USE_MOCK_DB or DATABASE_URL must not change the outcome.
    const child = spawn(nodeBin, ['--import', 'tsx', SCRIPT, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(stdin ?? '');
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

  async function storedTokens(id: string) {
    const store = createPostgresPostStore({ sql: db.sql, cipher: await createTokenCipher(key) });
    return await store.getAccountTokens(id);
  }

  it('takes the tokens from ACCOUNT_ACCESS_TOKEN and ACCOUNT_REFRESH_TOKEN, with no warning', async () => {
    const result = await run(['--user', userId, '--platform', 'x', '--external-id', '1001'], {
      ...env,
      ACCOUNT_ACCESS_TOKEN: 'env-access-secret',
      ACCOUNT_REFRESH_TOKEN: 'env-refresh-secret',
    });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /warning/);
    assert.ok(!(result.stdout + result.stderr).includes('env-access-secret'));
    const tokens = await storedTokens(lastLine(result.stdout));
    assert.equal(tokens.accessToken, 'env-access-secret');
    assert.equal(tokens.refreshToken, 'env-refresh-secret');
  });

  it('takes the tokens as a JSON object on standard input with --tokens-stdin', async () => {
    const started = Date.now();
    const camel = await run(
      ['--user', userId, '--platform', 'x', '--external-id', '1002', '--tokens-stdin'],
      env,
      JSON.stringify({
        accessToken: 'stdin-access-secret',
        refreshToken: 'stdin-refresh-secret',
        expiresIn: 600,
      }),
    );
    assert.equal(camel.code, 0, camel.stderr);
    assert.doesNotMatch(camel.stderr, /warning/);
    assert.ok(!(camel.stdout + camel.stderr).includes('stdin-access-secret'));
    const id = lastLine(camel.stdout);
    const tokens = await storedTokens(id);
    assert.equal(tokens.accessToken, 'stdin-access-secret');
    assert.equal(tokens.refreshToken, 'stdin-refresh-secret');
    const expires = tokens.expiresAt!.getTime();
    assert.ok(expires >= started + 600_000 && expires <= Date.now() + 600_000, 'expires in 600 s');

    // A platform's token response, piped as it comes: its other fields are ignored.
    const response = await run(
      ['--user', userId, '--platform', 'linkedin', '--external-id', 'urn:li:person:Stdin', '--tokens-stdin'],
      env,
      JSON.stringify({
        access_token: 'response-access-secret',
        expires_in: 5184000,
        scope: 'w_member_social',
      }),
    );
    assert.equal(response.code, 0, response.stderr);
    const fromResponse = await storedTokens(lastLine(response.stdout));
    assert.equal(fromResponse.accessToken, 'response-access-secret');
    assert.equal(fromResponse.refreshToken, null);
  });

  it('exits 2 naming the problem when the tokens on standard input are wrong, never echoing them', async () => {
    const args = ['--user', userId, '--platform', 'x', '--tokens-stdin'];
    const cases: [string, RegExp, Record<string, string>?][] = [
      ['', /standard input is empty/],
      ['{accessToken: leaked-secret}', /standard input is not valid JSON/],
      ['["leaked-secret"]', /must be a JSON object .*, not an array/],
      [
        '{"refreshToken":"leaked-secret"}',
        /accessToken is required and must be a non-empty string, got nothing/,
      ],
      ['{"accessToken":"leaked-secret","token":"x"}', /unknown field "token"; the object takes accessToken/],
      ['{"accessToken":"leaked-secret","refreshToken":7}', /refreshToken must be a non-empty string or null/],
      ['{"accessToken":"leaked-secret","expiresIn":-1}', /expiresIn must be a whole number of seconds/],
      ['{"accessToken":"leaked-secret","access_token":"x"}', /not both/],
      ['{"accessToken":"leaked-secret"}', /ACCOUNT_ACCESS_TOKEN gives one too/, {
        ACCOUNT_ACCESS_TOKEN: 'x',
      }],
    ];
    const results = await Promise.all(
      cases.map(([input, , extra]) => run(args, { ...env, ...extra }, input)),
    );
    for (const [index, result] of results.entries()) {
      assert.equal(result.code, 2, `case ${index}: ${result.stderr}`);
      assert.match(result.stderr, cases[index]![1], `case ${index}`);
      assert.doesNotMatch(result.stderr, /leaked-secret/, `case ${index} repeats no token`);
      assert.equal(result.stdout, '', 'no id is printed');
    }
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
    assert.match(
      result.stderr,
      /warning: --access-token and --refresh-token put tokens on the command line.*ps.*Set ACCOUNT_ACCESS_TOKEN and ACCOUNT_REFRESH_TOKEN instead, or pipe .* into --tokens-stdin/,
      'the old flags still work, and say what to use instead',
    );

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

    const tokens = await storedTokens(id);
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
      [['--user', userId, '--platform', 'x'], /an access token is required: set ACCOUNT_ACCESS_TOKEN/],
      [
        [...base, '--tokens-stdin'],
        /--tokens-stdin reads both tokens from standard input, but --access-token/,
      ],
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
