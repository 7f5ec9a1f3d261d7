/**
 * The sandbox (all platforms, one local server on a free port) with typed handles on its Instagram
 * and LinkedIn parts, for the adapter and sandbox tests.
 */
import type { InstagramSandbox } from '../../src/sandbox/instagram/instagram-sandbox.ts';
import type { LinkedInSandbox } from '../../src/sandbox/linkedin/linkedin-sandbox.ts';
import type { SandboxKnobs } from '../../src/sandbox/sandbox-knobs.ts';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/start-sandbox.ts';

export interface SocialSandbox {
  running: RunningSandbox;
  url: string;
  knobs: SandboxKnobs;
  instagram: InstagramSandbox;
  linkedin: LinkedInSandbox;
  close(): Promise<void>;
}

export async function startSocialSandbox(): Promise<SocialSandbox> {
  const running = await startSandbox({ port: 0 });
  const { knobs, instagram, linkedin } = running.sandbox;
  return {
    running,
    url: running.url,
    knobs,
    instagram,
    linkedin,
    close: () => running.close(),
  };
}

/** Requests the sandbox received for a platform whose path ends with `suffix` (e.g. '/media_publish'). */
export function requestsEndingWith(
  knobs: SandboxKnobs,
  platform: 'instagram' | 'linkedin',
  method: string,
  suffix: string,
) {
  return knobs.requests(platform).filter((r) => r.method === method && r.path.endsWith(suffix));
}
