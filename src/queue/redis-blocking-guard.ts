/**
 * Lets BullMQ workers on a Redis Cluster close. Each BullMQ Worker duplicates its connection for its
 * blocking read (BZPOPMIN). To close, BullMQ 6.7 disconnects that client and waits for its `end`;
 * the interrupted read fails, and BullMQ's cluster recovery (`runWithClusterRecovery`, bullmq
 * redis-connection.js), finding the client's node pool empty, reconnects it before `end` arrives.
 * The disconnect then never ends and `Worker.close()` never resolves. Under Deno, whose order of
 * `process.nextTick` and promise callbacks lets the recovery win, an idle worker hung on most closes
 * in our runs; under Node we never saw it, but nothing rules it out.
 *
 * The guard records the clients BullMQ duplicates from a connection (only workers do, for their
 * blocking reads) and, once sealed as the workers begin to close, refuses to connect them again:
 * the recovery fails quietly (BullMQ ignores it), the disconnect completes, and close goes on.
 * createRedisConnection installs it on every worker-role cluster client; one server needs none (no
 * such recovery runs there).
 */
import type { Cluster } from 'ioredis';

interface Guard {
  blocking: Cluster[];
  sealed: boolean;
}

const guards = new WeakMap<object, Guard>();

/** Installs the guard on a cluster client, before Workers are created on it. Idempotent. */
export function guardBlockingClients(connection: Cluster): void {
  if (guards.has(connection)) return;
  const guard: Guard = { blocking: [], sealed: false };
  guards.set(connection, guard);
  const duplicate = connection.duplicate.bind(connection);
  connection.duplicate = function duplicateRecorded(...args: Parameters<Cluster['duplicate']>): Cluster {
    const client = duplicate(...args);
    guard.blocking.push(client);
    if (guard.sealed) refuseReconnect(client);
    return client;
  };
}

/**
 * The workers on `connection` begin to close: their blocking clients stay closed from now on. A
 * no-op for a connection without a guard (one server, or a client made elsewhere).
 */
export function sealBlockingClients(connection: unknown): void {
  const guard = typeof connection === 'object' && connection !== null ? guards.get(connection) : undefined;
  if (!guard) return;
  guard.sealed = true;
  guard.blocking.forEach(refuseReconnect);
}

function refuseReconnect(client: Cluster): void {
  client.connect = () =>
    Promise.reject(new Error('the worker is closing: its blocking connection stays closed'));
}
