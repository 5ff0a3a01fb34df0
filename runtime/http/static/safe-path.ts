// From a request path to a file under a static folder, never outside it. The path is checked
// segment by segment after percent-decoding, so `%2e%2e`, `%2f` and `%5c` are caught as `..`, `/`
// and `\` would be; symlinks are checked where they lead (see isInside).
import path from 'node:path';

/** The segments of the file asked for; `directory` when the path ended with `/`. */
export interface StaticTarget {
  segments: string[];
  directory: boolean;
}

/** A path that tries to leave the folder or names no possible file: answered 403. */
export const REFUSED = 'refused';
/** A path the folder does not serve (dotfiles, undecodable): left to the next handler. */
export const NOT_SERVED = 'not served';

/** Reads a raw (not percent-decoded) request path. */
export function staticTarget(pathname: string): StaticTarget | typeof REFUSED | typeof NOT_SERVED {
  if (pathname.charCodeAt(0) !== 0x2f /* / */ || pathname.includes('\\')) return REFUSED;
  const raw = pathname.slice(1).split('/');
  const directory = raw[raw.length - 1] === '';
  if (directory) raw.pop();
  const segments: string[] = [];
  for (const piece of raw) {
    const segment = decodeSegment(piece);
    if (segment === undefined) return NOT_SERVED;
    if (segment === '..' || segment === '.' || /[/\\\0]/.test(segment)) return REFUSED;
    if (segment === '') continue; // `a//b` is `a/b`
    if (segment.startsWith('.')) return NOT_SERVED; // .env, .git: never served
    segments.push(segment);
  }
  return { segments, directory };
}

function decodeSegment(piece: string): string | undefined {
  if (!piece.includes('%')) return piece;
  try {
    return decodeURIComponent(piece);
  } catch {
    return undefined;
  }
}

/** Whether `file` (a real path, symlinks resolved) is `root` (a real path) or inside it. */
export function isInside(root: string, file: string): boolean {
  return file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}
