// path.resolve() for the start-up path. Node's path normalisation walks every character in JS;
// run on each of krandog's paths at every start, it gets hot enough for V8 to optimise it, which
// costs more than a hello world's own use of it. A path with nothing to normalise (no empty, '.'
// or '..' segment), the usual case, is joined by concatenation instead: the same result.
import { path } from './builtins.ts';

/** An empty, '.' or '..' segment: what path.resolve() would remove. */
const ODD_SEGMENT = /(?:^|\/)\.{0,2}(?:\/|$)/;

/** path.resolve(file), the same string. */
export function resolvePath(file: string): string {
  if (path.sep !== '/') return path.resolve(file);
  if (file.startsWith('/')) return ODD_SEGMENT.test(file.slice(1)) ? path.resolve(file) : file;
  return ODD_SEGMENT.test(file) ? path.resolve(file) : joinPath(process.cwd(), file);
}

/** path.join(dir, name) for a resolved `dir` and a `name` with nothing to normalise. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith(path.sep) ? dir + name : dir + path.sep + name;
}
