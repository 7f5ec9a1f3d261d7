/**
 * ecosystem.config.cjs under PM2 (the devDependency), as in production: the worker is built the way
 * `npm run build` builds it, into a temporary folder holding a copy of ecosystem.config.cjs, and PM2
 * runs it with a private PM2_HOME. `pm2 start` returns once the worker is ready (wait_ready); after
 * kill -9 PM2 starts it again and /ready answers 200 again; `pm2 reload` and `pm2 stop` shut it down
 * gracefully (exit 0). The worker uses the memory store and a unique queue prefix on the test Redis.
 *
 * Node only: PM2 runs the Node build (dist/worker.js) whichever runtime runs the test.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/dev/free-port.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-redis.ts';
import { waitFor } from '../support/wait-for.ts';
import { deletePrefixKeys } from '../support/worker-fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PM2 = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const APP = 'solospark-worker';

const denoSkip = 'Deno' in globalThis && 'PM2 runs the Node build; the Node run of this file covers it';

interface Pm2Process {
  pid: number;
  pm2_env: { status: string; restart_time: number; wait_ready?: boolean; pm_out_log_path: string };
}

describe('the worker under PM2 (ecosystem.config.cjs)', { skip: denoSkip, timeout: 240_000 }, () => {
  let dir: string;
  let home: string;
  let env: Record<string, string>;
  let ready: string;
  const prefix = uniqueQueuePrefix('pm2');

  function run(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(command, args, {
        cwd,
        env: { ...env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function pm2(...args: string[]) {
    const result = await run(process.execPath, [PM2, ...args], dir);
    assert.equal(result.code, 0, `pm2 ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  async function worker(): Promise<Pm2Process> {
    const list = JSON.parse(await pm2('jlist')) as (Pm2Process & { name: string })[];
    const found = list.find((p) => p.name === APP);
    assert.ok(found, `PM2 lists no ${APP}`);
    return found;
  }

  const pm2Log = () => readFileSync(join(home, 'pm2.log'), 'utf8');
  const readyStatus = () => fetch(ready).then((r) => r.status, () => 0);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'solospark-pm2-'));
    home = join(dir, 'pm2-home');
    mkdirSync(home);
    // PM2 asks a server of its makers for its latest version on the first run of a PM2_HOME (the
    // `touch` file marks it as done) and daily in the daemon: neither may leave this machine.
    writeFileSync(join(home, 'touch'), String(Date.now()));
    const port = await freePort();
    ready = `http://127.0.0.1:${port}/ready`;
    env = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      PM2_HOME: home,
      PM2_DISABLE_VERSION_CHECK: 'true',
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      USE_MOCK_DB: 'true',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '5000',
      WORKER_HTTP_PORT: String(port),
    };

    // The production build (package.json "build"), into this folder instead of dist/.
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<
      string,
      string
    >;
    const [tool, ...args] = scripts.build!.split(' ');
    assert.equal(tool, 'esbuild');
    const built = await run(
      join(ROOT, 'node_modules', '.bin', 'esbuild'),
      args.map((a) => (a === '--outdir=dist' ? `--outdir=${join(dir, 'dist')}` : a)),
      ROOT,
    );
    assert.equal(built.code, 0, built.stderr);
    copyFileSync(join(ROOT, 'ecosystem.config.cjs'), join(dir, 'ecosystem.config.cjs'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  });

  after(async () => {
    if (dir) {
      await run(process.execPath, [PM2, 'kill'], dir).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
    await deletePrefixKeys(prefix);
  });

  it('returns from pm2 start only once the worker is ready (wait_ready)', async () => {
    await pm2('start', 'ecosystem.config.cjs');
    assert.equal(await readyStatus(), 200, 'the worker answers /ready 200 as soon as pm2 start returns');
    const started = await worker();
    assert.equal(started.pm2_env.status, 'online');
    assert.equal(started.pm2_env.wait_ready, true);
  });

  it('starts the worker again after kill -9, and /ready answers 200 again', async () => {
    const before = await worker();
    process.kill(before.pid, 'SIGKILL');
    const restarted = await waitFor(async () => {
      const now = await worker();
      return now.pid !== before.pid && now.pm2_env.status === 'online' ? now : null;
    }, { timeoutMs: 30_000, intervalMs: 200, what: 'PM2 to start the worker again' });
    assert.equal(restarted.pm2_env.restart_time, before.pm2_env.restart_time + 1);
    assert.match(pm2Log(), /App \[solospark-worker:\d+\] exited with code \[\w+\] via signal \[SIGKILL\]/);
    await waitFor(async () => (await readyStatus()) === 200, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: '/ready 200 after the restart',
    });
  });

  it('reloads gracefully: the old worker shuts down cleanly and the new one is ready', async () => {
    const before = await worker();
    await pm2('reload', APP);
    const after = await worker();
    assert.notEqual(after.pid, before.pid);
    assert.equal(await readyStatus(), 200);
    assert.match(pm2Log(), /App \[solospark-worker:\d+\] exited with code \[0\] via signal \[SIGINT\]/);
  });

  it('stops cleanly with pm2 stop: a graceful shutdown that exits 0', async () => {
    const out = (await worker()).pm2_env.pm_out_log_path;
    const exitsBefore = pm2Log().match(/exited with code \[0\] via signal \[SIGINT\]/g)?.length ?? 0;
    await pm2('stop', APP);
    assert.equal((await worker()).pm2_env.status, 'stopped');
    assert.equal(pm2Log().match(/exited with code \[0\] via signal \[SIGINT\]/g)?.length, exitsBefore + 1);
    assert.equal(await readyStatus(), 0, 'nothing listens any more');
    const lines = readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) =>
      JSON.parse(l)
    );
    const last = lines.filter((l) => l.msg === 'shutdown complete').at(-1);
    assert.equal(last?.exitCode, 0);
    assert.ok(
      lines.some((l) =>
        l.msg === 'signal received; shutting down gracefully (send it again to exit at once)'
      ),
    );
  });
});
