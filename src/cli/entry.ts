import { fs } from '../builtins.ts';
import { resolvePath } from '../resolve-path.ts';
import { KrandogError, USAGE_EXIT_CODE } from '../errors.ts';

/** The script's absolute path; a clear usage error (exit 2) when it is not a file. */
export function resolveEntry(script: string): string {
  const entry = resolvePath(script);
  const stats = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stats) throw new KrandogError(`cannot find script '${script}' (no file at ${entry})`, USAGE_EXIT_CODE);
  if (!stats.isFile()) throw new KrandogError(`'${script}' is not a file; give the script to run`, USAGE_EXIT_CODE);
  return entry;
}

/**
 * The path scripts see as process.argv[0]: the krandog executable. The ./krandog launcher names
 * itself in KRANDOG_EXECUTABLE; without it (bin/krandog.js run by npm's shim or by node) it is the
 * script node was started with. The launcher's variables are removed (with the compile cache it
 * chose, see ./krandog), so the script and its own child processes do not see them.
 */
export function takeExecutablePath(): string {
  const fromLauncher = process.env.KRANDOG_EXECUTABLE;
  delete process.env.KRANDOG_EXECUTABLE;
  if (process.env.KRANDOG_COMPILE_CACHE) {
    delete process.env.NODE_COMPILE_CACHE;
    delete process.env.KRANDOG_COMPILE_CACHE;
  }
  return fromLauncher ? resolvePath(fromLauncher) : process.argv[1];
}
