/**
 * `npm run sandbox`: the sandbox platforms alone. SANDBOX_PORT (Default: 4010), SANDBOX_HOST
 * (Default: 127.0.0.1). Point the app at it with X_API_BASE_URL=http://127.0.0.1:4010/x, etc.
 */
import process from 'node:process';
import { startSandbox } from '../sandbox/start-sandbox.ts';

const portText = process.env.SANDBOX_PORT ?? '4010';
if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
  console.error(`SANDBOX_PORT must be a port number (e.g. 4010), got ${JSON.stringify(portText)}`);
  process.exit(1);
}
const running = await startSandbox({
  port: Number(portText),
  hostname: process.env.SANDBOX_HOST ?? '127.0.0.1',
});
const platforms = Object.keys(running.sandbox.platforms);
console.log(
  `Sandbox platforms on ${running.url}  (page: ${running.url}/ , control API: ${running.url}/_sandbox/state)`,
);
for (const platform of platforms) console.log(`  ${platform.padEnd(10)} ${running.url}/${platform}`);
console.log('Environment for the app:');
console.log(`  X_API_BASE_URL=${running.url}/x`);
console.log(`  INSTAGRAM_API_BASE_URL=${running.url}/instagram`);
console.log(`  LINKEDIN_API_BASE_URL=${running.url}/linkedin`);
console.log(`  LINKEDIN_OAUTH_BASE_URL=${running.url}/linkedin`);
console.log('  MEDIA_ALLOW_PRIVATE_HOSTS=true');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    running.close().then(() => process.exit(0));
  });
}
