/**
 * The worker process for process-level tests (kill -9, SIGTERM): the real run-worker.ts with the
 * runtime it is started under (Node or Deno), publishing to the HTTP fake platform at
 * FAKE_PLATFORM_URL (FAKE_RECONCILE: comma-separated platforms whose fake can reconcile).
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
};

await runWorker(runtime, {
  createPublishers: () =>
    createHttpFakeRegistry(process.env.FAKE_PLATFORM_URL!, (process.env.FAKE_RECONCILE ?? '').split(',')),
});
