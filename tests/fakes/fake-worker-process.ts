/**
 * The worker process for process-level tests (kill -9, SIGTERM): the real run-worker.ts with the
 * runtime it is started under (Node or Deno), publishing to the HTTP fake platform at
 * FAKE_PLATFORM_URL (FAKE_RECONCILE: comma-separated platforms whose fake can reconcile).
 * FAKE_DRIVER_CRASH_MS: that long after start, throw from a setImmediate the uncatchable TypeError
 * postgres.js 3.4.9 throws when it writes to a connection that closed (porsager/postgres#1208).
 */
import process from 'node:process';
import { runWorker } from '../../src/entry/run-worker.ts';
import type { WorkerRuntime } from '../../src/entry/run-worker.ts';
import { createHttpFakeRegistry } from './http-fake-publisher.ts';

const runtime: WorkerRuntime = {
  env: process.env,
  onSignal(handler) {
    process.on('SIGINT', () => handler('SIGINT'));
    process.on('SIGTERM', () => handler('SIGTERM'));
  },
  exit: (code) => process.exit(code),
  writeStderr: (text) => void process.stderr.write(text),
  onUncaughtError: (handler) => void process.on('uncaughtException', handler),
};

const crashAfterMs = Number(process.env.FAKE_DRIVER_CRASH_MS ?? '');
if (crashAfterMs > 0) {
  setTimeout(() =>
    setImmediate(() => {
      const err = new TypeError("Cannot read properties of null (reading 'write')");
      err.stack = `${err.name}: ${err.message}\n    at Immediate.nextWrite ` +
        '(file:///app/node_modules/postgres/src/connection.js:255:22)';
      throw err;
    }), crashAfterMs);
}

await runWorker(runtime, {
  createPublishers: () =>
    createHttpFakeRegistry(process.env.FAKE_PLATFORM_URL!, (process.env.FAKE_RECONCILE ?? '').split(',')),
});
