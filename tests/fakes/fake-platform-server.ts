/**
 * A local HTTP "platform" for worker processes under test (they cannot share an in-process fake).
 * `POST /<platform>/publish` publishes (or not) as the test's behaviour says; `GET /<platform>/lookup`
 * answers whether a target went live — what reconcile asks. The server records every request, so
 * the test can count sends per target from the platform's side.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type PlatformBehaviour =
  /** Goes live and answers after `delayMs` (default 0). */
  | { do: 'ok'; delayMs?: number }
  /** Never answers and nothing goes live. */
  | { do: 'hang-before-live' }
  /** Goes live on arrival, then never answers. */
  | { do: 'live-then-hang' };

export interface PublishRequestRecord {
  platform: string;
  targetId: string;
  attempt: number;
  at: number;
}

export interface FakePlatformServer {
  url: string;
  requests: PublishRequestRecord[];
  /** External ids that went live, per target. */
  live: Map<string, string[]>;
  sentCount(targetId: string): number;
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakePlatformServer(
  behaviour: (platform: string, callIndexForPlatform: number) => PlatformBehaviour,
): Promise<FakePlatformServer> {
  const requests: PublishRequestRecord[] = [];
  const live = new Map<string, string[]>();
  const hanging = new Set<ServerResponse>();
  let seq = 0;

  function goLive(targetId: string, platform: string): string {
    const id = `${platform}-${++seq}`;
    live.set(targetId, [...(live.get(targetId) ?? []), id]);
    return id;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, platform, action] = url.pathname.split('/');
    if (req.method === 'GET' && action === 'lookup') {
      const found = live.get(url.searchParams.get('targetId') ?? '')?.[0] ?? null;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ externalId: found }));
      return;
    }
    if (req.method !== 'POST' || action !== 'publish' || !platform) {
      res.writeHead(404).end();
      return;
    }
    let body = '';
    for await (const chunk of req) body += chunk;
    const { targetId, attempt } = JSON.parse(body) as { targetId: string; attempt: number };
    const index = requests.filter((r) => r.platform === platform).length;
    requests.push({ platform, targetId, attempt, at: Date.now() });
    const step = behaviour(platform, index);
    if (step.do === 'hang-before-live' || step.do === 'live-then-hang') {
      if (step.do === 'live-then-hang') goLive(targetId, platform);
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    const externalId = goLive(targetId, platform);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ externalId, url: `https://${platform}.example.test/${externalId}` }));
    }, step.delayMs ?? 0);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    live,
    sentCount: (targetId) => live.get(targetId)?.length ?? 0,
    async waitForRequests(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`expected ${count} publish requests, got ${requests.length}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
