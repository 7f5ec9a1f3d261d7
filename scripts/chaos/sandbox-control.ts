/**
 * The sandbox platforms' control API (`/_sandbox`, src/sandbox/create-sandbox.ts) over HTTP: the
 * sandbox runs in its own process, so faults, latency, quotas and its record of published posts all
 * go through here.
 */
import type { Platform } from '../../src/domain/platform.ts';
import type { FaultRuleInput } from '../../src/sandbox/sandbox-faults.ts';

/** A post the sandbox made live, as `/_sandbox/state` lists it (dates as ISO strings). */
export interface SandboxCopy {
  platform: Platform;
  id: string;
  /** The account it was published as (X user id, Instagram user id, LinkedIn member URN). */
  subject: string;
  /** The text as the platform shows it. */
  text: string;
  media: string[];
  /** The request body as received. */
  received: unknown;
  url: string | null;
  publishedAt: string;
}

export interface SandboxAccount {
  externalId: string;
  accessToken: string;
  refreshToken: string | null;
  expiresAt: string;
  scopes: string[];
}

export interface SandboxFault {
  id: number;
  platform: Platform;
  mode: string;
  times: number;
  remaining: number;
}

export interface SandboxControl {
  baseUrl: string;
  injectFault(input: FaultRuleInput): Promise<SandboxFault>;
  faults(): Promise<SandboxFault[]>;
  clearFaults(): Promise<void>;
  setLatency(ms: number, platform?: Platform): Promise<void>;
  setQuota(name: string, limit: number): Promise<void>;
  setSettings(values: Record<string, unknown>): Promise<void>;
  connectAccount(platform: Platform, input: Record<string, unknown>): Promise<SandboxAccount>;
  published(): Promise<SandboxCopy[]>;
}

export function createSandboxControl(baseUrl: string): SandboxControl {
  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${baseUrl}/_sandbox${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(
        `sandbox ${method} /_sandbox${path} answered ${response.status}: ${text.slice(0, 300)}`,
      );
    }
    return text === '' ? null : JSON.parse(text);
  }
  return {
    baseUrl,
    injectFault: async (input) => (await call('POST', '/faults', input)) as SandboxFault,
    faults: async () => ((await call('GET', '/state')) as { faults: SandboxFault[] }).faults,
    clearFaults: async () => void (await call('DELETE', '/faults')),
    setLatency: async (ms, platform) => void (await call('POST', '/latency', { ms, platform })),
    setQuota: async (name, limit) => void (await call('POST', '/quotas', { name, limit })),
    setSettings: async (values) => void (await call('POST', '/settings', values)),
    connectAccount: async (platform, input) =>
      (await call('POST', `/accounts/${platform}`, input)) as SandboxAccount,
    published: async () => ((await call('GET', '/state')) as { published: SandboxCopy[] }).published,
  };
}
