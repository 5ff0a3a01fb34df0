// The import graph of runtime/ and src/: no cycles (issue 16). Every relative import counts: static
// (`import`, `export … from`), type-only (`import type`, erased at build but still a design
// dependency) and dynamic (`import('./x.ts')`, lazy loading). A layer-order rule can check the same
// edges later.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const SCANNED = ['runtime', 'src'];

type ImportKind = 'static' | 'type' | 'dynamic';
interface ImportEdge { from: string; to: string; kind: ImportKind }

// Top-level statements start a line (the code is formatted); [^;] keeps a match inside one statement.
const STATIC = /^(import|export)(\s+type)?\s[^;]*?from\s+'(\.[^']+)'|^import\s+'(\.[^']+)'/gm;
const DYNAMIC = /\bimport\(\s*'(\.[^']+)'\s*\)/g;

/** Every relative import between the .ts files of `dirs`, as repository-relative paths. */
function importGraph(dirs: string[]): ImportEdge[] {
  const files = dirs.flatMap((dir) =>
    readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => path.join(dir, file)),
  );
  const known = new Set(files);
  const edges: ImportEdge[] = [];
  for (const from of files) {
    const source = readFileSync(path.join(ROOT, from), 'utf8');
    const add = (specifier: string, kind: ImportKind) => {
      const to = path.join(path.dirname(from), specifier);
      if (known.has(to)) edges.push({ from, to, kind });
    };
    for (const [, , type, specifier, bare] of source.matchAll(STATIC)) add(specifier ?? bare, type ? 'type' : 'static');
    for (const [, specifier] of source.matchAll(DYNAMIC)) add(specifier, 'dynamic');
  }
  return edges;
}

/** One cycle per back edge of a depth-first search, as 'a → b → a'. */
function findCycles(edges: ImportEdge[]): string[] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const done = new Set<string>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string) => {
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      const at = stack.indexOf(to);
      if (at !== -1) cycles.push([...stack.slice(at), to].join(' → '));
      else if (!done.has(to)) visit(to);
    }
    stack.pop();
    done.add(file);
  };
  for (const file of next.keys()) if (!done.has(file)) visit(file);
  return cycles;
}

describe('imports of runtime/ and src/', () => {
  const edges = importGraph(SCANNED);

  it('are seen in all three kinds (a scanner that finds nothing would pass the checks below)', () => {
    const kinds = new Set(edges.map((edge) => edge.kind));
    expect([...kinds].sort()).toEqual(['dynamic', 'static', 'type']);
  });

  it('form no cycle', () => {
    expect(findCycles(edges)).toEqual([]);
  });
});
