// node scripts/testWorker.js — adds a test post due in 5 s through the typed client against the
// running dev stack (`npm run dev`), waits for the worker, and prints what happened on each platform.
// Plain JavaScript (no flags needed); the TypeScript it uses is loaded with tsx's tsImport.
// PORT and SANDBOX_PORT locate the dev stack, as they do for `npm run dev` (defaults 8787 and 4010).
import process from 'node:process';
import { tsImport } from 'tsx/esm/api';

const { runTestPost, DevStackUnreachableError } = await tsImport('../src/dev/test-post.ts', import.meta.url);

const apiUrl = `http://127.0.0.1:${process.env.PORT || 8787}`;
const sandboxUrl = `http://127.0.0.1:${process.env.SANDBOX_PORT || 4010}`;

try {
  const report = await runTestPost({ apiUrl, sandboxUrl, print: (line) => console.log(line) });
  process.exitCode = report.ok ? 0 : 1;
} catch (err) {
  if (err instanceof DevStackUnreachableError) {
    console.error(err.message);
  } else {
    console.error(`testWorker failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
  process.exitCode = 1;
}
