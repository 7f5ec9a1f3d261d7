/**
 * The Supabase Edge Function folders deploy on their own: nothing they import resolves outside
 * supabase/functions (what `supabase functions deploy --use-api` uploads, supabase/cli#3467), their
 * entries type-check under Deno, the committed bundles are what the sources build today, config.toml
 * describes every function, and the bundles actually serve requests under Deno.
 * Deno runs as a child process (sh scripts/deno.sh), the same under the Node and Deno test runners.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import {
  buildFunctions,
  FUNCTIONS_DIR,
  listFunctionFolders,
  ROOT,
  staleFiles,
} from '../../scripts/build-functions.ts';

/** What each of our functions needs from the gateway (see the comments in config.toml). */
const EXPECTED_VERIFY_JWT: Readonly<Record<string, boolean>> = {
  posts: true,
  accounts: false,
  'post-status-webhook': false,
  notifications: true,
  'notification-endpoints': true,
};
/** The functions bundled from src/entry/functions (all of ours). */
const BUNDLED = Object.keys(EXPECTED_VERIFY_JWT);
const JWT_SECRET = 'edge-function-test-secret-with-32-characters-or-more';

interface DenoResult {
  code: number;
  stdout: string;
  stderr: string;
}

function deno(args: string[], env: Record<string, string> = {}): Promise<DenoResult> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      [join(ROOT, 'scripts', 'deno.sh'), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1', ...env },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

interface InfoModule {
  specifier: string;
  kind?: string;
  error?: string;
  dependencies?: { specifier: string; code?: { specifier?: string; error?: string } }[];
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
}

/** Parses the [functions.<name>] tables of config.toml (flat key = value lines only). */
function functionBlocks(toml: string): Map<string, Record<string, string>> {
  const blocks = new Map<string, Record<string, string>>();
  let current: Record<string, string> | null = null;
  for (const raw of toml.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const header = /^\[functions\.([A-Za-z0-9_-]+)\]$/.exec(line);
    if (header) {
      current = {};
      blocks.set(header[1]!, current);
    } else if (line.startsWith('[')) {
      current = null;
    } else if (current && line.includes('=')) {
      const [key, ...value] = line.split('=');
      current[key!.trim()] = value.join('=').trim().replace(/^"(.*)"$/, '$1');
    }
  }
  return blocks;
}

describe('Supabase Edge Functions', () => {
  it('has the posts, accounts, notifications, notification-endpoints and webhook functions, each bundled from src/entry/functions', async () => {
    const builds = await buildFunctions();
    assert.deepEqual(builds.map((b) => b.name).sort(), [...BUNDLED].sort());
    for (const name of BUNDLED) {
      const build = builds.find((b) => b.name === name);
      assert.equal(build?.source, `src/entry/functions/${name}.ts`, `${name} is bundled`);
    }
  });

  it('imports nothing from outside supabase/functions in any function folder', async () => {
    const folders = await listFunctionFolders();
    assert.ok(folders.length >= 2);
    const shared = join(FUNCTIONS_DIR, '_shared');
    for (const name of folders) {
      const dir = join(FUNCTIONS_DIR, name);
      const result = await deno(['info', '--json', join('supabase', 'functions', name, 'index.ts')]);
      assert.equal(result.code, 0, `deno info ${name}: ${result.stderr}`);
      const info = JSON.parse(result.stdout) as { modules: InfoModule[] };
      const local = info.modules.filter((m) =>
        m.specifier.startsWith('file:') && !fileURLToPath(m.specifier).includes(`${sep}node_modules${sep}`)
      );
      assert.ok(local.some((m) => m.specifier.endsWith('/index.ts')), `${name}: the graph has its entry`);
      for (const module of info.modules) {
        assert.equal(module.error, undefined, `${name}: ${module.specifier}`);
      }
      for (const module of local) {
        const path = fileURLToPath(module.specifier);
        assert.ok(
          isInside(path, dir) || isInside(path, shared),
          `${name} reaches ${relative(ROOT, path)}, outside its folder and _shared`,
        );
        for (const dep of module.dependencies ?? []) {
          const spec = dep.specifier;
          if (spec.startsWith('./') || spec.startsWith('../')) continue; // checked as a module above
          assert.match(
            spec,
            /^(node:|jsr:|https:|npm:(@[^/@]+\/)?[^/@]+@\d+\.\d+\.\d+([-+][^/]*)?(\/|$))/,
            `${
              relative(ROOT, path)
            } imports "${spec}": deploys need node:, jsr:, https: or a pinned npm: specifier`,
          );
        }
      }
    }
  });

  it('type-checks every function entry under Deno', async () => {
    const entries = (await listFunctionFolders()).map((name) =>
      join('supabase', 'functions', name, 'index.ts')
    );
    const result = await deno(['check', ...entries]);
    assert.equal(result.code, 0, `deno check failed:\n${result.stdout}\n${result.stderr}`);
  });

  it('keeps each bundled index.ts thin: ./bundle.js, the environment and Deno.serve', async () => {
    for (const build of (await buildFunctions()).filter((b) => b.source)) {
      const index = await readFile(join(FUNCTIONS_DIR, build.name, 'index.ts'), 'utf8');
      const imports = [...index.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
      assert.deepEqual(imports, ['./bundle.js'], `${build.name}/index.ts imports only its bundle`);
      assert.match(index, /createFunction\(Deno\.env\.toObject\(\)\)/);
      assert.match(index, /Deno\.serve\(app\.fetch\)/);
    }
  });

  it('has committed bundles identical to what the sources build now (run npm run build:functions)', async () => {
    const builds = await buildFunctions();
    assert.ok(builds.some((b) => b.files.length > 0));
    assert.deepEqual(await staleFiles(builds), []);
  });

  it('notices a bundle that no longer matches its sources', async () => {
    const builds = await buildFunctions();
    const posts = builds.find((b) => b.name === 'posts')!;
    const changed = {
      ...posts,
      files: posts.files.map((f) => ({ ...f, contents: `${f.contents}// edited\n` })),
    };
    assert.deepEqual(await staleFiles([changed]), [
      join('supabase', 'functions', 'posts', 'bundle.js'),
      join('supabase', 'functions', 'posts', 'bundle.d.ts'),
    ]);
  });

  it('describes every function folder in config.toml with its own entrypoint and import map', async () => {
    const blocks = functionBlocks(await readFile(join(ROOT, 'supabase', 'config.toml'), 'utf8'));
    for (const name of await listFunctionFolders()) {
      const block = blocks.get(name);
      assert.ok(block, `config.toml has [functions.${name}]`);
      assert.equal(block.entrypoint, `./functions/${name}/index.ts`, `${name} entrypoint`);
      assert.equal(block.import_map, `./functions/${name}/deno.json`, `${name} import_map`);
      await readFile(join(FUNCTIONS_DIR, name, 'deno.json'), 'utf8');
      assert.ok(name in EXPECTED_VERIFY_JWT, `${name}: say in EXPECTED_VERIFY_JWT what it needs`);
      assert.equal(block.verify_jwt, String(EXPECTED_VERIFY_JWT[name]), `${name} verify_jwt`);
    }
  });

  it('serves requests from the bundles under Deno, and explains a bad environment with 503', async () => {
    const token = await new SignJWT({ role: 'authenticated', aud: 'authenticated' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JWT_SECRET));
    // Runs in a child Deno: imports the bundles exactly as index.ts does, without Deno.serve.
    const script = `
      const env = { USE_MOCK_DB: 'true', SUPABASE_JWT_SECRET: ${
      JSON.stringify(JWT_SECRET)
    }, LOG_LEVEL: 'silent',
        OAUTH_REDIRECT_BASE_URL: 'https://ref.supabase.co/functions/v1', X_CLIENT_ID: 'client-x' };
      const call = async (app, path, init) => {
        const res = await app.fetch(new Request('http://localhost' + path, init));
        return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
      };
      const accounts = await (await import('./supabase/functions/accounts/bundle.js')).createFunction(env);
      const auth = { headers: { authorization: 'Bearer ' + Deno.env.get('TEST_TOKEN') } };
      const broken = await (await import('./supabase/functions/posts/bundle.js')).createFunction({ ...env, REDIS_URL: 'nope' });
      const posts = await (await import('./supabase/functions/posts/bundle.js')).createFunction(env);
      const notifications = await (await import('./supabase/functions/notifications/bundle.js')).createFunction(env);
      const endpoints = await (await import('./supabase/functions/notification-endpoints/bundle.js')).createFunction(env);
      const webhook = await (await import('./supabase/functions/post-status-webhook/bundle.js')).createFunction({ ...env, WEBHOOK_SECRET: 'edge-test-secret' });
      const json = { ...auth, headers: { ...auth.headers, 'content-type': 'application/json' } };
      const out = {
        noToken: await call(accounts, '/accounts'),
        list: await call(accounts, '/accounts', auth),
        connect: await call(accounts, '/accounts/x/connect', { method: 'POST', ...auth }),
        posts: await call(accounts, '/posts', auth),
        broken: await call(broken, '/posts', auth),
        notificationsNoToken: await call(notifications, '/notifications'),
        notifications: await call(notifications, '/notifications?unread=true', auth),
        readUnknown: await call(notifications, '/notifications/' + crypto.randomUUID() + '/read', { method: 'POST', ...auth }),
        notificationsPosts: await call(notifications, '/posts', auth),
        endpointsNoToken: await call(endpoints, '/notification-endpoints'),
        endpoints: await call(endpoints, '/notification-endpoints', auth),
        badEndpoint: await call(endpoints, '/notification-endpoints', { method: 'POST', ...json, body: JSON.stringify({ url: 'http://127.0.0.1/hook' }) }),
        health: {
          posts: await call(posts, '/posts/health'),
          accounts: await call(accounts, '/accounts/health'),
          notifications: await call(notifications, '/notifications/health'),
          endpoints: await call(endpoints, '/notification-endpoints/health'),
          webhook: await call(webhook, '/post-status-webhook/health'),
          broken: (await broken.fetch(new Request('http://localhost/posts/health'))).status,
        },
      };
      console.log(JSON.stringify(out));
      Deno.exit(0);`;
    const result = await deno(['eval', script], { TEST_TOKEN: token });
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
    assert.equal(out.noToken.status, 401);
    assert.equal(out.noToken.type, 'application/problem+json');
    assert.equal(out.noToken.body.code, 'auth_required');
    assert.deepEqual(out.list, { status: 200, type: 'application/json', body: { items: [] } });
    assert.equal(out.connect.status, 200);
    assert.match(
      out.connect.body.authorizationUrl,
      /redirect_uri=https%3A%2F%2Fref\.supabase\.co%2Ffunctions%2Fv1%2Faccounts%2Fx%2Fcallback/,
    );
    assert.equal(out.posts.status, 404, 'the accounts function serves no post routes');
    assert.equal(out.broken.status, 503);
    assert.equal(out.broken.body.code, 'config_invalid');
    assert.doesNotMatch(JSON.stringify(out.broken.body), /nope/, 'the bad value stays in the logs');

    assert.equal(out.notificationsNoToken.status, 401, 'notifications verifies the JWT in code');
    assert.equal(out.notificationsNoToken.body.code, 'auth_required');
    assert.deepEqual(out.notifications, {
      status: 200,
      type: 'application/json',
      body: { items: [], nextCursor: null },
    });
    assert.equal(out.readUnknown.status, 404);
    assert.equal(out.readUnknown.body.code, 'notification_not_found');
    assert.equal(out.notificationsPosts.status, 404, 'the notifications function serves no post routes');
    assert.equal(out.endpointsNoToken.status, 401);
    assert.deepEqual(out.endpoints, { status: 200, type: 'application/json', body: { items: [] } });
    assert.equal(out.badEndpoint.status, 422, 'an http endpoint to a private host is refused');
    assert.equal(out.badEndpoint.body.errors[0].path, 'url');

    const ok = { status: 200, type: 'application/json', body: { status: 'ok' } };
    assert.deepEqual(out.health.posts, ok, 'GET /functions/v1/posts/health is not the post id "health"');
    assert.deepEqual(out.health.accounts, ok, 'GET /functions/v1/accounts/health needs no user token');
    assert.deepEqual(out.health.notifications, ok);
    assert.deepEqual(out.health.endpoints, ok);
    assert.deepEqual(out.health.webhook, ok);
    assert.equal(out.health.broken, 503, 'a misconfigured function fails its liveness probe');
  });
});
