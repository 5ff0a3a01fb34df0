// Which files `krandog test` runs: by default `*.test.{js,ts,mjs,cjs}` and the scripts under a
// `test/` folder, found below the working folder (node_modules and dot-folders left out); or the
// files, folders (searched the same way) and globs given. Sorted, each once.
import { fs, path } from '../builtins.ts';
import { KrandogError, USAGE_EXIT_CODE } from '../errors.ts';
import { globBase, globToRegExp, isGlob } from './glob.ts';

const SCRIPT = /\.(?:js|ts|mjs|cjs)$/;
const TEST_FILE = /\.test\.(?:js|ts|mjs|cjs)$/;

export function discoverTestFiles(paths: readonly string[], cwd: string): string[] {
  const found = new Set<string>();
  for (const given of paths.length > 0 ? paths : ['.']) {
    const matched = isGlob(given) ? addGlob(given, cwd, found) : addPath(given, cwd, found);
    if (matched === 0 && paths.length > 0) {
      throw new KrandogError(`no test files in '${given}'${isGlob(given) ? '' : ' (test files are named *.test.js, .ts, .mjs or .cjs, or are under a test/ folder)'}`, USAGE_EXIT_CODE);
    }
  }
  return [...found].sort();
}

/** Adds the test files `given` names to `found`; returns how many it named. */
function addPath(given: string, cwd: string, found: Set<string>): number {
  const absolute = path.resolve(cwd, given);
  const stats = fs.statSync(absolute, { throwIfNoEntry: false });
  if (!stats) throw new KrandogError(`cannot find '${given}' (nothing at ${absolute})`, USAGE_EXIT_CODE);
  if (stats.isFile()) {
    found.add(absolute); // named explicitly: whatever its name
    return 1;
  }
  return addEach(walk(absolute), (file) => isTestFile(path.relative(cwd, file)), found);
}

function addGlob(pattern: string, cwd: string, found: Set<string>): number {
  const normalized = pattern.split(path.sep).join('/');
  const base = path.resolve(cwd, globBase(normalized));
  const matcher = globToRegExp(path.resolve(cwd, normalized).split(path.sep).join('/'));
  if (!fs.existsSync(base)) return 0;
  const candidates = fs.statSync(base).isFile() ? [base] : walk(base);
  return addEach(candidates, (file) => matcher.test(file.split(path.sep).join('/')), found);
}

function addEach(candidates: Iterable<string>, accept: (file: string) => boolean, found: Set<string>): number {
  let count = 0;
  for (const file of candidates) {
    if (!accept(file)) continue;
    found.add(file);
    count++;
  }
  return count;
}

/** A script named *.test.*, or any script with a `test` folder on its way from the working folder. */
function isTestFile(relative: string): boolean {
  if (!SCRIPT.test(relative)) return false;
  if (TEST_FILE.test(relative)) return true;
  return relative.split(path.sep).slice(0, -1).includes('test');
}

function* walk(dir: string): Generator<string> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}
