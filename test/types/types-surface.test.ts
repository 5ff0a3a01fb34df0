// types/*.d.ts declare what the runtime gives scripts, name for name: the `http` and `https`
// modules, the globals, and the WebSocket client's members. The runtime side is read from the
// built dist/runtime (in a child process, whose globals it may change); the declared side from
// TypeScript's checker, on test/fixtures/types-surface (krandog's types, Node's, no DOM lib).
//
// The rule for the modules, since krandog's declarations augment @types/node's `http`/`https`:
// - every value krandog's `declare module` declares is exported by the runtime module;
// - every runtime export is declared by krandog's augmentation, or is Node's own object under its
//   own name (the client API the module passes through: Agent, get, request, …), which
//   @types/node declares. `Server` is the one exception, named below.
// Node's declarations that the runtime does not export (IncomingMessage, …) are not checked:
// they are @types/node's, and a script that imports one gets an error from the bundler.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { API, SymbolFlags, type Symbol as TsSymbol } from 'typescript/unstable/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/repo.ts';

const fixture = path.join(repoRoot, 'test/fixtures/types-surface');

/**
 * krandog's server class, exported as `Server` where Node's is; its declaration stays Node's
 * (an augmentation cannot redeclare a class), and scripts meet it as `KrandogServer`.
 */
const KRANDOG_CLASS_UNDER_NODE_NAME = ['Server'];

interface RuntimeModule {
  /** Named exports and the default export's keys. */
  names: string[];
  /** Those that are node:http's (or node:https's) own export of that name. */
  passedThrough: string[];
}

interface RuntimeSurface {
  http: RuntimeModule;
  https: RuntimeModule;
  globals: string[];
  webSocket: { instance: string[]; static: string[] };
}

/** Imports the built runtime in a fresh process and lists what a script gets from it. */
function runtimeSurface(): RuntimeSurface {
  const dist = (file: string) => JSON.stringify(new URL(`file://${path.join(repoRoot, 'dist/runtime', file)}`).href);
  const probe = `
    const describe = (module, node) => {
      const names = [...new Set([...Object.keys(module).filter((name) => name !== 'default'), ...Object.keys(module.default ?? {})])];
      const passedThrough = names.filter((name) => name in node && (module[name] ?? module.default[name]) === node[name]);
      return { names, passedThrough };
    };
    const before = Object.getOwnPropertyDescriptors(globalThis);
    await import(${dist('globals.js')});
    const same = (a, b) => a && b && Object.is(a.value, b.value) && a.get === b.get;
    const globals = Object.getOwnPropertyNames(globalThis).filter((name) => !same(before[name], Object.getOwnPropertyDescriptor(globalThis, name)));
    const ownNames = (object, skip) => Object.getOwnPropertyNames(object).filter((name) => !skip.includes(name));
    const surface = {
      http: describe(await import(${dist('http.js')}), await import('node:http')),
      https: describe(await import(${dist('https.js')}), await import('node:https')),
      globals,
      webSocket: {
        instance: ownNames(WebSocket.prototype, ['constructor']),
        static: ownNames(WebSocket, ['length', 'name', 'prototype']),
      },
    };
    process.stdout.write(JSON.stringify(surface));
    process.exit(0);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', timeout: 20_000 });
  if (result.status !== 0) throw new Error(`the runtime probe failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as RuntimeSurface;
}

const sorted = (names: Iterable<string>) => [...new Set(names)].sort();
const isValue = (symbol: TsSymbol) => (symbol.flags & SymbolFlags.Value) !== 0;
const declaredIn = (symbol: TsSymbol, file: string) => symbol.declarations.some((declaration) => declaration.path === path.join(repoRoot, file));

let api: API;
let project: ReturnType<ReturnType<API['updateSnapshot']>['getProject']> & {};
let runtime: RuntimeSurface;

beforeAll(() => {
  if (!existsSync(path.join(repoRoot, 'dist/runtime/globals.js'))) throw new Error('dist/ is missing: run npm run build');
  runtime = runtimeSurface();
  api = new API({ cwd: repoRoot });
  const config = path.join(fixture, 'tsconfig.json');
  project = api.updateSnapshot({ openProjects: [config] }).getProject(config)!;
});

afterAll(() => api?.close());

/** The fixture's `import …` bindings, by local name, resolved to what they import. */
function importedSymbol(localName: string): TsSymbol {
  const source = project.program.getSourceFile(path.join(fixture, 'surface.ts'))!;
  const alias = project.checker.resolveName(localName, SymbolFlags.Alias, source, true)!;
  return project.checker.getAliasedSymbol(alias);
}

describe('types/*.d.ts against the runtime', () => {
  for (const module of ['http', 'https'] as const) {
    it(`declare the ${module} module's exports`, () => {
      const exports = project.checker.getExportsOfModule(importedSymbol(module)).filter(isValue);
      const declaredByKrandog = exports.filter((symbol) => declaredIn(symbol, `types/${module}.d.ts`)).map((symbol) => symbol.name);
      const declaredByNode = exports.filter((symbol) => !declaredIn(symbol, `types/${module}.d.ts`)).map((symbol) => symbol.name);
      const { names, passedThrough } = runtime[module];

      expect(declaredByKrandog.length).toBeGreaterThan(0);
      expect(sorted(declaredByKrandog.filter((name) => !names.includes(name))), 'declared, not exported').toEqual([]);
      const neitherKrandogsNorNodes = names.filter(
        (name) => !declaredByKrandog.includes(name) && !passedThrough.includes(name) && !KRANDOG_CLASS_UNDER_NODE_NAME.includes(name),
      );
      expect(sorted(neitherKrandogsNorNodes), 'exported, not declared by krandog, not Node’s own').toEqual([]);
      const passedThroughUndeclared = [...passedThrough, ...KRANDOG_CLASS_UNDER_NODE_NAME].filter(
        (name) => names.includes(name) && !declaredByKrandog.includes(name) && !declaredByNode.includes(name),
      );
      expect(sorted(passedThroughUndeclared), 'Node’s, but not declared by @types/node').toEqual([]);
    });
  }

  it('declare the globals krandog installs', () => {
    const source = project.program.getSourceFile(path.join(fixture, 'surface.ts'))!;
    const globalThisSymbol = project.checker.resolveName('globalThis', SymbolFlags.Value, source, false)!;
    const declaredByKrandog = [...globalThisSymbol.getExports().values()]
      .filter((symbol) => isValue(symbol) && declaredIn(symbol, 'types/globals.d.ts'))
      .map((symbol) => symbol.name);
    // WebSocket is left to @types/node (see types/globals.d.ts); it must be declared there.
    const declaredElsewhere = runtime.globals.filter(
      (name) => !declaredByKrandog.includes(name) && project.checker.resolveName(name, SymbolFlags.Value, source, false) !== undefined,
    );
    expect(declaredElsewhere).toEqual(['WebSocket']);
    expect(sorted([...declaredByKrandog, ...declaredElsewhere])).toEqual(sorted(runtime.globals));
  });

  it("declare the WebSocket client's own members, instance and static", () => {
    const declared = importedSymbol('DeclaredWebSocket');
    const instance = [...declared.getMembers().values()].filter((symbol) => symbol.name !== '__constructor').map((symbol) => symbol.name);
    const statics = [...declared.getExports().values()].filter((symbol) => symbol.name !== 'prototype').map((symbol) => symbol.name);
    expect(sorted(instance)).toEqual(sorted(runtime.webSocket.instance));
    expect(sorted(statics)).toEqual(sorted(runtime.webSocket.static));
  });
});
