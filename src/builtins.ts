// Node's built-in modules for krandog's CLI, taken with process.getBuiltinModule().
// `import fs from 'node:fs'` makes Node build an ES-module facade over every export of the
// builtin, which costs milliseconds on every start (about 2 ms of CPU for five of them, against a
// 45 ms `node hello.mjs`); this way costs nearly nothing. Builtins needed only in one rare path
// (node:crypto, node:child_process) are imported where they are used, when they are used; node:os
// and node:module, which Node itself does not load at start-up, are loaded on first call.
// Node before 20.16 has no getBuiltinModule and gets them through require().
// In dist/cli.cjs (KRANDOG_CJS, see build.mjs) that is the module's own require, and the
// top-level await, which CommonJS cannot have, is dropped as dead code (so the test stays inline).
// KRANDOG_CJS is undefined where the sources run as they are (the unit tests).
type LoadBuiltin = (id: string) => unknown;
declare const KRANDOG_CJS: boolean;

const loadBuiltin: LoadBuiltin =
  (process.getBuiltinModule as LoadBuiltin | undefined) ??
  (typeof KRANDOG_CJS !== 'undefined' && KRANDOG_CJS ? require : (await import('node:module')).createRequire(import.meta.url));

export const fs = loadBuiltin('node:fs') as typeof import('node:fs');
export const path = loadBuiltin('node:path') as typeof import('node:path');
export const url = loadBuiltin('node:url') as typeof import('node:url');
export const util = loadBuiltin('node:util') as typeof import('node:util');
export const os = () => loadBuiltin('node:os') as typeof import('node:os');
export const module = () => loadBuiltin('node:module') as typeof import('node:module');
/** require() of a file by absolute path; in dist/cli.cjs its own require, which leaves node:module unloaded. */
export const requireFile: (file: string) => unknown =
  typeof KRANDOG_CJS !== 'undefined' && KRANDOG_CJS ? require : (file) => module().createRequire(file)(file);
