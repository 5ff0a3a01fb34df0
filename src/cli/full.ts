// Everything a plain run with a fresh cached bundle does not need: commander, the bundler, the
// cache's full lookup, --watch and build. build.mjs makes this dist/cli-full.js, a file of its
// own that dist/cli.js imports only when needed, so every start reads and compiles less.
export { runProgram } from './program.ts';
export { bundleScript } from '../bundle/bundle.ts';
export { prepareBundle } from '../bundle/prepare.ts';
