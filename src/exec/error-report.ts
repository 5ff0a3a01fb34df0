// How an uncaught error of the user's script is shown: like Node shows it (the source line with a
// caret, then the stack), with stack frames already mapped to the user's files by Node's source
// map support, and without krandog's own frames (dist/, the cached bundle) or Node's internals.
import { fs, url, util } from '../builtins.ts';

const FRAME = /^\s+at .*$/;
/** `at fn (/path/file.ts:3:9)` or `at /path/file.ts:3:9` (or a file: URL). */
const FRAME_LOCATION = /^\s+at (?:.*\()?(?:file:\/\/)?(\/[^():]*):(\d+):(\d+)\)?$/;

/**
 * Formats an uncaught exception or rejection. `internalPaths` are folders whose frames are
 * krandog's, not the user's.
 */
export function formatUncaughtError(error: unknown, internalPaths: readonly string[], colors: boolean): string {
  const markers = internalPaths.flatMap((dir) => [dir, url.pathToFileURL(dir).href]);
  const isInternalFrame = (line: string) =>
    FRAME.test(line) &&
    (line.includes('node:internal') || line.includes('krandog:') || markers.some((marker) => line.includes(marker)));
  if (!(error instanceof Error)) return `Uncaught ${util.inspect(error, { colors })}\n`;
  removeFrames(error, isInternalFrame, new Set());
  return sourceContext(String(error.stack).split('\n')) + util.inspect(error, { colors }) + '\n';
}

/** Drops the matching frames from the error's stack, its cause's and an AggregateError's errors'. */
function removeFrames(error: Error, isInternalFrame: (line: string) => boolean, seen: Set<Error>): void {
  if (seen.has(error)) return;
  seen.add(error);
  if (typeof error.stack === 'string') {
    try {
      error.stack = error.stack
        .split('\n')
        .filter((line) => !isInternalFrame(line))
        .join('\n');
    } catch {
      // a read-only stack stays as it is
    }
  }
  const related = [error.cause, ...(error instanceof AggregateError ? error.errors : [])];
  for (const other of related) if (other instanceof Error) removeFrames(other, isInternalFrame, seen);
}

/** `file:line`, the code line and a caret under the column, from the first frame that names a file. */
function sourceContext(lines: string[]): string {
  for (const line of lines) {
    const match = FRAME_LOCATION.exec(line);
    if (!match) continue;
    const [, file, lineNumber, column] = match;
    let code: string | undefined;
    try {
      code = fs.readFileSync(file, 'utf8').split('\n')[Number(lineNumber) - 1]?.replace(/\r$/, '');
    } catch {
      return '';
    }
    if (code === undefined) return '';
    return `${file}:${lineNumber}\n${code}\n${' '.repeat(Math.max(0, Number(column) - 1))}^\n\n`;
  }
  return '';
}
