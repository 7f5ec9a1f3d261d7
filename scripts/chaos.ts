/**
 * `npm run chaos`: the chaos soak (issue 10 §6). It runs the real system as separate processes — a
 * throw-away PostgreSQL database, a private redis-server, the sandbox platforms, the API and three
 * workers (two on Node, one on Deno, reaching Postgres through a TCP proxy) — drives a seeded load
 * of posts, edits and cancels through the HTTP API, breaks things on a seeded schedule (worker
 * kills, Redis restarts and data loss, database sessions killed and slowed, platform errors,
 * timeouts and accept-then-drop), leaves the system alone to settle, and then lets an oracle judge
 * the end state from the sandbox's record of what went live and from the database.
 *
 *   npm run chaos                      # about 5 minutes, ≥ 2,000 posts
 *   npm run chaos -- --short           # about 90 s, for CI
 *   npm run chaos -- --seed 1234       # replay a run (the seed is printed at the start)
 *   options: --json  --strict-unconfirmed  --faults kind,kind  --no-faults  --posts N
 *
 * Exit codes: 0 every invariant held; 1 an invariant broke (the table says which, with the faults
 * near each violation); 2 a bad argument; 3 the soak itself could not run (setup failed).
 *
 * It touches only what it creates (its own database, redis-server and queue prefix), talks only to
 * 127.0.0.1, and stops everything it started — also on an exception or Ctrl-C.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { startApiProcess } from './chaos/api-process.ts';
import { createApiClient } from './chaos/api-client.ts';
import { createChaosDatabase } from './chaos/chaos-database.ts';
import type { ChaosOptions } from './chaos/chaos-options.ts';
import { parseChaosOptions, USAGE, UsageError } from './chaos/chaos-options.ts';
import { startChaosRedis } from './chaos/chaos-redis.ts';
import { formatTable, summarize } from './chaos/chaos-report.ts';
import { createCreators } from './chaos/creators.ts';
import { collectEvidence } from './chaos/evidence.ts';
import { startFaultInjector } from './chaos/fault-injector.ts';
import type { FaultInjector } from './chaos/fault-injector.ts';
import { planFaults } from './chaos/fault-plan.ts';
import { startLoad } from './chaos/load-driver.ts';
import { planLoad } from './chaos/load-plan.ts';
import { closeLogStreams, killAllProcesses } from './chaos/managed-process.ts';
import { judge } from './chaos/oracle.ts';
import { startSandboxProcess } from './chaos/sandbox-process.ts';
import { serviceEnv } from './chaos/service-env.ts';
import { createRandom } from './chaos/seeded-random.ts';
import { startTcpProxy } from './chaos/tcp-proxy.ts';
import { waitForTerminal } from './chaos/wait-for-terminal.ts';
import { startWorkerFleet } from './chaos/worker-fleet.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXIT_VIOLATION = 1;
const EXIT_USAGE = 2;
const EXIT_SETUP = 3;

/** Steps that undo what the soak started, run last-in first-out. */
type Teardown = { name: string; run: () => Promise<unknown> };

async function runSoak(options: ChaosOptions, teardown: Teardown[]): Promise<number> {
  const startedAt = Date.now();
  const { profile, seed } = options;
  const runId = seed.toString(36).padStart(4, '0').slice(-4);
  const queuePrefix = `chaos-${runId}-${process.pid}`;
  const logDir = await mkdtemp(join(tmpdir(), `solospark-chaos-${runId}-`));
  const say = (line: string) =>
    void process.stderr.write(`[chaos +${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${line}\n`);
  say(
    `seed ${seed} (${profile.name}: ${profile.posts} posts, faults: ${
      options.faultKinds.join(', ') || 'none'
    })`,
  );
  say(`logs in ${logDir}`);

  const db = await createChaosDatabase(options.adminDatabaseUrl);
  teardown.push({ name: `drop database ${db.name}`, run: () => db.drop() });
  const redis = await startChaosRedis({ workDir: logDir, logDir, cwd: ROOT });
  teardown.push({ name: 'stop redis-server', run: () => redis.stop() });
  const proxy = await startTcpProxy({ host: db.host, port: db.port });
  teardown.push({ name: 'close the TCP proxy', run: () => proxy.close() });
  const sandbox = await startSandboxProcess({ cwd: ROOT, logDir });
  teardown.push({ name: 'stop the sandbox', run: () => sandbox.process.stop(3000) });
  say(`database ${db.name}, redis ${redis.url}, proxy :${proxy.port}, sandbox ${sandbox.url}`);

  const encryptionKey = crypto.getRandomValues(new Uint8Array(32));
  const jwtSecret = `chaos-${crypto.randomUUID()}-${crypto.randomUUID()}`;
  const creators = await createCreators({
    count: profile.creators,
    runId,
    db,
    sandbox: sandbox.control,
    encryptionKey,
    jwtSecret,
  });
  const env = serviceEnv({
    databaseUrl: db.url,
    redisUrl: redis.url,
    queuePrefix,
    sandboxUrl: sandbox.url,
    encryptionKey,
    jwtSecret,
  });
  const proxiedUrl = new URL(db.url);
  proxiedUrl.port = String(proxy.port);
  const [api, fleet] = await Promise.all([
    startApiProcess({ env, cwd: ROOT, logDir }),
    startWorkerFleet({
      env,
      proxiedDatabaseUrl: proxiedUrl.toString(),
      cwd: ROOT,
      logDir,
      runtimes: ['node', 'node', 'deno'],
    }),
  ]);
  teardown.push({ name: 'stop the API', run: () => api.process.stop(5000) });
  teardown.push({ name: 'stop the workers', run: () => fleet.stopAll(8000) });
  say(
    `api ${api.url}; workers ${fleet.slots.map((s) => s.name).join(', ')} ready (setup took ${
      ((Date.now() - startedAt) / 1000).toFixed(1)
    } s)`,
  );

  const plan = planLoad(profile, creators, createRandom(seed, 'load'));
  const bursts = [...new Set(plan.filter((p) => p.burst).map((p) => p.dueAtMs))];
  const faultPlan = planFaults(profile, options.faultKinds, bursts, createRandom(seed, 'faults'));
  const loadStart = Date.now() + 500;
  const load = startLoad({
    plan,
    creators,
    api: createApiClient(api.url),
    startAt: loadStart,
    runId,
    seed,
    mediaUrl: sandbox.mediaUrl,
  });
  const injector: FaultInjector = startFaultInjector(
    faultPlan,
    {
      fleet,
      redis,
      db,
      proxy,
      sandbox: sandbox.control,
      queuePrefix,
    },
    loadStart,
    say,
  );
  teardown.push({ name: 'stop watching the workers', run: () => injector.close() });
  say(
    `load started: ${plan.length} posts due over ${
      (profile.dueEndMs - profile.dueStartMs) / 1000
    } s, ${faultPlan.length} faults planned`,
  );
  const progress = setInterval(() => {
    const created = load.records.filter((r) => r.createStatus !== null).length;
    say(
      `${created}/${plan.length} posts sent to the API, ${injector.timeline.length}/${faultPlan.length} faults injected`,
    );
  }, 10_000);
  try {
    await Promise.all([load.done, injector.finish()]);
  } finally {
    clearInterval(progress);
  }
  say('load and faults done; leaving the system alone until every post is terminal');

  const drainStart = Date.now();
  const drainFrom = Math.max(drainStart, loadStart + profile.dueEndMs);
  const drained = await waitForTerminal(
    db,
    drainFrom + profile.drainTimeoutMs,
    (open) => say(`still open: ${open.posts} posts, ${open.targets} targets`),
  );
  const drainMs = Date.now() - drainStart;
  say(
    drained
      ? `every post is terminal (${(drainMs / 1000).toFixed(1)} s)`
      : 'the drain bound passed with posts still open',
  );

  const evidence = await collectEvidence(db, sandbox.control, runId);
  const verdict = judge({ evidence, records: load.records, faults: injector.timeline, runId });
  const summary = summarize({
    options,
    startedAt,
    logDir,
    records: load.records,
    timeline: injector.timeline,
    unexpectedExits: injector.unexpectedExits,
    verdict,
    drained,
    drainMs,
  });
  process.stdout.write(
    options.json ? `${JSON.stringify(summary, null, 2)}\n` : `\n${formatTable(summary)}\n`,
  );
  return summary.pass ? 0 : EXIT_VIOLATION;
}

async function runTeardown(teardown: Teardown[]): Promise<void> {
  for (const step of teardown.splice(0).reverse()) {
    try {
      await step.run();
    } catch (err) {
      process.stderr.write(
        `[chaos] teardown "${step.name}" failed: ${err instanceof Error ? err.message : err}\n`,
      );
    }
  }
  killAllProcesses({ final: true });
  await closeLogStreams();
}

async function main(): Promise<number> {
  let options: ChaosOptions;
  try {
    options = parseChaosOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`chaos: ${err.message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const teardown: Teardown[] = [];
  // Ctrl-C or a SIGTERM: tear down (drops the database, stops every process), then leave.
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) {
        killAllProcesses();
        process.exit(130);
      }
      interrupted = true;
      process.stderr.write(`[chaos] ${signal}: stopping everything the soak started (again to force)\n`);
      // No graceful stops on an interrupt: kill every process group first, then drop the database.
      killAllProcesses({ final: true });
      void runTeardown(teardown).finally(() => process.exit(130));
    });
  }
  // Last resort: no child outlives this process, whatever path it takes out.
  process.on('exit', () => killAllProcesses({ final: true }));
  try {
    return await runSoak(options, teardown);
  } catch (err) {
    process.stderr.write(
      `[chaos] the soak could not run: ${err instanceof Error ? err.stack ?? err.message : err}\n`,
    );
    process.stderr.write(`[chaos] replay with seed ${options.seed}\n`);
    return EXIT_SETUP;
  } finally {
    await runTeardown(teardown);
  }
}

process.exitCode = await main();
// Whatever handle a killed child left behind must not keep the soak alive past its verdict.
setTimeout(() => process.exit(), 2000).unref();
