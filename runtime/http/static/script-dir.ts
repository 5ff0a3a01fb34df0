// Where relative paths given to http.file() and `static` lead: the folder of the script krandog
// runs (process.argv[1]), so `http.file('index.html')` finds the page next to the script from any
// working directory.
import path from 'node:path';

/** `file` as an absolute path; a relative one is taken from the script's folder (the cwd without a script). */
export function resolveFromScript(file: string): string {
  const script = process.argv[1];
  const base = script === undefined || script === '' ? process.cwd() : path.dirname(path.resolve(script));
  return path.resolve(base, file);
}
