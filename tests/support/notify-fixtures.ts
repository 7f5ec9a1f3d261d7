/**
 * Shared pieces of the notification tests (src/notify): a Standard Webhooks verifier written from the
 * spec independently of src/net/standard-webhooks.ts, a local HTTP endpoint that records what it
 * receives and answers as the test says, posts seeded straight into the tables, and a logger whose
 * lines the test can read.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sql } from 'postgres';
import { createLogger } from '../../src/observability/logger.ts';
import type { Logger } from '../../src/observability/logger.ts';

/**
 * Verifies a Standard Webhooks request (standardwebhooks.com, "Verifying webhooks"): recompute
 * base64(HMAC-SHA256(base64decode(secret without whsec_), `${id}.${timestamp}.${body}`)) and compare it
 * with every `v1,` entry of webhook-signature, refusing timestamps more than `toleranceS` away.
 */
export async function verifyStandardWebhook(
  secret: string,
  headers: { id?: string; timestamp?: string; signature?: string },
  body: string,
  options: { nowS?: number; toleranceS?: number } = {},
): Promise<boolean> {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !secret.startsWith('whsec_')) return false;
  const ts = Number(timestamp);
  const nowS = options.nowS ?? Math.floor(Date.now() / 1000);
  if (!Number.isInteger(ts) || Math.abs(nowS - ts) > (options.toleranceS ?? 300)) return false;
  const keyBytes = Uint8Array.from(atob(secret.slice('whsec_'.length)), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  const content = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  for (const entry of signature.split(' ')) {
    const [version, value] = entry.split(',');
    if (version !== 'v1' || !value) continue;
    let mac: Uint8Array<ArrayBuffer>;
    try {
      mac = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    } catch {
      continue;
    }
    if (await crypto.subtle.verify('HMAC', key, mac, content)) return true;
  }
  return false;
}

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A local endpoint; `respond(n)` (n = 0 for the first request) says what to answer. */
export async function startWebhookReceiver(
  respond: (n: number) => { status: number; delayMs?: number } = () => ({ status: 200 }),
): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const waiters: (() => void)[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers[name] = value;
    }
    const n = received.length;
    received.push({ headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
    for (const wake of waiters.splice(0)) wake();
    const { status, delayMs } = respond(n);
    const answer = () => {
      if (!res.destroyed) res.writeHead(status, { 'content-type': 'text/plain' }).end(`status ${status}`);
    };
    if (delayMs) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, delayMs);
      timers.add(timer);
    } else answer();
  }
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    async waitForRequests(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(`endpoint got ${received.length} of ${count} requests in ${timeoutMs} ms`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 250));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface SeededPost {
  postId: string;
  /** Target ids by platform. */
  targets: Record<string, string>;
}

/** A scheduled post of `userId` with one pending target per platform (no account), inserted directly. */
export async function seedPost(
  sql: Sql,
  userId: string,
  platforms: readonly string[] = ['x'],
  text = 'Launching today',
): Promise<SeededPost> {
  const [post] = await sql<{ id: string }[]>`
    insert into public.posts (user_id, text, scheduled_at)
    values (${userId}, ${text}, '2026-12-01T09:00:00Z') returning id`;
  const targets: Record<string, string> = {};
  for (const platform of platforms) {
    const [target] = await sql<{ id: string }[]>`
      insert into public.post_targets (post_id, user_id, platform)
      values (${post!.id}, ${userId}, ${platform}::public.platform) returning id`;
    targets[platform] = target!.id;
  }
  return { postId: post!.id, targets };
}

/** A logger whose JSON lines land in `lines`. */
export function captureLogger(): { logger: Logger; lines: string[]; parsed(): Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line) => void lines.push(line) } });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

export const WEBHOOK_URL = 'https://project.supabase.co/functions/v1/post-status-webhook';
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/** Stores the Vault secrets the trigger reads (the shim's vault.create_secret). */
export async function configureVault(sql: Sql, url = WEBHOOK_URL, secret = WEBHOOK_SECRET): Promise<void> {
  await sql`select vault.create_secret(${url}, 'post_status_webhook_url')`;
  await sql`select vault.create_secret(${secret}, 'post_status_webhook_secret')`;
}
