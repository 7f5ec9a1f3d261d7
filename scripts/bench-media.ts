/**
 * `npm run bench -- media`: what a large video costs the publishing process. A 500 MB video is
 * published to the X sandbox (initialize → append × 125 → finalize → STATUS), downloaded from a media
 * host that generates it on the fly, and the publisher's peak RSS is measured against its RSS just
 * before the publish. Target: the publish adds less than 64 MB (STYLE.md: targets live in benchmarks).
 *
 * Three processes, so only the publisher is measured:
 * - the remote (`--remote`): the sandbox (all platforms) and the media host
 *   (tests/support/generated-media.ts), plus a bench endpoint telling what X received (size, segments,
 *   SHA-256 — the sandbox keeps a digest, never the bytes);
 * - one publisher per runtime (`--publisher`): the X adapter (src/platforms/x/) with the real media
 *   download (src/platforms/media-fetch.ts through src/net/guarded-fetch.ts); a small warm-up publish
 *   first, so module loading and JIT are in the baseline, not in the cost;
 * - this one, which compares what X received with the SHA-256 of the file the host served.
 *
 * Peak RSS: Linux's VmHWM, reset just before the publish by writing 5 to /proc/self/clear_refs (the
 * kernel's documented way), so it is the true peak; elsewhere the highest of samples every 10 ms. Both
 * are reported where available.
 *
 *   npm run bench -- media [--runtimes node,deno] [--mb 500] [--json-only]
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { createXPublisher } from '../src/platforms/x/x-publisher.ts';
import { createSandbox } from '../src/sandbox/create-sandbox.ts';
import { startSandbox } from '../src/sandbox/start-sandbox.ts';
import { uploadedSha256 } from '../src/sandbox/x/x-sandbox-media-records.ts';
import { sha256Of, startMediaHost } from '../tests/support/generated-media.ts';

const SCRIPT = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MB = 1024 * 1024;
/** The publish may add at most this much to the publisher's RSS. */
const TARGET_MB = 64;

type Runtime = 'node' | 'deno';

interface Remote {
  sandboxUrl: string;
  mediaUrl: string;
  controlUrl: string;
}

export interface PublisherResult {
  runtime: Runtime;
  bytes: number;
  seconds: number;
  mbPerSecond: number;
  baselineRssMb: number;
  /** Peak RSS during the publish (VmHWM where the kernel has it, else sampled). */
  peakRssMb: number;
  sampledPeakRssMb: number;
  vmHwmPeakRssMb: number | null;
  costMb: number;
  peakHeapUsedMb: number;
  peakArrayBuffersMb: number;
  userId: string;
}

// ── the remote: sandbox + media host ─────────────────────────────────────────────────────────────

async function serveRemote(): Promise<void> {
  const sandbox = createSandbox({});
  sandbox.knobs.setSettings({ 'x.videoCheckAfterSecs': 0 });
  const running = await startSandbox({ port: 0, sandbox });
  const media = await startMediaHost();
  const control = http.createServer((req, res) => {
    const userId = new URL(req.url ?? '/', 'http://control').searchParams.get('user');
    const uploads = [...sandbox.x.state.media.values()].filter((m) => m.ownerId === userId);
    const last = uploads.at(-1);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(
      last
        ? {
          totalBytes: last.totalBytes,
          segments: last.segments.size,
          state: last.state,
          sha256: uploadedSha256(last),
        }
        : null,
    ));
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const remote: Remote = {
    sandboxUrl: running.url,
    mediaUrl: media.url,
    controlUrl: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
  };
  console.log(`remote ${JSON.stringify(remote)}`);
  process.on('SIGTERM', () => process.exit(0));
}

// ── the measured publisher ─────────────────────────────────────────────────────────────────────────

function rssBytes(): number {
  return process.memoryUsage().rss;
}

/** Resets the kernel's peak-RSS mark; false where there is none to reset (not Linux). */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function vmHwmBytes(): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

async function publishOnce(remote: Remote, bytes: number): Promise<string> {
  const res = await fetch(`${remote.sandboxUrl}/_sandbox/accounts/x`, { method: 'POST', body: '{}' });
  const account = await res.json() as {
    externalId: string;
    accessToken: string;
    refreshToken: string | null;
    expiresAt: string;
  };
  const publisher = createXPublisher({
    baseUrl: `${remote.sandboxUrl}/x`,
    clientId: 'sandbox-x-client',
    clientSecret: 'sandbox-x-secret',
    allowPrivateMediaHosts: true,
  });
  await publisher.publish({
    postId: crypto.randomUUID(),
    targetId: crypto.randomUUID(),
    attempt: 1,
    signal: AbortSignal.timeout(15 * 60_000),
    account: {
      id: crypto.randomUUID(),
      externalId: account.externalId,
      tokens: {
        accessToken: account.accessToken,
        refreshToken: account.refreshToken,
        expiresAt: new Date(account.expiresAt),
      },
    },
    content: {
      text: `bench video ${bytes} bytes ${crypto.randomUUID().slice(0, 8)}`,
      media: [{ url: `${remote.mediaUrl}/video.mp4?bytes=${bytes}` }],
    },
  });
  return account.externalId;
}

async function runPublisher(runtime: Runtime, remote: Remote, bytes: number): Promise<void> {
  await publishOnce(remote, 8 * MB); // warm-up: modules, JIT, the first connections
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const baseline = rssBytes();
  let sampled = baseline;
  let heap = 0;
  let arrayBuffers = 0;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    sampled = Math.max(sampled, usage.rss);
    heap = Math.max(heap, usage.heapUsed);
    arrayBuffers = Math.max(arrayBuffers, usage.arrayBuffers ?? 0);
  }, 10);
  const kernelPeak = resetPeakRss();
  const started = performance.now();
  const userId = await publishOnce(remote, bytes);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const hwm = kernelPeak ? vmHwmBytes() : null;
  const peak = hwm ?? sampled;
  const result: PublisherResult = {
    runtime,
    bytes,
    seconds: round(seconds),
    mbPerSecond: round(bytes / MB / seconds),
    baselineRssMb: round(baseline / MB),
    peakRssMb: round(peak / MB),
    sampledPeakRssMb: round(sampled / MB),
    vmHwmPeakRssMb: hwm === null ? null : round(hwm / MB),
    costMb: round((peak - baseline) / MB),
    peakHeapUsedMb: round(heap / MB),
    peakArrayBuffersMb: round(arrayBuffers / MB),
    userId,
  };
  console.log(`result ${JSON.stringify(result)}`);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

// ── the driver ───────────────────────────────────────────────────────────────────────────────────

function spawnLine(
  runtime: Runtime,
  args: string[],
  prefix: string,
): { line: Promise<string>; kill(): Promise<void> } {
  const [cmd, argv] = runtime === 'node'
    ? [process.execPath, ['--expose-gc', '--import', 'tsx', SCRIPT, ...args]]
    : ['sh', [`${ROOT}scripts/deno.sh`, 'run', '--allow-all', '--v8-flags=--expose-gc', SCRIPT, ...args]];
  const child = spawn(cmd, argv as string[], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const match = new RegExp(`^${prefix} (.+)$`, 'm').exec(out);
      if (match) resolve(match[1]!);
    });
    child.on(
      'exit',
      (code) => reject(new Error(`${runtime} ${args[0]} exited with ${code} before "${prefix}"`)),
    );
  });
  return {
    line,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.removeAllListeners('exit');
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function main(args: string[]): Promise<void> {
  const option = (name: string) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? args[at + 1] : undefined;
  };
  if (args[0] === '--remote') return serveRemote();
  if (args[0] === '--publisher') {
    return runPublisher(option('runtime') as Runtime, JSON.parse(option('remote')!), Number(option('bytes')));
  }
  const runtimes = (option('runtimes') ?? 'node,deno').split(',') as Runtime[];
  const bytes = Number(option('mb') ?? 500) * MB;
  const jsonOnly = args.includes('--json-only');
  const remoteProcess = spawnLine('node', ['--remote'], 'remote');
  try {
    const remoteText = await remoteProcess.line;
    const remote = JSON.parse(remoteText) as Remote;
    const expected = sha256Of('/video.mp4', bytes);
    const results: (PublisherResult & { received: unknown; intact: boolean; withinTarget: boolean })[] = [];
    for (const runtime of runtimes) {
      const publisher = spawnLine(runtime, [
        '--publisher',
        '--runtime',
        runtime,
        '--remote',
        remoteText,
        '--bytes',
        String(bytes),
      ], 'result');
      const result = JSON.parse(await publisher.line) as PublisherResult;
      await publisher.kill();
      const received = await (await fetch(`${remote.controlUrl}/?user=${result.userId}`)).json() as {
        totalBytes: number;
        sha256: string | null;
      };
      const intact = received?.totalBytes === bytes && received.sha256 === expected;
      results.push({ ...result, received, intact, withinTarget: result.costMb < TARGET_MB });
      if (!jsonOnly) {
        console.log(
          `${runtime}: ${bytes / MB} MB video in ${result.seconds} s (${result.mbPerSecond} MB/s); RSS ` +
            `${result.baselineRssMb} MB before, peak ${result.peakRssMb} MB → cost ${result.costMb} MB ` +
            `(target < ${TARGET_MB} MB: ${result.costMb < TARGET_MB ? 'met' : 'MISSED'}); heap peak ` +
            `${result.peakHeapUsedMb} MB, array buffers peak ${result.peakArrayBuffersMb} MB; X received ` +
            `${
              intact
                ? 'every byte, in order (SHA-256 matches)'
                : `something else: ${JSON.stringify(received)}`
            }`,
        );
      }
    }
    console.log(JSON.stringify({ bench: 'media', targetMb: TARGET_MB, results }));
    if (results.some((r) => !r.intact || !r.withinTarget)) process.exitCode = 1;
  } finally {
    await remoteProcess.kill();
  }
}

if (process.argv[1] === SCRIPT || (import.meta as { main?: boolean }).main === true) {
  await main(process.argv.slice(2));
}
