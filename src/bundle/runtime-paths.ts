import { path, url } from '../builtins.ts';

declare const KRANDOG_CJS: boolean;

/**
 * dist/, where dist/cli.js (this code, once built) lives. In dist/cli.cjs (KRANDOG_CJS, see
 * build.mjs) that is __dirname: no file URL to make and parse on every start.
 */
export const distDir =
  typeof KRANDOG_CJS !== 'undefined' && KRANDOG_CJS ? __dirname + path.sep : url.fileURLToPath(new URL('./', import.meta.url));
/** Folder of the built runtime (dist/runtime), next to dist/cli.js. */
export const runtimeDir = distDir + 'runtime/';
export const runtimeGlobals = runtimeDir + 'globals.js';
export const runtimeHttp = runtimeDir + 'http.js';
export const runtimeHttps = runtimeDir + 'https.js';
