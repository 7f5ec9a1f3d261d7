/**
 * Where `npm run account:add` takes the tokens from. A process's arguments are readable by every user
 * of the machine (`ps`, /proc/<pid>/cmdline) and land in shell history, so the tokens come from:
 *
 * - the environment: ACCOUNT_ACCESS_TOKEN and ACCOUNT_REFRESH_TOKEN; or
 * - standard input with `--tokens-stdin`: one JSON object, `{"accessToken":"…","refreshToken":"…",
 *   "expiresIn":7200}`, or a platform's token response as it comes (`access_token`, `refresh_token`,
 *   `expires_in`; its other fields such as `token_type` and `scope` are ignored).
 *
 * `--access-token` / `--refresh-token` still work for existing scripts, with a warning naming these
 * instead. Each token comes from one place: given twice, the command stops rather than guess. No
 * message ever repeats a token (JSON.parse's own message quotes the input, so it is not shown).
 */

/** Standard input is a few hundred bytes of JSON; more is a mistake (a file piped in by accident). */
export const MAX_TOKENS_STDIN_BYTES = 64 * 1024;

export const ACCESS_TOKEN_VAR = 'ACCOUNT_ACCESS_TOKEN';
export const REFRESH_TOKEN_VAR = 'ACCOUNT_REFRESH_TOKEN';

const STDIN_EXAMPLE = '{"accessToken":"…","refreshToken":"…","expiresIn":7200}';
const CAMEL_FIELDS = ['accessToken', 'refreshToken', 'expiresIn'] as const;

/** A problem with the token input; the script exits 2 with it (like any bad argument). */
export class TokenInputError extends Error {}

export interface TokenFlags {
  accessToken?: string | undefined;
  refreshToken?: string | undefined;
  expiresIn?: string | undefined;
  tokensStdin: boolean;
}

export interface AccountTokenInput {
  accessToken: string;
  refreshToken: string | null;
  expiresInSeconds: number | null;
  /** Said on stderr before the account is stored (e.g. tokens on the command line). */
  warnings: string[];
}

/**
 * Combines the flags, the environment and (with `--tokens-stdin`) the text read from standard input.
 * Throws TokenInputError naming the problem and the fix.
 */
export function resolveAccountTokens(
  flags: TokenFlags,
  env: Readonly<Record<string, string | undefined>>,
  stdinText: string | null,
): AccountTokenInput {
  const fromEnv = {
    accessToken: nonEmpty(env[ACCESS_TOKEN_VAR]),
    refreshToken: nonEmpty(env[REFRESH_TOKEN_VAR]),
  };
  const fromFlags = { accessToken: nonEmpty(flags.accessToken), refreshToken: nonEmpty(flags.refreshToken) };
  const warnings = commandLineWarnings(flags);
  let expiresInSeconds = flags.expiresIn === undefined
    ? null
    : parseExpiresIn(flags.expiresIn, '--expires-in');

  if (flags.tokensStdin) {
    const elsewhere = [
      fromFlags.accessToken && '--access-token',
      fromFlags.refreshToken && '--refresh-token',
      fromEnv.accessToken && ACCESS_TOKEN_VAR,
      fromEnv.refreshToken && REFRESH_TOKEN_VAR,
    ].filter((name): name is string => typeof name === 'string');
    if (elsewhere.length > 0) {
      throw new TokenInputError(
        `--tokens-stdin reads both tokens from standard input, but ${elsewhere.join(' and ')} ` +
          `${elsewhere.length === 1 ? 'gives' : 'give'} one too; give each token once (unset or drop ${
            elsewhere.join(', ')
          })`,
      );
    }
    const parsed = parseTokensJson(stdinText ?? '');
    if (parsed.expiresInSeconds !== null && expiresInSeconds !== null) {
      throw new TokenInputError(
        'the expiry is given twice, by --expires-in and by expiresIn on standard input; give it once',
      );
    }
    expiresInSeconds ??= parsed.expiresInSeconds;
    return { ...parsed, expiresInSeconds, warnings };
  }

  const accessToken = once(
    'access token',
    fromFlags.accessToken,
    '--access-token',
    fromEnv.accessToken,
    ACCESS_TOKEN_VAR,
  );
  if (!accessToken) {
    throw new TokenInputError(
      `an access token is required: set ${ACCESS_TOKEN_VAR} (and ${REFRESH_TOKEN_VAR}), or pipe ${STDIN_EXAMPLE} ` +
        'into --tokens-stdin',
    );
  }
  const refreshToken = once(
    'refresh token',
    fromFlags.refreshToken,
    '--refresh-token',
    fromEnv.refreshToken,
    REFRESH_TOKEN_VAR,
  );
  return { accessToken, refreshToken, expiresInSeconds, warnings };
}

/** The JSON object given to `--tokens-stdin`, checked field by field. */
export function parseTokensJson(text: string): Omit<AccountTokenInput, 'warnings'> {
  if (text.trim() === '') {
    throw new TokenInputError(
      `--tokens-stdin: standard input is empty; pipe one JSON object such as ${STDIN_EXAMPLE}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TokenInputError(
      `--tokens-stdin: standard input is not valid JSON; send one object such as ${STDIN_EXAMPLE}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenInputError(
      `--tokens-stdin: standard input must be a JSON object such as ${STDIN_EXAMPLE}, not ${describe(value)}`,
    );
  }
  const body = value as Record<string, unknown>;
  const tokenResponse = 'access_token' in body;
  if (tokenResponse && CAMEL_FIELDS.some((name) => name in body)) {
    throw new TokenInputError(
      '--tokens-stdin: use either accessToken/refreshToken/expiresIn or a token response ' +
        '(access_token/refresh_token/expires_in), not both',
    );
  }
  if (!tokenResponse) {
    const unknown = Object.keys(body).filter((key) => !(CAMEL_FIELDS as readonly string[]).includes(key));
    if (unknown.length > 0) {
      throw new TokenInputError(
        `--tokens-stdin: unknown field${unknown.length === 1 ? '' : 's'} ${
          unknown.map((k) => JSON.stringify(k)).join(', ')
        }; the object takes ${
          CAMEL_FIELDS.join(', ')
        } (or a token response's access_token, refresh_token, expires_in)`,
      );
    }
  }
  const names = tokenResponse
    ? { access: 'access_token', refresh: 'refresh_token', expires: 'expires_in' }
    : { access: 'accessToken', refresh: 'refreshToken', expires: 'expiresIn' };

  const access = body[names.access];
  if (typeof access !== 'string' || access.trim() === '') {
    throw new TokenInputError(
      `--tokens-stdin: ${names.access} is required and must be a non-empty string, got ${describe(access)}`,
    );
  }
  const refresh = body[names.refresh];
  if (refresh !== undefined && refresh !== null && (typeof refresh !== 'string' || refresh.trim() === '')) {
    throw new TokenInputError(
      `--tokens-stdin: ${names.refresh} must be a non-empty string or null, got ${describe(refresh)}`,
    );
  }
  const expires = body[names.expires];
  return {
    accessToken: access.trim(),
    refreshToken: typeof refresh === 'string' ? refresh.trim() : null,
    expiresInSeconds: expires === undefined || expires === null
      ? null
      : parseExpiresIn(expires, `--tokens-stdin: ${names.expires}`),
  };
}

/** Reads all of `stream` as UTF-8, refusing more than MAX_TOKENS_STDIN_BYTES. */
export async function readTokensStdin(stream: AsyncIterable<Uint8Array | string>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for await (const chunk of stream) {
    const data = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    bytes += data.byteLength;
    if (bytes > MAX_TOKENS_STDIN_BYTES) {
      throw new TokenInputError(
        `--tokens-stdin: standard input is larger than ${MAX_TOKENS_STDIN_BYTES} bytes; send only the JSON ` +
          `object with the tokens, such as ${STDIN_EXAMPLE}`,
      );
    }
    text += decoder.decode(data, { stream: true });
  }
  return text + decoder.decode();
}

function commandLineWarnings(flags: TokenFlags): string[] {
  const used = [
    nonEmpty(flags.accessToken) && '--access-token',
    nonEmpty(flags.refreshToken) && '--refresh-token',
  ].filter((name): name is string => typeof name === 'string');
  if (used.length === 0) return [];
  return [
    `warning: ${used.join(' and ')} ${
      used.length === 1 ? 'puts a token' : 'put tokens'
    } on the command line, ` +
    'where any user of this machine can read it (ps, /proc/<pid>/cmdline) and shell history keeps it. ' +
    `Set ${ACCESS_TOKEN_VAR} and ${REFRESH_TOKEN_VAR} instead, or pipe ${STDIN_EXAMPLE} into --tokens-stdin.`,
  ];
}

function once(
  what: string,
  flagValue: string | null,
  flagName: string,
  envValue: string | null,
  envName: string,
): string | null {
  if (flagValue && envValue) {
    throw new TokenInputError(
      `the ${what} is given twice, by ${flagName} and by ${envName}; give it once (${envName} keeps it out of ps)`,
    );
  }
  return flagValue ?? envValue;
}

function parseExpiresIn(value: unknown, name: string): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^\d+$/.test(text) || Number(text) <= 0 || !Number.isSafeInteger(Number(text))) {
    throw new TokenInputError(
      `${name} must be a whole number of seconds greater than 0 (the token's expires_in), got ${
        typeof value === 'string' || typeof value === 'number' ? JSON.stringify(value) : describe(value)
      }`,
    );
  }
  return Number(text);
}

function nonEmpty(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/** What a value is, without its content (it may be a token). */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : 'a string';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
