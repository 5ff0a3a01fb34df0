// `krandog --help`, in node's shape: usage, options in two aligned columns, environment
// variables, examples, where the documentation is. Generated from the table in options.ts.
import { url } from '../builtins.ts';
import {
  buildOptions,
  buildUsage,
  environmentVariables,
  examples,
  runOptions,
  runUsage,
  testOptions,
  testUsage,
  type OptionSpec,
} from './options.ts';

const COLUMN_GAP = 2;

export function formatHelp(): string {
  const optionRows = (options: readonly OptionSpec[]) => options.map((o) => [o.flags, o.description] as const);
  const sections: Array<[string, ReadonlyArray<readonly [string, string]>]> = [
    ['Options:', optionRows(runOptions)],
    ['Build options:', optionRows(buildOptions)],
    ['Test options:', optionRows(testOptions)],
    ['Environment variables:', environmentVariables],
    ['Examples:', examples],
  ];
  const lines = [
    `Usage: ${runUsage}`,
    `       ${buildUsage}`,
    `       ${testUsage}`,
    '',
    'Bundles a JavaScript or TypeScript script with esbuild and runs it in this process, with',
    "krandog's runtime: the http module, serve, WebSocket and a small test runner.",
  ];
  for (const [title, rows] of sections) {
    const width = Math.max(...rows.map(([left]) => left.length)) + COLUMN_GAP;
    lines.push('', title, ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`));
  }
  lines.push('', `Documentation can be found in ${readmePath()}`, '');
  return lines.join('\n');
}

/** README.md at the root of the krandog install (dist/cli.js lives one folder below it). */
function readmePath(): string {
  return url.fileURLToPath(new URL('../README.md', import.meta.url));
}
