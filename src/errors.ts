/**
 * An error krandog reports itself, as one line on stderr: `krandog: <message>`.
 * `exitCode` 2 means the command line was wrong (usage), 1 that the script could not run.
 */
export class KrandogError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'KrandogError';
    this.exitCode = exitCode;
  }
}

/**
 * dist/cli.js and dist/cli-full.js each have their own copy of these classes, so an error made by
 * one and caught by the other is recognised by name rather than by `instanceof`.
 */
export function isKrandogError(error: unknown): error is KrandogError {
  return error instanceof Error && error.name === 'KrandogError';
}

export function isBundleError(error: unknown): error is BundleError {
  return error instanceof Error && error.name === 'BundleError';
}

/** Exit code for a bad command line: unknown option, missing script or script file. */
export const USAGE_EXIT_CODE = 2;

/**
 * esbuild could not bundle the script (syntax or resolve error). `formatted` is esbuild's own
 * report; `files` are the files the errors point at (--watch waits for them to change).
 */
export class BundleError extends Error {
  readonly formatted: string;
  readonly files: string[];

  constructor(formatted: string, files: string[]) {
    super(formatted);
    this.name = 'BundleError';
    this.formatted = formatted;
    this.files = files;
  }
}
