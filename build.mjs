// Builds the CLI and the runtime into dist/ with esbuild.
// dist/cli.js      – the command-line program's start-up path: a plain run with a cached bundle
//                    needs this file only. The rest (commander, the bundler, --watch, build) is
//                    dist/cli-full.js, imported when needed; commander and esbuild stay external
//                    (esbuild ships a native binary) and are imported lazily too.
// dist/runtime/*.js – what user scripts get; built with code splitting so that `globals.js`
//                    and `http.js` share one instance of the server and WebSocket code.
//                    Built first: the CLI build needs the list of globals it installs.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

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

/**
 * The names dist/runtime/globals.js puts on globalThis, found by importing it in a throw-away
 * process. The CLI installs these as lazy getters so that a script which uses none of them never
 * loads the runtime (start-up time). null when the runtime cannot be loaded: scripts then import
 * it eagerly.
 */
function runtimeGlobalNames() {
  const probe = `
    const descriptors = Object.getOwnPropertyDescriptors(globalThis);
    await import(${JSON.stringify(new URL('./dist/runtime/globals.js', import.meta.url).href)});
    const same = (a, b) => a && b && Object.is(a.value, b.value) && a.get === b.get;
    const names = Object.getOwnPropertyNames(globalThis).filter((name) => !same(descriptors[name], Object.getOwnPropertyDescriptor(globalThis, name)));
    process.stdout.write(JSON.stringify(names));
    process.exit(0);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', timeout: 30_000 });
  if (result.status === 0) return JSON.parse(result.stdout);
  console.warn(`build.mjs: could not list the runtime's globals; scripts will load the runtime eagerly\n${result.stderr}`);
  return null;
}

/** Hash of the CLI's sources and the runtime's global names: a cached bundle made by another build is not reused. */
function cliBuildId(globalNames) {
  const hash = createHash('sha256').update(JSON.stringify(globalNames));
  for (const file of readdirSync('src', { recursive: true }).sort()) {
    if (String(file).endsWith('.ts')) hash.update(String(file)).update(readFileSync(`src/${file}`));
  }
  return hash.digest('hex').slice(0, 16);
}

await esbuild.build({
  ...common,
  entryPoints: { globals: 'runtime/globals.ts', http: 'runtime/http/index.ts', https: 'runtime/https/index.ts' },
  outdir: 'dist/runtime',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});

const globalNames = runtimeGlobalNames();
const cli = {
  ...common,
  outdir: 'dist',
  external: ['esbuild', 'commander'],
  define: {
    ...common.define,
    KRANDOG_BUILD_ID: JSON.stringify(cliBuildId(globalNames)),
    // JSON text (a string constant), spliced into the code each bundle starts with.
    KRANDOG_RUNTIME_GLOBALS: JSON.stringify(JSON.stringify(globalNames)),
    KRANDOG_FULL_PROGRAM: JSON.stringify('./cli-full.js'),
  },
};
/**
 * In dist/cli.js, `import('./full.ts')` and prepare.ts's `import('./bundle.ts')` (the bundler, which
 * cli-full.js exports too) load dist/cli-full.js instead of inlining it.
 */
const fullCliExternal = {
  name: 'full-cli-external',
  setup(build) {
    build.onResolve({ filter: /\/full\.ts$/ }, () => ({ path: './cli-full.js', external: true }));
    build.onResolve({ filter: /^\.\/bundle\.ts$/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: './cli-full.js', external: true } : undefined,
    );
  },
};
/**
 * The entry files are minified: every start scans and compiles them (about 0.5% of a hello
 * world's start-up, in instructions, for 10 KB against 5.5 KB). Their .map files name the sources.
 */
const startupMinify = { minify: true };
/**
 * dist/cli.cjs, the start-up path of ./krandog as CommonJS: a CommonJS main module (which then
 * require()s the cached bundle, exec/execute.ts) spares Node's ES-module loader, a few ms of
 * every start on Node 22. dist/cli.js, the same as an ES module, serves bin/krandog.js.
 */
const cjsCli = {
  ...cli,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  // KRANDOG_CJS branches are decided here (minification drops the dead ones): the start-up path
  // uses require and __dirname, not import.meta.url, which CommonJS lacks (checked below).
  ...startupMinify,
  define: { ...cli.define, KRANDOG_CJS: 'true', 'import.meta.url': '__krandogNoImportMeta' },
};
await Promise.all([
  esbuild.build({ ...cli, ...startupMinify, define: { ...cli.define, KRANDOG_CJS: 'false' }, entryPoints: { cli: 'src/cli/main.ts' }, plugins: [fullCliExternal] }),
  esbuild.build({ ...cjsCli, entryPoints: { cli: 'src/cli/main.ts' }, plugins: [fullCliExternal] }),
  esbuild.build({ ...cli, define: { ...cli.define, KRANDOG_CJS: 'false' }, entryPoints: { 'cli-full': 'src/cli/full.ts' } }),
]);
if (readFileSync('dist/cli.cjs', 'utf8').includes('__krandogNoImportMeta')) {
  throw new Error('build.mjs: dist/cli.cjs uses import.meta.url, which CommonJS does not have');
}
