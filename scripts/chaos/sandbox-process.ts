/**
 * The sandbox platforms in their own process (`src/entry/node-sandbox.ts`, as `npm run sandbox`), so
 * workers reach them over real HTTP and accept-then-drop really closes a socket. Configured for the
 * soak: http media for Instagram (the samples are served over http) and quotas high enough that only
 * injected faults, never the platforms' daily limits, hold posts back within the run.
 */
import process from 'node:process';
import { freePort } from '../../src/dev/free-port.ts';
import type { ManagedProcess } from './managed-process.ts';
import { startProcess } from './managed-process.ts';
import type { SandboxControl } from './sandbox-control.ts';
import { createSandboxControl } from './sandbox-control.ts';

const HIGH_QUOTAS = [
  'x.tweets.user15m',
  'x.tweets.user24h',
  'x.tweets.app24h',
  'x.media.upload15m',
  'x.media.chunked15m',
  'x.media.status15m',
  'x.users.15m',
  'instagram.publish',
  'instagram.containers',
  'instagram.accountCalls',
  'instagram.appCalls',
  'linkedin.memberPosts',
  'linkedin.appPosts',
];

export interface SandboxProcess {
  url: string;
  control: SandboxControl;
  process: ManagedProcess;
  /** A JPEG the sandbox serves; `?n=` makes each URL distinct. */
  mediaUrl(n: number): string;
}

export async function startSandboxProcess(options: { cwd: string; logDir: string }): Promise<SandboxProcess> {
  const port = await freePort();
  const child = startProcess({
    name: 'sandbox',
    command: process.execPath,
    args: ['--import', 'tsx', 'src/entry/node-sandbox.ts'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      SANDBOX_PORT: String(port),
      SANDBOX_HOST: '127.0.0.1',
    },
    cwd: options.cwd,
    logDir: options.logDir,
  });
  await child.waitForOutput('Sandbox platforms on', 30_000);
  const url = `http://127.0.0.1:${port}`;
  const control = createSandboxControl(url);
  await control.setSettings({ 'instagram.requireHttps': false });
  for (const name of HIGH_QUOTAS) await control.setQuota(name, 1_000_000);
  return {
    url,
    control,
    process: child,
    mediaUrl: (n) => `${url}/_sandbox/media/sample.jpg?n=${n}`,
  };
}
