// path.resolve() for the start-up path. Node's path normalisation walks every character in JS;
// run on each of krandog's paths at every start, it gets hot enough for V8 to optimise it, which
// costs more than a hello world's own use of it. A path with nothing to normalise (no empty, '.'
// or '..' segment), the usual case, is joined by concatenation instead: the same result.
import { path } from './builtins.ts';

/** path.resolve(file), the same string. */
export function resolvePath(file: string): string {
  if (path.sep !== '/') return path.resolve(file);
  if (file.startsWith('/')) return isNormal(file.slice(1)) ? file : path.resolve(file);
  return isNormal(file) ? joinPath(process.cwd(), file) : path.resolve(file);
}

/** No empty, '.' or '..' segment: nothing for path.resolve() to remove. String methods, not a regular expression: compiling one costs more here. */
function isNormal(relative: string): boolean {
  const padded = `/${relative}/`;
  return relative !== '' && !padded.includes('//') && !padded.includes('/./') && !padded.includes('/../');
}

/** path.join(dir, name) for a resolved `dir` and a `name` with nothing to normalise. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith(path.sep) ? dir + name : dir + path.sep + name;
}
