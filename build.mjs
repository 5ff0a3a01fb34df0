// Builds the CLI and the runtime into dist/ with esbuild.
// dist/cli.js      – the command-line program (commander bundled in, esbuild kept external:
//                    it ships a native binary and is loaded lazily only when a bundle is needed).
// dist/runtime/*.js – what user scripts get; built with code splitting so that `globals.js`
//                    and `http.js` share one instance of the server and WebSocket code.
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { KRANDOG_VERSION: JSON.stringify(version) },
};

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    external: ['esbuild'],
    // commander is CommonJS; give the ESM bundle a require() for its node: imports.
    banner: { js: "import { createRequire as __krandogCreateRequire } from 'node:module'; const require = __krandogCreateRequire(import.meta.url);" },
  }),
  esbuild.build({
    ...common,
    entryPoints: { globals: 'runtime/globals.ts', http: 'runtime/http/index.ts' },
    outdir: 'dist/runtime',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  }),
]);
