/**
 * The fuzz loop: generate request i, send it, judge the answer, and compare the table checksum
 * after it with the one before (the previous request's after) — so a rejected request that changed
 * a table is caught exactly, and named with the tables it changed. One request at a time: the
 * checksum pairs each change with one request, and the machine is shared.
 *
 * Every few hundred requests the creators get accounts again if the fuzz disconnected too many, and
 * a failed post if retries used them up (outside any request, so the checksum baseline is read
 * again after it).
 */
import process from 'node:process';
import type { FuzzStack } from './fuzz-stack.ts';
import type { FuzzRequest, GenerationContext } from './fuzz-request.ts';
import type { FuzzUser } from './fuzz-users.ts';
import type { Failure, FuzzTally } from './fuzz-tally.ts';
import { findOperation } from './openapi-operations.ts';
import { createTally } from './fuzz-tally.ts';
import { GATEWAY_BASE_PATH, generateRequest } from './request-generator.ts';
import { createResponseOracle } from './response-oracle.ts';
import type { Violation } from './response-oracle.ts';
import { topUp } from './seed-data.ts';
import { takesState } from './valid-parts.ts';
import { sendRequest } from './send-request.ts';
import { changedTables, createChecksumReader } from './table-checksum.ts';

const TOP_UP_EVERY = 250;
const PROGRESS_EVERY = 1000;

export interface RunInput {
  stack: FuzzStack;
  g: GenerationContext;
  seed: number;
  requests: number;
  say(line: string): void;
}

export async function runFuzz(input: RunInput): Promise<FuzzTally> {
  const { stack, g, seed, requests, say } = input;
  const oracle = createResponseOracle(g.doc);
  const checksums = await createChecksumReader(stack.db.sql);
  const store = await stack.services.postStore();
  const tally = createTally(seed, requests);
  let before = await checksums.read();
  say(`checksumming ${checksums.tables.length} tables around every request`);

  for (let index = 0; index < requests; index++) {
    if (index > 0 && index % TOP_UP_EVERY === 0) {
      let changed = false;
      for (const user of g.users) {
        const added = await topUp(stack.db.sql, store, user);
        for (const id of added.failedPosts) g.pools.add('posts', id, user.id, { status: 'failed' });
        changed ||= added.accountsAdded || added.failedPosts.length > 0;
      }
      if (changed) {
        await refreshAccounts(stack, g);
        before = await checksums.read();
      }
    }
    const request = generateRequest(g, seed, index);
    const answer = await sendRequest(stack.apiUrl, request);
    const checksumStarted = performance.now();
    const after = await checksums.read();
    tally.checksumMs += performance.now() - checksumStarted;

    const reached = findOperation(g.doc, request.method, request.path, GATEWAY_BASE_PATH);
    const violations: Violation[] = oracle.judge(request, answer, reached);
    const changed = changedTables(before, after);
    if (changed.length > 0 && (answer.status < 200 || answer.status >= 300)) {
      violations.push({
        oracle: 'unchanged-tables',
        detail: `answered ${answer.status} and changed ${changed.join(', ')}`,
      });
    }
    before = after;

    if (request.actor && reached === request.op) {
      g.pools.harvest(request.op, request.pathValues, request.actor.id, answer.status, answer.json ?? null);
    } else if (reached === null && answer.status >= 200 && answer.status < 300) {
      tally.undocumented(new URL(request.path, 'http://fuzz.invalid').pathname, answer.status);
    }
    forgetSpentState(g, request);
    const failures: Failure[] = violations.map((v) => ({
      ...v,
      index,
      request,
      answer,
      logs: stack.logs.forRequest(answer.headers.get('x-request-id') ?? ''),
    }));
    tally.record(request, answer, failures);
    if ((index + 1) % PROGRESS_EVERY === 0) {
      say(`${index + 1}/${requests} requests, ${tally.failureCount()} oracle violations so far`);
    }
  }
  tally.finish(stack.logs.errorCount());
  return tally;
}

/** An OAuth state is single-use: once a callback named it, it is spent whatever the answer. */
function forgetSpentState(g: GenerationContext, request: FuzzRequest): void {
  if (!takesState(g, request.op)) return;
  const states = [new URL(request.path, 'http://fuzz.invalid').searchParams.get('state')];
  if (typeof request.body === 'string') {
    try {
      states.push((JSON.parse(request.body) as { state?: string } | null)?.state ?? null);
    } catch {
      // not JSON: it named no state
    }
  }
  for (const state of states) {
    if (typeof state !== 'string') continue;
    // Under every platform's name: `twitter` in the path spends a state of `x`.
    for (const platform of g.platforms) g.pools.forget(`state:${platform}`, state);
  }
}

/** Reads each creator's accounts back through the API, so the pools know the new ones. */
export async function refreshAccounts(stack: FuzzStack, g: GenerationContext): Promise<void> {
  await readLists(stack, g, g.users, ['/accounts']);
}

/** GETs list routes as each user and harvests the answers into the pools. */
export async function readLists(
  stack: FuzzStack,
  g: GenerationContext,
  users: readonly FuzzUser[],
  paths: readonly string[],
): Promise<void> {
  for (const user of users) {
    for (const path of paths) {
      const op = g.doc.operations.find((o) => o.method === 'GET' && o.path === path);
      if (!op) continue;
      const response = await fetch(`${stack.apiUrl}${path}`, {
        headers: { authorization: `Bearer ${user.token}` },
      });
      const body = await response.json();
      if (response.status !== 200) {
        process.stderr.write(`[fuzz] GET ${path} as ${user.name} answered ${response.status}\n`);
        continue;
      }
      g.pools.harvest(op, {}, user.id, response.status, body);
    }
  }
}
