/**
 * What every Supabase Edge Function module exports. `scripts/build-functions.ts` bundles every
 * `src/entry/functions/<name>.ts` into the shared `supabase/functions/_shared/bundle/` (entry
 * `<name>.js` plus chunks), and the thin `supabase/functions/<name>/index.ts` does:
 *
 *   const app = await createFunction(Deno.env.toObject());
 *   Deno.serve(app.fetch);
 *
 * Configuration comes only from that environment: Supabase injects SUPABASE_URL, SUPABASE_JWKS,
 * SUPABASE_DB_URL, …; REDIS_URL, TOKEN_ENCRYPTION_KEY, OAUTH_APP_RETURN_URL and the platform client
 * ids are secrets (`supabase secrets set`). A bad environment does not crash the isolate on every
 * request: the function answers 503 `config_invalid` and logs the problems (values stay out of the
 * response).
 *
 * Liveness: every function answers `GET /functions/v1/<name>/health` (it arrives as `/<name>/health`)
 * with 200 `{"status":"ok"}` and no user token, before its own routes (in `posts` that path would
 * otherwise be the post id "health"). A misconfigured function answers 503 there too, so a probe
 * notices. The gateway still wants a key or JWT in Authorization where verify_jwt = true.
 */
import { healthResponse } from '../api/health-response.ts';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import type { Config } from '../config/load-config.ts';
import { problemJsonResponse } from '../domain/problem-details.ts';
import { createLogger } from '../observability/logger.ts';
import type { Logger } from '../observability/logger.ts';

export interface EdgeFunction {
  fetch(request: Request): Response | Promise<Response>;
}

export type FunctionEnv = Readonly<Record<string, string | undefined>>;

export type CreateEdgeFunction = (env: FunctionEnv) => Promise<EdgeFunction>;

/** Config from a function's environment: DATABASE_URL falls back to the injected SUPABASE_DB_URL. */
export function functionConfig(env: FunctionEnv): Config {
  return loadConfig({ ...env, DATABASE_URL: env.DATABASE_URL ?? env.SUPABASE_DB_URL });
}

/** JSON lines through console.log, which the Edge Runtime collects (there is no fd to write to). */
export function functionLogger(config: Pick<Config, 'logLevel'>, name: string): Logger {
  return createLogger({
    level: config.logLevel,
    name: `solospark-${name}-function`,
    destination: { write: (line) => console.log(line.trimEnd()) },
  });
}

/**
 * Runs `build`; a ConfigError becomes a function that answers 503 problem+json and logs why, so a
 * missing secret shows up in the function's logs and responses instead of as a boot loop.
 */
export async function createFunctionOrExplain(
  name: string,
  env: FunctionEnv,
  build: (config: Config, logger: Logger) => Promise<EdgeFunction>,
): Promise<EdgeFunction> {
  let config: Config;
  try {
    config = functionConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return misconfigured(name, err, functionLogger({ logLevel: 'info' }, name));
  }
  const logger = functionLogger(config, name);
  try {
    return withHealth(name, await build(config, logger));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return misconfigured(name, err, logger);
  }
}

/** Answers `GET /<name>/health` (= `GET /functions/v1/<name>/health` at the gateway), else `fn`. */
function withHealth(name: string, fn: EdgeFunction): EdgeFunction {
  const path = `/${name}/health`;
  return {
    fetch(request) {
      const isProbe = request.method === 'GET' && new URL(request.url).pathname === path;
      return isProbe ? healthResponse() : fn.fetch(request);
    },
  };
}

function misconfigured(name: string, err: ConfigError, logger: Logger): EdgeFunction {
  logger.error({ problems: err.problems }, `the ${name} function is misconfigured`);
  const detail = `the ${name} function is missing or has malformed settings; its logs name them ` +
    '(set them with supabase secrets set)';
  return { fetch: () => problemJsonResponse(503, 'config_invalid', { detail, requestId: null }) };
}
