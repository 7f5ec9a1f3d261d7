/**
 * Connects a social account by hand, with tokens obtained elsewhere (an operator's tool, a platform's
 * developer console). The tokens are encrypted by the store like any other account's.
 *
 *   ACCOUNT_ACCESS_TOKEN=… [ACCOUNT_REFRESH_TOKEN=…] npm run account:add -- --user <uuid> \
 *     --platform x|instagram|linkedin [--expires-in <seconds>] [--external-id <id>] [--name <display name>]
 *   printf '%s' '{"accessToken":"…","refreshToken":"…","expiresIn":7200}' | npm run account:add -- \
 *     --user <uuid> --platform x --tokens-stdin
 *
 * The tokens come from the environment or standard input, never from argv, which every user of the
 * machine can read in `ps` (account-add/account-token-input.ts). `--access-token`/`--refresh-token`
 * still work for existing scripts, with a warning saying what to use instead.
 *
 * Prints the new account's id as the last line of stdout (everything else goes to stderr).
 * Exit codes: 0 done; 2 a bad argument or environment (the message names it and the fix);
 * 1 anything else (the database refused or is unreachable).
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config/load-config.ts';
import { coerceError } from '../src/domain/error-codes.ts';
import type { Platform } from '../src/domain/platform.ts';
import { normalizePlatform } from '../src/domain/platform.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createPostStore } from '../src/store/create-store.ts';
import { isUuid } from '../src/store/input-checks.ts';
import { readTokensStdin, resolveAccountTokens, TokenInputError } from './account-add/account-token-input.ts';
import type { TokenFlags } from './account-add/account-token-input.ts';

const USAGE =
  'usage: npm run account:add -- --user <uuid> --platform x|instagram|linkedin [--tokens-stdin]\n' +
  '         [--expires-in <seconds>] [--external-id <id>] [--name <display name>]\n' +
  '       the tokens: ACCOUNT_ACCESS_TOKEN and ACCOUNT_REFRESH_TOKEN in the environment, or with\n' +
  '         --tokens-stdin {"accessToken":"…","refreshToken":"…","expiresIn":7200} on standard input';

/** What the platform adapters use the external id for, so the operator knows what to pass. */
const EXTERNAL_ID_HINT: Readonly<Record<Platform, string>> = {
  x: 'the numeric X user id (GET /2/users/me)',
  instagram: 'the Instagram professional account user id (GET /me?fields=user_id)',
  linkedin: 'the author URN, e.g. urn:li:person:AbC123 (from /v2/userinfo: urn:li:person:<sub>)',
};

/** Stored for X when the operator gives no id; the worker then cannot search the timeline. */
const UNKNOWN_X_ID = 'unknown';

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

interface AccountArgs {
  userId: string;
  platform: Platform;
  /** Where the tokens come from; resolved with the environment and stdin in main. */
  tokens: TokenFlags;
  externalId: string | null;
  displayName: string | null;
}

class UsageError extends Error {}

function parseAccountArgs(argv: string[]): AccountArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        user: { type: 'string' },
        platform: { type: 'string' },
        'access-token': { type: 'string' },
        'refresh-token': { type: 'string' },
        'tokens-stdin': { type: 'boolean' },
        'expires-in': { type: 'string' },
        'external-id': { type: 'string' },
        name: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(`${coerceError(err).message}`);
  }
  if (values.help) return 'help';

  const user = values.user?.trim();
  if (!user) {
    throw new UsageError('--user is required: the Supabase auth user id (a uuid) who owns the account');
  }
  if (!isUuid(user)) {
    throw new UsageError(`--user must be a uuid (a Supabase auth user id), got ${JSON.stringify(user)}`);
  }

  if (!values.platform) {
    throw new UsageError('--platform is required: one of x, instagram, linkedin (twitter = x)');
  }
  const platform = normalizePlatform(values.platform);
  if (!platform) {
    throw new UsageError(
      `--platform must be one of x, instagram, linkedin (twitter = x), got ${
        JSON.stringify(values.platform)
      }`,
    );
  }

  const tokens: TokenFlags = {
    accessToken: values['access-token'],
    refreshToken: values['refresh-token'],
    expiresIn: values['expires-in'],
    tokensStdin: values['tokens-stdin'] ?? false,
  };

  const externalId = values['external-id']?.trim() || null;
  if (!externalId && platform !== 'x') {
    throw new UsageError(`--external-id is required for ${platform}: ${EXTERNAL_ID_HINT[platform]}`);
  }
  if (externalId && externalId.length > 200) {
    throw new UsageError('--external-id must be at most 200 characters');
  }
  const displayName = values.name?.trim() || null;
  if (displayName && displayName.length > 200) throw new UsageError('--name must be at most 200 characters');

  return { userId: user, platform, tokens, externalId, displayName };
}

async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let args: AccountArgs | 'help';
  try {
    args = parseAccountArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`account:add: ${err.message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (args === 'help') {
    console.error(USAGE);
    return 0;
  }

  let tokens;
  try {
    let stdinText: string | null = null;
    if (args.tokens.tokensStdin) {
      if (process.stdin.isTTY) {
        console.error('account:add: reading the tokens JSON from standard input (end it with Ctrl-D)');
      }
      stdinText = await readTokensStdin(process.stdin);
    }
    tokens = resolveAccountTokens(args.tokens, env, stdinText);
  } catch (err) {
    if (!(err instanceof TokenInputError)) throw err;
    console.error(`account:add: ${err.message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  for (const warning of tokens.warnings) console.error(`account:add: ${warning}`);

  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`account:add: ${err.message}`);
    return EXIT_USAGE;
  }

  // The store's own log lines (JSON) go to stderr, so stdout carries only the id.
  const logger = createLogger({
    level: 'error',
    name: 'account-add',
    destination: { write: (line) => void process.stderr.write(line) },
  });
  const store = await createPostStore(config, logger);
  try {
    if (config.useMockDb) {
      console.error(
        `account:add: warning: the in-memory store is in use (${config.mockDbReason}); the account lives only in ` +
          'this process and is gone when it exits. Set DATABASE_URL and TOKEN_ENCRYPTION_KEY to keep it.',
      );
    }
    if (!args.externalId) {
      console.error(
        `account:add: warning: no --external-id; stored "${UNKNOWN_X_ID}". Pass ${EXTERNAL_ID_HINT.x} so the ` +
          'worker can check the timeline after a send whose outcome is unknown.',
      );
    }
    const expiresAt = tokens.expiresInSeconds === null
      ? null
      : new Date(Date.now() + tokens.expiresInSeconds * 1000);
    const account = await store.createAccount({
      userId: args.userId,
      platform: args.platform,
      externalId: args.externalId ?? UNKNOWN_X_ID,
      displayName: args.displayName,
      tokens: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt },
    });
    console.error(
      `account:add: connected ${account.platform} account ${account.externalId} for user ${account.userId}` +
        (expiresAt ? ` (token expires ${expiresAt.toISOString()})` : ''),
    );
    process.stdout.write(`${account.id}\n`);
    return 0;
  } catch (err) {
    const error = coerceError(err);
    const code = (error as { code?: unknown }).code;
    const context = (error as { context?: Record<string, unknown> }).context ?? {};
    if (code === 'validation_failed' && context.path === 'userId') {
      console.error(
        `account:add: --user ${args.userId} is not a user in auth.users; create the user in Supabase Auth ` +
          '(sign up) first, or check the id',
      );
      return EXIT_USAGE;
    }
    if (code === 'account_conflict') {
      console.error(`account:add: ${error.message}`);
      return EXIT_FAILURE;
    }
    console.error(`account:add: could not store the account: ${error.message}`);
    return EXIT_FAILURE;
  } finally {
    await store.close();
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
