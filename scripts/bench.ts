/**
 * `npm run bench -- <name> [options]`: runs one benchmark.
 *   api     the API (POST, PATCH, DELETE, list) vs a bare POST /posts and a hello-world, Node and Deno
 *           (scripts/bench-api.ts)
 *   worker  the publishing worker vs raw BullMQ (--store postgres: vs the physical minimum, with round
 *           trips and one vs two workers), Node and Deno (scripts/bench-worker.ts)
 *   media   a 500 MB video published to the X sandbox: the publisher's peak RSS (scripts/bench-media.ts)
 *   shard   raw BullMQ jobs/s and Redis CPU on the one master a QUEUE_PREFIX lives on (scripts/bench-shard.ts)
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
  case 'shard': {
    const { main } = await import('./bench-shard.ts');
    await main(args);
    break;
  }
  default:
    console.error(`unknown benchmark ${JSON.stringify(name ?? '')}; available: api, worker, media, shard`);
    process.exitCode = 2;
}
