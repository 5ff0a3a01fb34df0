// Errors from the user's handlers go to stderr the way an uncaught error would (error-display.ts):
// the user's source line and mapped frames, krandog's own frames left out. The process goes on.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { formatError, krandogDirs } from './error-display.ts';

// This file, once built, is one of dist/runtime/…; inlined by `krandog build`, it names the
// dist/ file it was taken from.
const internalDirs = krandogDirs(fileURLToPath(import.meta.url));
const readFile = (file: string) => readFileSync(file, 'utf8');

/** Prints `krandog: <what>:` and the error below it, with console.error (one call, so one spy sees it all). */
export function logUserError(what: string, error: unknown): void {
  console.error(`krandog: ${what}:${showError(error)}`);
}

/** The error on the lines below the header; never a throw, whatever was thrown (a Proxy, a throwing `stack` getter). */
function showError(error: unknown): string {
  const colors = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
  try {
    if (error instanceof Error) return `\n${formatError(error, internalDirs, { inspect, readFile, colors }).trimEnd()}`;
  } catch {
    // Fall back to Node's view of the value, which runs none of its getters or traps.
  }
  try {
    return ` ${inspect(error, { colors, getters: false })}`;
  } catch {
    return ' (a value that cannot be shown)';
  }
}
