import { isBundleError, isKrandogError } from '../errors.ts';

/**
 * Prints an error krandog expects (a usage error, or esbuild's report of a syntax or resolve
 * error) and sets the exit code; anything else is a bug and is rethrown with its stack.
 */
export function reportCliError(error: unknown): void {
  if (isKrandogError(error)) {
    process.stderr.write(`krandog: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else if (isBundleError(error)) {
    // esbuild's message: file, line, column and the code line with a caret.
    process.stderr.write(error.formatted);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
