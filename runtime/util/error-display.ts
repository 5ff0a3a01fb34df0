// How an error from the user's code is shown, the way Node shows an uncaught one: the source line
// with a caret, then the stack, with frames already mapped to the user's files by Node's source-map
// support, and without krandog's own frames or Node's internals. Shared by the CLI (uncaught
// errors, src/exec/error-report.ts) and the runtime (errors in handlers, report-error.ts), which
// are separate bundles; it imports nothing (the CLI's start-up avoids ES-module facades of
// builtins, src/builtins.ts), so the caller hands in Node's inspect and a file reader.

export interface DisplayTools {
  inspect: (value: unknown, options: { colors: boolean }) => string;
  /** The file's text; throws when it cannot be read. */
  readFile: (file: string) => string;
  colors: boolean;
}

/** A stack frame: `at fn (<location>)` or `at <location>`, either maybe `at async …`. */
const FRAME_LOCATION = /^\s+at (?:async )?(?:.*\()?(.*?)\)?$/;
/** `/path/file.ts:3:9`, as a location names a file. */
const FILE_POSITION = /^(\/[^():]*):(\d+):(\d+)$/;

/**
 * krandog's own folders as stack frames name them, from the path of any file of its dist/ folder:
 * `<root>/dist/` (the built code) and `<root>/runtime/` (its sources, which the shipped source
 * maps name). None when `fileInDist` is not in a dist/ folder.
 */
export function krandogDirs(fileInDist: string): string[] {
  const at = fileInDist.lastIndexOf('/dist/');
  if (at === -1) return [];
  const root = fileInDist.slice(0, at + 1);
  return [`${root}dist/`, `${root}runtime/`];
}

/**
 * The error as Node prints an uncaught one, minus the frames of Node's internals (`node:…`),
 * krandog's virtual modules (`krandog:…`) and the files under `internalDirs`; ends with a newline.
 * The error's stack (and its cause's, and an AggregateError's errors') is only changed while
 * it is printed.
 */
export function formatError(error: Error, internalDirs: readonly string[], tools: DisplayTools): string {
  const restore = new Map<Error, string>();
  removeFrames(error, (line) => isInternalFrame(line, internalDirs), restore);
  try {
    return sourceContext(String(error.stack).split('\n'), tools.readFile) + tools.inspect(error, { colors: tools.colors }) + '\n';
  } finally {
    for (const [changed, stack] of restore) changed.stack = stack;
  }
}

function isInternalFrame(line: string, internalDirs: readonly string[]): boolean {
  const location = frameLocation(line);
  if (location === undefined) return false;
  return location.startsWith('node:') || location.startsWith('krandog:') || internalDirs.some((dir) => location.startsWith(dir));
}

/** Where a stack line's frame is (a path, `node:…`, …), a file: URL as a path; undefined for a line that is no frame. */
function frameLocation(line: string): string | undefined {
  const location = FRAME_LOCATION.exec(line)?.[1];
  if (location === undefined || !location.startsWith('file://')) return location;
  try {
    return decodeURIComponent(location.slice('file://'.length));
  } catch {
    return location;
  }
}

/** Drops the matching frames from the error's stack, its cause's and an AggregateError's errors'; `changed` gets the old stacks. */
function removeFrames(error: Error, isInternal: (line: string) => boolean, changed: Map<Error, string>): void {
  if (changed.has(error)) return;
  const stack = error.stack;
  if (typeof stack === 'string') {
    try {
      error.stack = stack
        .split('\n')
        .filter((line) => !isInternal(line))
        .join('\n');
      changed.set(error, stack);
    } catch {
      // a read-only stack stays as it is
    }
  }
  const related = [error.cause, ...(error instanceof AggregateError ? error.errors : [])];
  for (const other of related) if (other instanceof Error) removeFrames(other, isInternal, changed);
}

/** `file:line`, the code line and a caret under the column, from the first frame that names a file. */
function sourceContext(lines: string[], readFile: (file: string) => string): string {
  for (const line of lines) {
    const match = FILE_POSITION.exec(frameLocation(line) ?? '');
    if (!match) continue;
    const [, file, lineNumber, column] = match;
    let code: string | undefined;
    try {
      code = readFile(file).split('\n')[Number(lineNumber) - 1]?.replace(/\r$/, '');
    } catch {
      return '';
    }
    if (code === undefined) return '';
    return `${file}:${lineNumber}\n${code}\n${' '.repeat(Math.max(0, Number(column) - 1))}^\n\n`;
  }
  return '';
}
