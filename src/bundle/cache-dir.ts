import path from 'node:path';
import os from 'node:os';

/** Where bundles are kept: $XDG_CACHE_HOME/krandog, else ~/.cache/krandog. */
export function cacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'krandog');
}

/** Bundles are written here; esbuild's source-map paths are relative to this folder. */
export function bundleDir(): string {
  return path.join(cacheDir(), 'bundles');
}
