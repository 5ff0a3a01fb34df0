import { fileURLToPath } from 'node:url';

/** Folder of the built runtime (dist/runtime), next to dist/cli.js. */
export const runtimeDir = fileURLToPath(new URL('./runtime/', import.meta.url));
export const runtimeGlobals = runtimeDir + 'globals.js';
export const runtimeHttp = runtimeDir + 'http.js';
