/**
 * The Supabase Edge Functions deploy: each function folder's thin index.ts imports only its entry in the
 * shared bundle (supabase/functions/_shared/bundle/), nothing they load resolves outside their folder and
 * _shared, a textual import walk like `supabase functions deploy --use-api` does finds every file they
 * load (supabase/cli#3467), their entries type-check under Deno, the committed bundle is what the sources
 * build today, config.toml describes every function, and the bundle actually serves requests under Deno.
 * Deno runs as a child process (sh scripts/deno.sh), the same under the Node and Deno test runners.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import {
  buildFunctions,
  BUNDLE_DIR,
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

/** The local (not node_modules) files in Deno's module graph of a function's index.ts. */
async function denoGraph(name: string): Promise<InfoModule[]> {
  const result = await deno(['info', '--json', join('supabase', 'functions', name, 'index.ts')]);
  assert.equal(result.code, 0, `deno info ${name}: ${result.stderr}`);
  const info = JSON.parse(result.stdout) as { modules: InfoModule[] };
  for (const module of info.modules) {
    assert.equal(module.error, undefined, `${name}: ${module.specifier}`);
  }
  return info.modules.filter((m) =>
    m.specifier.startsWith('file:') && !fileURLToPath(m.specifier).includes(`${sep}node_modules${sep}`)
  );
}

/** Specifiers written in `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`. */
const IMPORT_SPECIFIER =
  /\b(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?['"]([^'"\n]+)['"]|\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g;

/**
 * The files a deploy that does not run Deno would upload for `entry` (a path relative to ROOT): like
 * `supabase functions deploy --use-api`, it reads the entry's text, follows every `./` or `../`
 * specifier with an extension, joined to the importing file's folder relative to the project root,
 * and does the same for each file found (supabase/cli pkg/function/deno.go WalkImportPaths).
 */
async function uploadWalk(entry: string): Promise<string[]> {
  const found = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const path = queue.pop()!;
    if (found.has(path) || !existsSync(join(ROOT, path))) continue;
    found.add(path);
    const text = await readFile(join(ROOT, path), 'utf8');
    for (const match of text.matchAll(IMPORT_SPECIFIER)) {
      const spec = match[1] ?? match[2]!;
      if ((spec.startsWith('./') || spec.startsWith('../')) && posix.extname(spec) !== '') {
        queue.push(posix.join(posix.dirname(path), spec));
      }
    }
  }
  return [...found].sort();
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
    const { functions } = await buildFunctions();
    assert.deepEqual(functions.map((f) => f.name).sort(), [...BUNDLED].sort());
    for (const name of BUNDLED) {
      const fn = functions.find((f) => f.name === name);
      assert.equal(fn?.source, `src/entry/functions/${name}.ts`, `${name} is bundled`);
      assert.equal(fn.entry, join(BUNDLE_DIR, `${name}.js`), `${name} has its entry in the shared bundle`);
      assert.ok(fn.loads.includes(fn.entry), `${name} loads its entry`);
    }
  });

  it('imports nothing from outside supabase/functions in any function folder', async () => {
    const folders = await listFunctionFolders();
    assert.ok(folders.length >= 2);
    const shared = join(FUNCTIONS_DIR, '_shared');
    for (const name of folders) {
      const dir = join(FUNCTIONS_DIR, name);
      const local = await denoGraph(name);
      assert.ok(local.some((m) => m.specifier.endsWith('/index.ts')), `${name}: the graph has its entry`);
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

  it('loads exactly its entry and chunks from the shared bundle, all found by a --use-api style upload walk', async () => {
    const build = await buildFunctions();
    for (const fn of build.functions.filter((f) => f.source)) {
      const graph = (await denoGraph(fn.name)).map((m) => fileURLToPath(m.specifier));
      const fromBundle = graph.filter((path) => isInside(path, BUNDLE_DIR) && !path.endsWith('.d.ts')).sort();
      assert.deepEqual(fromBundle, fn.loads, `${fn.name}: what Deno loads is what the build says it loads`);

      const index = posix.join('supabase', 'functions', fn.name, 'index.ts');
      const uploaded = await uploadWalk(index);
      // Type declarations are not uploaded and not needed: deploys bundle without type-checking.
      const needed = graph.filter((path) => !path.endsWith('.d.ts')).map((path) => relative(ROOT, path))
        .map((path) => path.split(sep).join('/')).sort();
      assert.deepEqual(uploaded, needed, `${fn.name}: the upload walk finds every file the function loads`);
      for (const path of uploaded) {
        assert.ok(path.startsWith('supabase/functions/'), `${fn.name}: ${path} is under supabase/functions`);
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

  it('keeps each bundled index.ts thin: its entry in ../_shared/bundle/, the environment and Deno.serve', async () => {
    for (const fn of (await buildFunctions()).functions.filter((f) => f.source)) {
      const index = await readFile(join(FUNCTIONS_DIR, fn.name, 'index.ts'), 'utf8');
      const imports = [...index.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
      assert.deepEqual(
        imports,
        [`../_shared/bundle/${fn.name}.js`],
        `${fn.name}/index.ts imports only its entry in the shared bundle`,
      );
      assert.match(index, /createFunction\(Deno\.env\.toObject\(\)\)/);
      assert.match(index, /Deno\.serve\(app\.fetch\)/);
    }
  });

  it('has a committed bundle identical to what the sources build now (run npm run build:functions)', async () => {
    const build = await buildFunctions();
    assert.ok(build.files.length > build.functions.length, 'an entry per function, chunks and types');
    assert.ok(
      build.files.every((f) => isInside(f.path, BUNDLE_DIR)),
      'everything generated is in _shared/bundle',
    );
    assert.deepEqual(await staleFiles(build), []);
  });

  it('notices a bundle file that no longer matches its sources, and one no build makes any more', async () => {
    const build = await buildFunctions();
    const entry = join(BUNDLE_DIR, 'posts.js');
    const chunk = build.files.find((f) => /[/\\]chunk-[^/\\]+\.js$/.test(f.path))!.path;
    const changed = {
      ...build,
      files: build.files
        .filter((f) => f.path !== chunk)
        .map((f) => f.path === entry ? { ...f, contents: `${f.contents}// edited\n` } : f),
    };
    assert.deepEqual(await staleFiles(changed), [relative(ROOT, chunk), relative(ROOT, entry)].sort());
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

  it('serves requests from the shared bundle under Deno, and explains a bad environment with 503', async () => {
    const token = await new SignJWT({ role: 'authenticated', aud: 'authenticated' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JWT_SECRET));
    // Runs in a child Deno: imports each function's entry exactly as its index.ts does, without Deno.serve.
    const script = `
      const env = { USE_MOCK_DB: 'true', SUPABASE_JWT_SECRET: ${
      JSON.stringify(JWT_SECRET)
    }, LOG_LEVEL: 'silent',
        OAUTH_APP_RETURN_URL: 'https://app.example.com/connect', X_CLIENT_ID: 'client-x' };
      const call = async (app, path, init) => {
        const res = await app.fetch(new Request('http://localhost' + path, init));
        return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
      };
      const accounts = await (await import('./supabase/functions/_shared/bundle/accounts.js')).createFunction(env);
      const auth = { headers: { authorization: 'Bearer ' + Deno.env.get('TEST_TOKEN') } };
      const broken = await (await import('./supabase/functions/_shared/bundle/posts.js')).createFunction({ ...env, REDIS_URL: 'nope' });
      const posts = await (await import('./supabase/functions/_shared/bundle/posts.js')).createFunction(env);
      const notifications = await (await import('./supabase/functions/_shared/bundle/notifications.js')).createFunction(env);
      const endpoints = await (await import('./supabase/functions/_shared/bundle/notification-endpoints.js')).createFunction(env);
      const webhook = await (await import('./supabase/functions/_shared/bundle/post-status-webhook.js')).createFunction({ ...env, WEBHOOK_SECRET: 'edge-test-secret' });
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
      /redirect_uri=https%3A%2F%2Fapp\.example\.com%2Fconnect%2Fx(?:&|$)/,
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
    assert.deepEqual(out.endpoints, {
      status: 200,
      type: 'application/json',
      body: { items: [], nextCursor: null },
    });
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
