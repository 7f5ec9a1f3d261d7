/** `npm run worker` / `npm run worker:dev`: the worker on Node. All logic is in run-worker.ts. */
import process from 'node:process';
import { runWorker } from './run-worker.ts';

await runWorker({
  env: process.env,
  onSignal(handler) {
    process.on('SIGINT', () => handler('SIGINT'));
    process.on('SIGTERM', () => handler('SIGTERM'));
  },
  exit: (code) => process.exit(code),
  writeStderr: (text) => void process.stderr.write(text),
  onUncaughtError: (handler) => void process.on('uncaughtException', handler),
});
