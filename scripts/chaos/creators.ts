/**
 * The soak's creators: users in the shim's auth.users, each with sandbox accounts on every platform
 * (every other creator a second X account), whose tokens the sandbox issued — so publishing really
 * goes through — stored encrypted in Postgres as an OAuth connect would (like src/dev/demo-accounts.ts,
 * but over the sandbox's HTTP control API). Several creators spread the per-account limits.
 * Each creator gets an HS256 Supabase-shaped JWT for the API.
 */
import { SignJWT } from 'jose';
import type { Platform } from '../../src/domain/platform.ts';
import { createPostgresPostStore } from '../../src/store/postgres-post-store.ts';
import { createTokenCipher } from '../../src/store/token-cipher.ts';
import type { ChaosDatabase } from './chaos-database.ts';
import type { SandboxControl } from './sandbox-control.ts';

export interface CreatorAccount {
  id: string;
  platform: Platform;
  /** What the sandbox records as the copy's subject. */
  externalId: string;
}

export interface Creator {
  userId: string;
  token: string;
  accounts: CreatorAccount[];
}

export async function createCreators(options: {
  count: number;
  runId: string;
  db: ChaosDatabase;
  sandbox: SandboxControl;
  encryptionKey: Uint8Array;
  jwtSecret: string;
}): Promise<Creator[]> {
  const { db, sandbox } = options;
  // The store only for createAccount: it encrypts tokens exactly as the workers will decrypt them.
  const store = createPostgresPostStore({
    sql: db.sql,
    cipher: await createTokenCipher(options.encryptionKey),
  });
  const creators: Creator[] = [];
  for (let i = 0; i < options.count; i++) {
    const userId = crypto.randomUUID();
    await db.sql`insert into auth.users (id, email) values (${userId}, ${`chaos-${i}@example.test`})`;
    const wanted: { platform: Platform; input: Record<string, unknown> }[] = [
      { platform: 'x', input: { username: `chaos_${options.runId}_${i}` } },
      { platform: 'instagram', input: { username: `chaos.${options.runId}.${i}` } },
      { platform: 'linkedin', input: { name: `Chaos ${options.runId} ${i}` } },
    ];
    if (i % 2 === 1) wanted.push({ platform: 'x', input: { username: `chaos_${options.runId}_${i}b` } });
    const accounts: CreatorAccount[] = [];
    for (const { platform, input } of wanted) {
      const issued = await sandbox.connectAccount(platform, input);
      const account = await store.createAccount({
        userId,
        platform,
        externalId: issued.externalId,
        displayName: `${String(Object.values(input)[0])} (chaos)`,
        scopes: issued.scopes,
        tokens: {
          accessToken: issued.accessToken,
          refreshToken: issued.refreshToken,
          expiresAt: new Date(issued.expiresAt),
        },
      });
      accounts.push({ id: account.id, platform, externalId: issued.externalId });
    }
    creators.push({ userId, token: await userToken(userId, options.jwtSecret), accounts });
  }
  return creators;
}

/** A Supabase-shaped user access token, valid for the whole soak. */
function userToken(userId: string, secret: string): Promise<string> {
  return new SignJWT({ role: 'authenticated' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setAudience('authenticated')
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(secret));
}
