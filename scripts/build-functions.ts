/**
 * `npm run build:functions`: builds the code of every Supabase Edge Function as ONE shared bundle in
 * `supabase/functions/_shared/bundle/`, which the functions' thin `index.ts` files import.
 *
 * For each folder `supabase/functions/<name>/` (folders starting with `_` or `.` are shared code, not
 * functions) whose source module `src/entry/functions/<name>.ts` exists, one esbuild run with code
 * splitting writes into `_shared/bundle/`:
 *   - `<name>.js`          the function's entry: exports `createFunction(env)` (src/entry/edge-function.ts);
 *   - `chunk-<hash>.js`    code used by several functions (each chunk exists once, not once per function);
 *   - `function.d.ts`      the entries' types, picked up by Deno via `@ts-self-types`.
 * The folder's own `index.ts` (hand-written, thin) imports `../_shared/bundle/<name>.js` and calls
 * Deno.serve. A function loads only its entry and the chunks that entry imports, so its cold start reads
 * about what its own bundle used to be, and its deploy contains only the npm packages it uses (a single
 * file exporting every factory would make each function load — and deploy — all of them).
 * Folders without a source module are left alone and must not import the bundle.
 *
 * Why Supabase deploys this layout (checked against supabase/cli, apps/cli-go, June 2026):
 *   - `_shared` is the folder Supabase documents for code shared between functions, imported with
 *     relative paths such as `../_shared/cors.ts` (docs: guides/functions/development-environment
 *     "Recommended project structure", development-tips "Organizing your Edge Functions", cors).
 *     The CLI never deploys it as a function: slugs come from `supabase/functions/*\/index.ts` and must
 *     match `^[A-Za-z][A-Za-z0-9_-]*$` (internal/functions/deploy/deploy.go GetFunctionSlugs).
 *   - Docker bundling (the default when Docker runs) mounts the whole `supabase/functions/` directory
 *     (internal/functions/deploy/bundle.go GetBindMounts), so `../_shared/…` resolves in the container.
 *   - `--use-api` (and the fallback when Docker is not running) uploads the entrypoint, the import map and
 *     every file reached by walking `import … from '…'` / `export … from '…'` / `import('…')` specifiers
 *     that start with `./` or `../` and have an extension (pkg/function/deploy.go writeForm,
 *     pkg/function/deno.go WalkImportPaths; multi-line `import {…} from` is covered by its tests).
 *     Paths are joined relative to the project root and opened through io/fs, which refuses `..`
 *     above the root — the failure in supabase/cli#3467 — but `../_shared/bundle/x.js` from
 *     `supabase/functions/x/index.ts` is `supabase/functions/_shared/bundle/x.js`, inside it. esbuild
 *     writes chunk imports as plain static `import {…} from "./chunk-….js"`, which that walk follows;
 *     tests/integration/edge-functions.test.ts replays such a walk and compares it with Deno's graph.
 *   - Size: 20 MB per function bundled by the CLI, 5 MB bundled server-side (guides/functions/limits,
 *     troubleshooting/edge-function-bundle-size-issues); the largest function may load ~0.35 MB of ours.
 *
 * npm packages are NOT bundled: each bare import becomes an `npm:<name>@<version><subpath>` specifier
 * with the exact version package-lock.json installed (Node and the tests run that same version).
 * Why: bullmq, ioredis, postgres and pino are CommonJS packages built for Node that reach node:net,
 * node:tls, worker threads and optional native modules; bundling them into one ESM file breaks on
 * dynamic `require` and on code paths esbuild cannot see, while the Edge Runtime resolves `npm:`
 * specifiers itself with its Node compatibility layer, the way Supabase documents. The pinned specifier
 * is self-describing, so the bundle needs no import map. (Transitive dependencies are resolved by the
 * deploy from the registry within each package's own ranges.)
 *
 * The bundle is committed (marked generated in .gitattributes): a deploy needs it (including Supabase's
 * GitHub integration, which deploys straight from the repository), and `--check` (used by the test)
 * fails when a committed file differs from what the sources produce now, is missing, or is left over
 * (an old chunk, or a pre-`_shared` `<name>/bundle.js`). Output is deterministic: paths are relative to
 * the repository root, chunk names are content hashes, and nothing time-dependent is written.
 *
 *   node --import tsx scripts/build-functions.ts           write the bundle (and delete left-overs)
 *   node --import tsx scripts/build-functions.ts --check   exit 1 if anything is stale, missing or left over
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FUNCTIONS_DIR = join(ROOT, 'supabase', 'functions');
export const FUNCTION_SOURCES_DIR = join(ROOT, 'src', 'entry', 'functions');
/** Everything in here is generated (and deleted when no longer generated). */
export const BUNDLE_DIR = join(FUNCTIONS_DIR, '_shared', 'bundle');
/** What the previous layout generated in each function folder; now left-overs. */
const LEGACY_FILES = ['bundle.js', 'bundle.d.ts'];
const TYPES_FILE = 'function.d.ts';

/** The types of every entry: mirrors EdgeFunction / CreateEdgeFunction in src/entry/edge-function.ts. */
const ENTRY_TYPES =
  `// Generated by scripts/build-functions.ts: the types of every <function>.js here (see src/entry/edge-function.ts).
export interface EdgeFunction {
  fetch(request: Request): Response | Promise<Response>;
}

export declare function createFunction(
  env: Readonly<Record<string, string | undefined>>,
): Promise<EdgeFunction>;
`;

export interface GeneratedFile {
  /** Absolute path. */
  path: string;
  contents: string;
}

export interface FunctionBuild {
  name: string;
  /** Null when the folder has no source module (it is not bundled). */
  source: string | null;
  /** Absolute path of the entry `index.ts` imports, `_shared/bundle/<name>.js`; null if not bundled. */
  entry: string | null;
  /**
   * Absolute paths of every generated module the function may load (what a deploy uploads): its entry
   * and, transitively, the chunks it imports, statically or with `import()`.
   */
  loads: string[];
  /** The part of `loads` read before the first request: what static imports reach from the entry. */
  startupLoads: string[];
}

export interface FunctionsBuild {
  functions: FunctionBuild[];
  /** Everything that belongs in BUNDLE_DIR. */
  files: GeneratedFile[];
}

/** Function folders under supabase/functions (not `_shared` and the like). */
export async function listFunctionFolders(): Promise<string[]> {
  const entries = await readdir(FUNCTIONS_DIR, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('_') && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** Exact versions of the runtime dependencies, from package-lock.json. */
async function lockedVersions(): Promise<Map<string, string>> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const versions = new Map<string, string>();
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    const version = lock.packages[`node_modules/${name}`]?.version;
    if (version) versions.set(name, version);
  }
  return versions;
}

/** `@scope/pkg/sub/path` → { name: '@scope/pkg', subpath: '/sub/path' }. */
function splitSpecifier(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split('/');
  const size = specifier.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, size).join('/');
  const rest = parts.slice(size).join('/');
  return { name, subpath: rest ? `/${rest}` : '' };
}

function npmSpecifiers(versions: Map<string, string>): esbuild.Plugin {
  return {
    name: 'npm-specifiers',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || args.path.startsWith('npm:')) {
          return { path: args.path, external: true };
        }
        const { name, subpath } = splitSpecifier(args.path);
        const version = versions.get(name);
        if (!version) {
          return {
            errors: [{
              text: `"${args.path}" is not a runtime dependency in package.json/package-lock.json ` +
                `(imported by ${relative(ROOT, args.importer)}); an Edge Function can only use those`,
            }],
          };
        }
        return { path: `npm:${name}@${version}${subpath}`, external: true };
      });
    },
  };
}

const toPosix = (path: string): string => path.split('\\').join('/');

/** Builds (in memory) what BUNDLE_DIR should contain, and what each function loads from it. */
export async function buildFunctions(): Promise<FunctionsBuild> {
  const versions = await lockedVersions();
  const functions: FunctionBuild[] = [];
  for (const name of await listFunctionFolders()) {
    const sourcePath = join(FUNCTION_SOURCES_DIR, `${name}.ts`);
    const bundled = existsSync(sourcePath);
    functions.push({
      name,
      source: bundled ? toPosix(relative(ROOT, sourcePath)) : null,
      entry: bundled ? join(BUNDLE_DIR, `${name}.js`) : null,
      loads: [],
      startupLoads: [],
    });
  }
  const bundled = functions.filter((f) => f.source);
  if (bundled.length === 0) return { functions, files: [] };

  const result = await esbuild.build({
    entryPoints: bundled.map((f) => ({ in: f.source!, out: f.name })),
    absWorkingDir: ROOT,
    outdir: toPosix(relative(ROOT, BUNDLE_DIR)),
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'inline',
    logLevel: 'silent',
    plugins: [npmSpecifiers(versions)],
  });

  // Which generated modules each output imports (metafile paths are relative to ROOT): all of them,
  // and only the static ones. createServices imports each part's code on first use, so a function
  // starts on its static graph and loads the rest as it builds what a request needs.
  const outputs = result.metafile.outputs;
  const imports = new Map<string, string[]>();
  const staticImports = new Map<string, string[]>();
  for (const [path, output] of Object.entries(outputs)) {
    const internal = output.imports.filter((i) => !i.external);
    imports.set(join(ROOT, path), internal.map((i) => join(ROOT, i.path)));
    staticImports.set(
      join(ROOT, path),
      internal.filter((i) => i.kind === 'import-statement').map((i) => join(ROOT, i.path)),
    );
  }
  const reach = (entry: string, edges: Map<string, string[]>): string[] => {
    const seen = new Set<string>();
    const queue = [entry];
    while (queue.length > 0) {
      const path = queue.pop()!;
      if (seen.has(path)) continue;
      seen.add(path);
      queue.push(...(edges.get(path) ?? []));
    }
    return [...seen].sort();
  };
  const usedBy = new Map<string, string[]>();
  for (const fn of bundled) {
    fn.loads = reach(fn.entry!, imports);
    fn.startupLoads = reach(fn.entry!, staticImports);
    for (const path of fn.loads) usedBy.set(path, [...(usedBy.get(path) ?? []), fn.name]);
  }

  const files: GeneratedFile[] = result.outputFiles.map((file) => {
    const fn = bundled.find((f) => f.entry === file.path);
    const header = fn
      ? `// @ts-self-types="./${TYPES_FILE}"\n` +
        `// Generated by scripts/build-functions.ts from ${fn.source}: do not edit; run npm run build:functions.\n`
      : `// Generated by scripts/build-functions.ts: code shared by the Edge Functions ` +
        `${(usedBy.get(file.path) ?? []).join(', ')}; do not edit; run npm run build:functions.\n`;
    return { path: file.path, contents: header + file.text };
  });
  files.push({ path: join(BUNDLE_DIR, TYPES_FILE), contents: ENTRY_TYPES });
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { functions, files };
}

async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...await listFiles(path));
    else files.push(path);
  }
  return files;
}

/** Files on disk that no build produces: old chunks in BUNDLE_DIR and the previous layout's bundles. */
async function leftoverFiles(build: FunctionsBuild): Promise<string[]> {
  const wanted = new Set(build.files.map((f) => f.path));
  const leftovers = (await listFiles(BUNDLE_DIR)).filter((path) => !wanted.has(path));
  for (const fn of build.functions) {
    for (const name of LEGACY_FILES) {
      const path = join(FUNCTIONS_DIR, fn.name, name);
      if (existsSync(path)) leftovers.push(path);
    }
  }
  return leftovers;
}

/** Generated files that differ from a fresh build, are missing, or are left over (relative paths). */
export async function staleFiles(build: FunctionsBuild): Promise<string[]> {
  const stale: string[] = [];
  for (const file of build.files) {
    const current = existsSync(file.path) ? await readFile(file.path, 'utf8') : null;
    if (current !== file.contents) stale.push(file.path);
  }
  stale.push(...await leftoverFiles(build));
  return stale.map((path) => relative(ROOT, path)).sort();
}

/** Bytes of what `fn` may load from the bundle (or of `paths`, a part of it). */
export function loadedBytes(build: FunctionsBuild, fn: FunctionBuild, paths = fn.loads): number {
  return build.files
    .filter((f) => paths.includes(f.path))
    .reduce((sum, f) => sum + Buffer.byteLength(f.contents), 0);
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

async function main(args: string[]): Promise<number> {
  const build = await buildFunctions();
  const bundled = build.functions.filter((f) => f.source);
  if (args.includes('--check')) {
    const stale = await staleFiles(build);
    if (stale.length === 0) {
      console.log(`The Edge Function bundle is up to date (${bundled.length} functions).`);
      return 0;
    }
    console.error(
      `Stale Edge Function bundle (run npm run build:functions and commit):\n  ${stale.join('\n  ')}`,
    );
    return 1;
  }
  for (const path of await leftoverFiles(build)) {
    await rm(path);
    console.log(`${relative(ROOT, path)}: deleted (no longer generated)`);
  }
  await mkdir(BUNDLE_DIR, { recursive: true });
  for (const file of build.files) await writeFile(file.path, file.contents);
  const total = build.files.reduce((sum, f) => sum + Buffer.byteLength(f.contents), 0);
  console.log(`${relative(ROOT, BUNDLE_DIR)}/: ${build.files.length} files, ${kib(total)}`);
  for (const fn of build.functions) {
    if (!fn.source) {
      console.log(`supabase/functions/${fn.name}: no src/entry/functions/${fn.name}.ts; left as it is`);
      continue;
    }
    const chunks = fn.loads.length - 1;
    console.log(
      `  ${fn.name}.js + ${chunks} chunk${chunks === 1 ? '' : 's'}: ` +
        `${kib(loadedBytes(build, fn, fn.startupLoads))} at start, ${kib(loadedBytes(build, fn))} in all ` +
        `(from ${fn.source})`,
    );
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('build-functions.ts')) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    // esbuild's errors already name the file and import.
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
}
