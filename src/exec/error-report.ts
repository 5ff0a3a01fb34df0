// How an uncaught error of the user's script is shown: like Node shows it, without krandog's own
// frames (dist/ and the runtime's sources, the cached bundle) or Node's internals. The formatting
// is shared with the runtime's report of errors in handlers (runtime/util/error-display.ts).
import { fs, util } from '../builtins.ts';
import { distDir } from '../bundle/runtime-paths.ts';
import { formatError, krandogDirs } from '../../runtime/util/error-display.ts';

/**
 * Formats an uncaught exception or rejection. `internalPaths` are folders (or files) whose frames
 * are krandog's, not the user's; krandog's own folders are always left out.
 */
export function formatUncaughtError(error: unknown, internalPaths: readonly string[], colors: boolean): string {
  if (!(error instanceof Error)) return `Uncaught ${util.inspect(error, { colors })}\n`;
  const readFile = (file: string) => fs.readFileSync(file, 'utf8');
  return formatError(error, [...internalPaths, ...krandogDirs(distDir)], { inspect: util.inspect, readFile, colors });
}
