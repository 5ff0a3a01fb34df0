// The first module of every cached bundle ('run' mode). Loading krandog's runtime (the http and
// WebSocket code and what they import from Node) costs more than a small script's own start-up,
// so its globals are installed the way Node installs its own (fetch, WebSocket): as getters on
// globalThis that load the runtime on first use. A script that never touches `http`, `serve`,
// `WebSocket` or the test globals never pays for them; one that does gets the very same module
// instance an `import http from 'http'` gives. Loading is synchronous through require() of the
// ES module, which Node has without a flag since 20.19 and 22.12 (which also have
// process.getBuiltinModule); on older versions the CLI imports the runtime before the bundle
// (exec/execute.ts). No top-level await here: the CLI loads a bundle without one through require().
// Node 22+ has lazy globals of its own under some of these names (WebSocket; CloseEvent from 23):
// V8 lazy data properties, whose value (undici, with http, tls and crypto) is loaded by anything
// that reads the property's descriptor, Object.defineProperty included. delete never reads it.
import { runtimeGlobals } from './runtime-paths.ts';

/** JSON list of the names dist/runtime/globals.js defines (found by build.mjs), or "null". */
declare const KRANDOG_RUNTIME_GLOBALS: string;

/** Source of the module that installs the globals, or an eager import when lazy loading is impossible. */
export function lazyGlobalsModule(): string {
  const runtime = JSON.stringify(runtimeGlobals);
  const names = KRANDOG_RUNTIME_GLOBALS;
  // 'krandog:globals' resolves to the runtime, kept external (plugins.ts).
  if (names === 'null') return `import 'krandog:globals';\n`;
  // Without require(esm) (Node before 20.19 / 22.12) the CLI has already imported the runtime.
  return `const names = ${names};
const runtime = ${runtime};
function loadRuntime() {
  // The runtime assigns its globals itself: make room for plain values first.
  for (const name of names) delete globalThis[name];
  process.getBuiltinModule('node:module').createRequire(runtime)(runtime);
}
if (process.features.require_module) {
  for (const name of names) {
    delete globalThis[name];
    Object.defineProperty(globalThis, name, {
      configurable: true,
      enumerable: true,
      get() {
        loadRuntime();
        return globalThis[name];
      },
      set(value) {
        loadRuntime();
        globalThis[name] = value;
      },
    });
  }
}
`;
}
