/**
 * The system under fuzz, in this process: the real API exactly as src/entry/node-api.ts composes it
 * (createServices + buildApi, served by @hono/node-server on 127.0.0.1), on a throw-away PostgreSQL
 * database with the Supabase shim and the migrations (tests/support/test-database.ts, so CI's
 * clean-up of `solospark_test_…` databases covers a killed run), a queue prefix of its own in the
 * Redis at REDIS_URL, and the sandbox platforms (src/sandbox/) as every platform's API and OAuth
 * server. Production settings otherwise: webhook endpoints must be public https hosts.
 *
 * `close()` stops the server, closes the services, deletes this run's Redis keys (only those) and
 * drops the database; it is safe to call twice.
 */
import type { AddressInfo } from 'node:net';
import process from 'node:process';
import { serve } from '@hono/node-server';
import { buildApi } from '../../src/app/build-api.ts';
import { createServices } from '../../src/app/create-services.ts';
import type { Services } from '../../src/app/create-services.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { PLATFORMS } from '../../src/domain/platform.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startSandbox } from '../../src/sandbox/start-sandbox.ts';
import type { TestDatabase } from '../../tests/support/test-database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { uniqueQueuePrefix } from '../../tests/support/test-redis.ts';
import { deletePrefixKeys } from '../../tests/support/worker-fixtures.ts';
import type { FuzzKeys } from './fuzz-users.ts';
import { createLogBook } from './log-book.ts';
import type { LogBook } from './log-book.ts';

export interface FuzzStack {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  apiUrl: string;
  db: TestDatabase;
  services: Services;
  queuePrefix: string;
  /** The API's warn and error lines, by request id. */
  logs: LogBook;
  close(): Promise<void>;
}

export async function startFuzzStack(options: { redisUrl: string; keys: FuzzKeys }): Promise<FuzzStack> {
  const steps: { name: string; run: () => Promise<unknown> }[] = [];
  const closeAll = async () => {
    for (const step of steps.splice(0).reverse()) {
      await step.run().catch((err) =>
        process.stderr.write(`[fuzz] clean-up "${step.name}" failed: ${(err as Error)?.message ?? err}\n`)
      );
    }
  };
  try {
    const db = await createTestDatabase();
    steps.push({ name: `drop database ${db.name}`, run: () => db.drop() });
    const sandbox = await startSandbox({ port: 0 });
    steps.push({ name: 'stop the sandbox', run: () => sandbox.close() });
    const queuePrefix = uniqueQueuePrefix('fuzz');
    steps.push({ name: `delete Redis keys {${queuePrefix}}:*`, run: () => deletePrefixKeys(queuePrefix) });

    // The port is known only once the server listens, and the OAuth redirect URI names it: listen
    // first with a handler that waits for the API.
    let api: ((request: Request) => Response | Promise<Response>) | null = null;
    const server = serve({
      fetch: (request) => api ? api(request) : new Response('starting', { status: 503 }),
      port: 0,
      hostname: '127.0.0.1',
    });
    await new Promise<void>((resolve, reject) => {
      if (server.listening) return resolve();
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
    steps.push({
      name: 'stop the API server',
      run: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        }),
    });
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const clients = Object.fromEntries(PLATFORMS.flatMap((platform) => {
      const client = sandbox.sandbox.knobs.client(platform);
      const name = platform.toUpperCase();
      return [[`${name}_CLIENT_ID`, client.clientId], [`${name}_CLIENT_SECRET`, client.clientSecret]];
    }));
    const config = loadConfig({
      ...clients,
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      USE_MOCK_DB: 'false',
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: queuePrefix,
      TOKEN_ENCRYPTION_KEY: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
      SUPABASE_JWT_SECRET: options.keys.hs256Secret,
      SUPABASE_JWKS: JSON.stringify({ keys: [options.keys.esPublicJwk] }),
      X_API_BASE_URL: `${sandbox.url}/x`,
      INSTAGRAM_API_BASE_URL: `${sandbox.url}/instagram`,
      LINKEDIN_API_BASE_URL: `${sandbox.url}/linkedin`,
      LINKEDIN_OAUTH_BASE_URL: `${sandbox.url}/linkedin`,
      // Where the platforms send the browser back: this API's callback (OAUTH_REDIRECT_BASE_URL), or the
      // creator app's return page (OAUTH_APP_RETURN_URL), whichever this version of the API reads. The
      // fuzz never follows the redirect, so the page need not exist.
      OAUTH_REDIRECT_BASE_URL: apiUrl,
      OAUTH_APP_RETURN_URL: 'https://app.fuzz.example/connect',
      NOTIFY_ALLOW_PRIVATE_HOSTS: 'false',
      // A test event to an endpoint that never answers would hold the (sequential) fuzz this long.
      NOTIFY_DELIVERY_TIMEOUT_MS: '2000',
    });
    const logs = createLogBook();
    const services = createServices(config, {
      logger: createLogger({ level: 'warn', name: 'solospark-api', destination: logs }),
    });
    steps.push({ name: 'close the services', run: () => services.close() });
    api = (await buildApi(services)).fetch;
    return { apiUrl, db, services, queuePrefix, logs, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
