/**
 * `npm run bench -- <name> [options]`: runs one benchmark.
 *   api     POST /posts vs a Hono hello-world, under Node and Deno (scripts/bench-api.ts)
 *   worker  the publishing worker vs raw BullMQ, under Node and Deno (scripts/bench-worker.ts)
 *   media   a 500 MB video published to the X sandbox: the publisher's peak RSS (scripts/bench-media.ts)
 */
import process from 'node:process';

const [name, ...args] = process.argv.slice(2);

switch (name) {
  case 'api': {
    const { main } = await import('./bench-api.ts');
    await main(args);
    break;
  }
  case 'worker': {
    const { main } = await import('./bench-worker.ts');
    await main(args);
    break;
  }
  case 'media': {
    const { main } = await import('./bench-media.ts');
    await main(args);
    break;
  }
  default:
    console.error(`unknown benchmark ${JSON.stringify(name ?? '')}; available: api, worker, media`);
    process.exitCode = 2;
}
