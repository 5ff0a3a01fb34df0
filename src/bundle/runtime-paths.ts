import { url } from '../builtins.ts';

/** dist/, where dist/cli.js (this code, once built) lives. */
export const distDir = url.fileURLToPath(new URL('./', import.meta.url));
/** Folder of the built runtime (dist/runtime), next to dist/cli.js. */
export const runtimeDir = distDir + 'runtime/';
export const runtimeGlobals = runtimeDir + 'globals.js';
export const runtimeHttp = runtimeDir + 'http.js';
export const runtimeHttps = runtimeDir + 'https.js';
