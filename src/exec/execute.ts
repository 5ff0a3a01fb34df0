import { fs, requireFile, url } from '../builtins.ts';
import { useColor } from '../color.ts';
import { distDir, runtimeGlobals } from '../bundle/runtime-paths.ts';
import { formatUncaughtError } from './error-report.ts';
import { guardTopLevelAwait } from './unsettled-await.ts';
import { SCRIPT_EVALUATED } from '../../runtime/util/script-evaluated.ts';

/** The bundle file vanished between the cache lookup and the import (another process replaced it). */
export class BundleVanishedError extends Error {}

let internalPaths: string[] = [];
let isReporting = false;

/**
 * Runs a bundle inside this process: process.argv as the script expects, stacks mapped to the
 * user's sources, an uncaught error printed without krandog's frames (exit code 1), and exit
 * code 13 when its top-level await never settles (unsettled-await.ts).
 */
export async function executeBundle(bundleFile: string, entry: string, args: string[], argv0: string): Promise<void> {
  internalPaths = [distDir, bundleFile];
  reportUncaughtErrors();
  process.argv = [argv0, entry, ...args];
  process.setSourceMapsEnabled(true);
  const settled = guardTopLevelAwait(entry);
  try {
    await loadBundle(bundleFile);
  } catch (error) {
    settled();
    const code = (error as NodeJS.ErrnoException)?.code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && !fs.existsSync(bundleFile)) {
      throw new BundleVanishedError(bundleFile);
    }
    // A throw or rejection at the top level of the script. Under plain Node it reaches the
    // script's own uncaughtException listeners, if any; so it does here.
    if (scriptHandlesErrors()) {
      setImmediate(() => {
        throw error;
      });
      return;
    }
    exitWithError(error);
  }
  settled();
  // The test runner, if the script used it, now runs the tests no run() took (runtime/test-runner.ts).
  (process as NodeJS.EventEmitter).emit(SCRIPT_EVALUATED);
}

/**
 * executeBundle(), and if another krandog replaced the bundle between the lookup and the load,
 * once more with the bundle `rebuild` makes.
 */
export async function runBundle(bundleFile: string, entry: string, args: string[], argv0: string, rebuild: () => Promise<string>): Promise<void> {
  try {
    await executeBundle(bundleFile, entry, args, argv0);
  } catch (error) {
    if (!(error instanceof BundleVanishedError)) throw error;
    await executeBundle(await rebuild(), entry, args, argv0);
  }
}

/**
 * Evaluates the bundle: a CommonJS one (.cjs, most scripts, bundle.ts) or an ES module (.mjs).
 * require(), also of the ES module where Node has require(esm) (20.19, 22.12), keeps Node's
 * asynchronous ES-module loader out of the start-up when the CLI is dist/cli.cjs: a few
 * milliseconds of a 30 ms hello world. A bundle whose graph has a top-level await is refused by
 * require() before any of it runs (ERR_REQUIRE_ASYNC_MODULE), and is imported instead.
 */
async function loadBundle(bundleFile: string): Promise<void> {
  if (!process.features.require_module) {
    // The bundle's lazy globals need require(esm) (lazy-globals.ts): the runtime comes first.
    await import(url.pathToFileURL(runtimeGlobals).href);
  } else {
    try {
      requireFile(bundleFile);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException)?.code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
    }
  }
  await import(url.pathToFileURL(bundleFile).href);
}

function reportUncaughtErrors(): void {
  if (isReporting) return;
  isReporting = true;
  process.on('uncaughtException', (error) => {
    // A script with its own listener decides for itself, as under plain Node.
    if (!scriptHandlesErrors()) exitWithError(error);
  });
}

function scriptHandlesErrors(): boolean {
  return process.listenerCount('uncaughtException') > (isReporting ? 1 : 0);
}

function exitWithError(error: unknown): never {
  process.stderr.write(formatUncaughtError(error, internalPaths, useColor(process.stderr)));
  process.exit(1);
}
