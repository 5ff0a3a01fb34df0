import { os, path } from '../builtins.ts';

/** Where krandog keeps its cache: $XDG_CACHE_HOME/krandog, else ~/.cache/krandog. */
export function cacheDir(): string {
  // The XDG Base Directory spec says to ignore a relative XDG_CACHE_HOME.
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os().homedir(), '.cache'), 'krandog');
}

/** Bundles, named by the hash of their content. */
export function bundleDir(): string {
  return path.join(cacheDir(), 'bundles');
}

/** One manifest per entry script: which bundle, built from which inputs. */
export function manifestDir(): string {
  return path.join(cacheDir(), 'manifests');
}
