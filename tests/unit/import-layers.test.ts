/**
 * The folders of src/ are layers, and imports only point down:
 * domain ← config/net ← observability ← store/queue/platforms/sandbox ← worker/api/notify ← client/app ←
 * dev ← entry. No two files import each other, even through others. Reads the sources as text.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

const LAYER: Readonly<Record<string, number>> = {
  domain: 0,
  config: 1,
  net: 1,
  observability: 2,
  store: 3,
  queue: 3,
  platforms: 3,
  sandbox: 3,
  worker: 4,
  api: 4,
  notify: 4,
  client: 5,
  app: 5,
  dev: 6,
  entry: 7,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    found.push(normalize(join(dirname(file), match[1]!)));
  }
  return found;
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => t.startsWith(SRC))]));
const folderOf = (file: string) => relative(SRC, file).split(/[\\/]/)[0]!;

describe('import layers', () => {
  it('gives every folder of src/ a layer', () => {
    const unknown = [...new Set(files.map(folderOf))].filter((f) => !(f in LAYER) && !f.endsWith('.ts'));
    assert.deepEqual(unknown, [], 'a new folder needs its place in LAYER');
  });

  it('has no import from a lower layer to a higher one, nor between folders of one layer', () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        const from = folderOf(file);
        const to = folderOf(target);
        if (from === to || LAYER[to]! < LAYER[from]!) continue;
        wrong.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('has no import cycle between files', () => {
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    assert.deepEqual(cycles, []);
  });
});
