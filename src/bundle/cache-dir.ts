import { os, path } from '../builtins.ts';
import { joinPath, resolvePath } from '../resolve-path.ts';

// Paths are joined without path.join() (see resolve-path.ts): start-up time.

/** Where krandog keeps its cache: $XDG_CACHE_HOME/krandog, else ~/.cache/krandog. */
export function cacheDir(): string {
  // The XDG Base Directory spec says to ignore a relative XDG_CACHE_HOME.
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? resolvePath(xdg) : joinPath(resolvePath(homeDir()), '.cache');
  return joinPath(base, 'krandog');
}

/** os.homedir() reads $HOME first where there is one; node:os is not loaded at start-up otherwise. */
function homeDir(): string {
  return (process.platform !== 'win32' && process.env.HOME) || os().homedir();
}

/** A bundle's path (`name`: see isBundleName() in cache-manifest.ts); bundles are named by the hash of their content. */
export function bundlePath(name: string, root = cacheDir()): string {
  return joinPath(joinPath(root, 'bundles'), name);
}

/** A manifest's path (one per entry script: which bundle, built from which inputs); `name` has no separators. */
export function manifestFilePath(name: string, root = cacheDir()): string {
  return joinPath(joinPath(root, 'manifests'), name);
}
