/**
 * `npm run fuzz`: fuzzes the real API from its own OpenAPI document (issue §6). It starts the API as
 * the Node server composes it, on a throw-away PostgreSQL database and a queue prefix of its own in
 * Redis, gives three creators accounts, posts, endpoints and notifications, reads GET /openapi.json,
 * and sends requests generated from it — for every operation valid, boundary and malformed bodies,
 * query strings, path ids, headers and tokens — one at a time, judging each answer:
 * no status ≥ 500; every 4xx is problem+json with a code; every 2xx matches its documented schema;
 * a rejected request changes no table (checksum of every table before and after); no refused token
 * and no other user's id gets a 2xx.
 *
 *   npm run fuzz                         # 10,000 requests, random seed (printed first)
 *   npm run fuzz -- --short              # the CI form: 1,000 requests, fixed seed
 *   npm run fuzz -- --requests 500 --seed 1234 [--json]
 *
 * Exit codes: 0 every oracle held; 1 an oracle broke (the table lists each distinct failure with
 * the request that showed it); 2 a bad argument; 3 the fuzz could not run (setup failed).
 * It touches only what it creates, reaches only this machine, and removes what it made.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { createUser } from '../tests/support/test-database.ts';
import type { FuzzOptions } from './fuzz/fuzz-options.ts';
import { parseFuzzOptions, replayCommand, USAGE, UsageError } from './fuzz/fuzz-options.ts';
import type { GenerationContext } from './fuzz/fuzz-request.ts';
import { formatTable, summarize } from './fuzz/fuzz-report.ts';
import { readLists, runFuzz } from './fuzz/fuzz-runner.ts';
import { startFuzzStack } from './fuzz/fuzz-stack.ts';
import type { FuzzStack } from './fuzz/fuzz-stack.ts';
import { createFuzzKeys, createFuzzUser } from './fuzz/fuzz-users.ts';
import { createIdPools } from './fuzz/id-pools.ts';
import { installNetworkFence } from './fuzz/network-fence.ts';
import { enumsNamed, readOperations } from './fuzz/openapi-operations.ts';
import { seedData } from './fuzz/seed-data.ts';
import { createTokenVariants, UNKNOWN_USER_ID } from './fuzz/token-variants.ts';

const EXIT_VIOLATION = 1;
const EXIT_USAGE = 2;
const EXIT_SETUP = 3;

async function fuzz(
  options: FuzzOptions,
  started: number,
  stackRef: { stack: FuzzStack | null },
): Promise<number> {
  const say = (line: string) =>
    void process.stderr.write(`[fuzz +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
  say(`seed ${options.seed}, ${options.requests} requests (replay: ${replayCommand(options)})`);
  const fence = installNetworkFence();
  const keys = await createFuzzKeys();
  const stack = stackRef.stack = await startFuzzStack({ redisUrl: options.redisUrl, keys });
  say(`api ${stack.apiUrl}, database ${stack.db.name}, queue prefix ${stack.queuePrefix}`);

  const users = [];
  for (const name of ['alice', 'bob', 'carol']) {
    users.push(await createFuzzUser(keys, name, await createUser(stack.db.sql, `${name}@fuzz.example`)));
  }
  const nobody = await createFuzzUser(keys, 'nobody', UNKNOWN_USER_ID);
  const documentResponse = await fetch(`${stack.apiUrl}/openapi.json`);
  if (documentResponse.status !== 200) {
    throw new Error(`GET /openapi.json answered ${documentResponse.status}`);
  }
  const doc = readOperations(await documentResponse.json());
  const tokens = await createTokenVariants(keys, users, nobody);
  const g: GenerationContext = {
    doc,
    pools: createIdPools(),
    users,
    goodTokens: tokens.good,
    badTokens: tokens.bad,
    platforms: enumsNamed(doc.raw, 'platform'),
    now: () => Date.now(),
    usedIdempotencyKeys: new Map(),
  };
  await seedData({ apiUrl: stack.apiUrl, sql: stack.db.sql, store: await stack.services.postStore(), users });
  await readLists(stack, g, users, ['/posts', '/accounts', '/notifications', '/notification-endpoints']);
  say(
    `${doc.operations.length} operations in /openapi.json; seeded ${g.pools.size('posts')} posts, ` +
      `${g.pools.size('accounts')} accounts, ${g.pools.size('notifications')} notifications, ` +
      `${g.pools.size('notification-endpoints')} endpoints for ${users.map((u) => u.name).join(', ')}`,
  );

  const tally = await runFuzz({ stack, g, seed: options.seed, requests: options.requests, say });
  const summary = summarize(tally);
  const dir = await mkdtemp(join(tmpdir(), 'solospark-fuzz-'));
  const file = join(dir, 'summary.json');
  await writeFile(file, `${JSON.stringify({ ...summary, fenceRefused: fence.refused.length }, null, 2)}\n`);
  process.stdout.write(
    options.json ? `${JSON.stringify(summary, null, 2)}\n` : `\n${formatTable(summary)}\n`,
  );
  say(
    `summary with every distinct failure in ${file}; the fence kept ${fence.refused.length} calls off the network`,
  );
  return summary.pass ? 0 : EXIT_VIOLATION;
}

async function main(): Promise<number> {
  const started = Date.now();
  let options: FuzzOptions;
  try {
    options = parseFuzzOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`fuzz: ${err.message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const stackRef: { stack: FuzzStack | null } = { stack: null };
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stderr.write(
        `[fuzz] ${signal}: dropping the database and this run's Redis keys (again to force)\n`,
      );
      void (stackRef.stack?.close() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  try {
    return await fuzz(options, started, stackRef);
  } catch (err) {
    process.stderr.write(
      `[fuzz] the fuzz could not run: ${err instanceof Error ? err.stack ?? err.message : err}\n`,
    );
    process.stderr.write(`[fuzz] replay with: ${replayCommand(options)}\n`);
    return EXIT_SETUP;
  } finally {
    await stackRef.stack?.close();
  }
}

process.exitCode = await main();
// A stray handle (a keep-alive socket) must not keep the process alive past its verdict.
setTimeout(() => process.exit(), 2000).unref();
