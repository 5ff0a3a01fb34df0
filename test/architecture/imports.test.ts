// The import graph of runtime/ and src/: no cycles (issue 16). Every relative import counts: static
// (`import`, `export … from`), type-only (`import type`, erased at build but still a design
// dependency) and dynamic (`import('./x.ts')`, lazy loading). The same edges must follow the layer
// order: each import points down (or stays inside its own folder).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
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

/**
 * runtime/ from the top down; a file may import its own group or any group of a later layer, never
 * one of an earlier layer or a sibling of its own. The CLI (src/) shares only runtime/util/ with the
 * runtime: they are separate bundles.
 */
const LAYERS: string[][] = [
  ['runtime/globals.ts'],
  ['runtime/https/', 'runtime/test-runner.ts'],
  ['runtime/http/'],
  ['runtime/ws/server/', 'runtime/ws/client/'],
  ['runtime/ws/transport/'],
  ['runtime/ws/connection.ts'],
  ['runtime/pubsub/', 'runtime/ws/extensions/'],
  ['runtime/ws/protocol/'],
  ['runtime/util/'],
];
const CLI = 'src/';
const SHARED_WITH_CLI = 'runtime/util/';

/** The group of a file and its layer's index; every runtime file must belong to one. */
function groupOf(file: string): { group: string; layer: number } | undefined {
  if (file.startsWith(CLI)) return { group: CLI, layer: -1 };
  for (const [layer, groups] of LAYERS.entries()) {
    const group = groups.find((prefix) => (prefix.endsWith('/') ? file.startsWith(prefix) : file === prefix));
    if (group !== undefined) return { group, layer };
  }
  return undefined;
}

/** Imports that point up the layers, sideways to a sibling, or from the CLI into the runtime. */
function layerViolations(edges: ImportEdge[]): string[] {
  const violations: string[] = [];
  for (const { from, to } of edges) {
    const source = groupOf(from)!;
    const target = groupOf(to)!;
    if (source.group === target.group) continue;
    const allowed = source.group === CLI ? target.group === SHARED_WITH_CLI : target.group !== CLI && target.layer > source.layer;
    if (!allowed) violations.push(`${from} → ${to}`);
  }
  return violations;
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

  it('place every file of runtime/ in a layer', () => {
    const files = new Set(edges.flatMap((edge) => [edge.from, edge.to]));
    expect([...files].filter((file) => groupOf(file) === undefined)).toEqual([]);
  });

  it('point down the layers: no import against the order', () => {
    expect(layerViolations(edges)).toEqual([]);
  });

  it('are judged by the layer rule (an upward import, a sibling import and a CLI import into the runtime are caught)', () => {
    const probes: ImportEdge[] = [
      { from: 'runtime/ws/protocol/mask.ts', to: 'runtime/ws/connection.ts', kind: 'static' },
      { from: 'runtime/ws/client/websocket.ts', to: 'runtime/ws/server/attach.ts', kind: 'type' },
      { from: 'src/exec/workers.ts', to: 'runtime/pubsub/hub.ts', kind: 'static' },
      { from: 'runtime/http/server.ts', to: 'runtime/pubsub/hub.ts', kind: 'static' },
      { from: 'src/exec/workers.ts', to: 'runtime/util/cluster-ipc.ts', kind: 'static' },
    ];
    expect(layerViolations(probes)).toEqual([
      'runtime/ws/protocol/mask.ts → runtime/ws/connection.ts',
      'runtime/ws/client/websocket.ts → runtime/ws/server/attach.ts',
      'src/exec/workers.ts → runtime/pubsub/hub.ts',
    ]);
  });
});
