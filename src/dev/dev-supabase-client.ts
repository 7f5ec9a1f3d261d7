/**
 * A supabase-js client for the dev stack (scripts and tests): the API URL stands in for the Supabase
 * project URL (the dev API answers under /functions/v1/… like the gateway) and every request carries
 * a dev token, as the app's client carries the signed-in user's.
 *
 * supabase-js builds its Realtime client eagerly, and on Node 20 (no global WebSocket) that throws
 * unless a transport is given. Nothing here uses Realtime, so the transport is one that refuses to
 * connect.
 */
import { createClient } from '@supabase/supabase-js';
import type { SupabaseClient } from '@supabase/supabase-js';

/** Any string: the dev API does not check API keys. */
export const DEV_ANON_KEY = 'dev-stack-anon-key';

class RealtimeNotUsed {
  constructor() {
    throw new Error('Realtime is not available against the dev stack');
  }
}

/** `fetch` replaces the network (tests route requests straight into an in-process API). */
export function createDevSupabaseClient(
  apiUrl: string,
  accessToken: string,
  fetch?: typeof globalThis.fetch,
): SupabaseClient {
  return createClient(apiUrl, DEV_ANON_KEY, {
    global: { headers: { Authorization: `Bearer ${accessToken}` }, ...(fetch ? { fetch } : {}) },
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: RealtimeNotUsed as never },
  });
}
